package org.opencluster.controller.rotation;

/**
 * A rotator could not apply, prove or retire a version.
 *
 * <p>The message says what failed and why in words an operator can act on; it never carries a
 * secret, nor a statement or driver message that could echo one (so there is no cause).
 * {@link #retryable()} tells the saga whether trying again later may succeed: a network failure
 * or a busy server is retryable; a refused login or a missing privilege is not, and the saga
 * reports it instead of retrying.
 */
public final class RotationException extends Exception {

  private static final long serialVersionUID = 1L;

  private final boolean retryable;

  public RotationException(String message, boolean retryable) {
    super(message, null, false, false);
    this.retryable = retryable;
  }

  /** Whether the same call may succeed later without anyone changing anything. */
  public boolean retryable() {
    return retryable;
  }
}
