package org.opencluster.ops;

/**
 * A failure the operator can act on. The message says what went wrong and, where there is one,
 * what to do next; it never contains secret material. The command line prints it and exits 1.
 */
public final class OpsException extends Exception {

  public OpsException(String message) {
    super(message);
  }

  public OpsException(String message, Throwable cause) {
    super(message, cause);
  }
}
