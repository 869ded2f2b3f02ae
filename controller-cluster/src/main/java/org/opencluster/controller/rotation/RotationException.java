package org.opencluster.controller.rotation;

/**
 * A rotator step failed. Retryable failures (a target briefly unreachable) are tried again with
 * backoff; others fail the rotation at once. The message is shown to operators: no secret in it.
 */
public final class RotationException extends Exception {

  private static final long serialVersionUID = 1L;

  private final boolean retryable;

  public RotationException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }
}
