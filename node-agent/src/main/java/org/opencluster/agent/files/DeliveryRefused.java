package org.opencluster.agent.files;

/** A delivery that cannot be served as asked; the message says what to fix and becomes its outcome's detail. */
final class DeliveryRefused extends Exception {

  private static final long serialVersionUID = 1L;

  DeliveryRefused(String detail) {
    super(detail, null, false, false);
  }
}
