package org.opencluster.protocol.pki;

import java.security.GeneralSecurityException;

/** A certificate could not be issued; the message says which rule the request broke. */
public final class CertificateIssuanceException extends GeneralSecurityException {

  CertificateIssuanceException(String message) {
    super(message);
  }

  CertificateIssuanceException(String message, Throwable cause) {
    super(message, cause);
  }
}
