package org.opencluster.protocol.crypto;

import java.security.GeneralSecurityException;

/** A ciphertext was refused: truncated, or it fails authentication. Never carries plaintext. */
public final class AeadException extends GeneralSecurityException {

  AeadException(String message) {
    super(message);
  }
}
