package org.opencluster.protocol.pki;

import java.security.GeneralSecurityException;

/** An encrypted private key could not be opened: wrong passphrase, or a damaged file. */
public final class KeyDecryptionException extends GeneralSecurityException {

  KeyDecryptionException(String message, Throwable cause) {
    super(message, cause);
  }
}
