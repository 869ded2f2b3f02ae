package org.opencluster.persistence.keys;

/**
 * A seal operation was refused: the controller is sealed, not initialized, or a share or key was
 * wrong. The message says what to do and never holds key material.
 */
public final class SealException extends Exception {

  SealException(String message) {
    super(message);
  }

  SealException(String message, Throwable cause) {
    super(message, cause);
  }
}
