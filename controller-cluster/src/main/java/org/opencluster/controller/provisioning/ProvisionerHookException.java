package org.opencluster.controller.provisioning;

/** A provisioner hook's attempt, or all of its attempts, failed. The message never holds a secret. */
public final class ProvisionerHookException extends Exception {
  public ProvisionerHookException(String message) {
    super(message);
  }
}
