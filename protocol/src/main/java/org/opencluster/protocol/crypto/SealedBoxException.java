package org.opencluster.protocol.crypto;

import java.security.GeneralSecurityException;

/** A sealed box was refused. The message says why and never contains plaintext or key material. */
public final class SealedBoxException extends GeneralSecurityException {

  SealedBoxException(String message) {
    super(message);
  }

  SealedBoxException(String message, Throwable cause) {
    super(message, cause);
  }
}
