package org.opencluster.protocol.pki;

import java.security.cert.CertificateException;

/** A certificate chain was refused; {@link #reason()} says which check failed. */
public final class CertificateValidationException extends CertificateException {

  /** The check that refused the chain. */
  public enum Reason {
    /** No certificate, or more certificates than a valid path can hold. */
    MALFORMED_CHAIN,
    /** No path from the certificate to a trusted CA. */
    UNKNOWN_ISSUER,
    /** A certificate names its issuer but the issuer's key did not sign it. */
    BAD_SIGNATURE,
    EXPIRED,
    NOT_YET_VALID,
    /** An issuing certificate is not a CA (basic constraints). */
    NOT_A_CA,
    /** An issuing certificate may not sign certificates (key usage). */
    ISSUER_CANNOT_SIGN,
    /** More CA certificates below an issuer than its path length allows. */
    PATH_TOO_LONG,
    /** The end-entity certificate is a CA. */
    LEAF_IS_CA,
    WRONG_KEY_USAGE,
    WRONG_EXTENDED_KEY_USAGE,
    WRONG_KEY_TYPE,
    /** Missing, several or malformed OpenCluster identity URIs. */
    INVALID_IDENTITY,
    /** A valid identity, but not of a kind this caller accepts. */
    WRONG_IDENTITY_KIND,
    /** A name (DNS, IP, directory) outside the name constraints of a CA above it. */
    NAME_NOT_PERMITTED,
    /** The certificate came from a CA that may not issue its kind (node by root, admin by agent CA). */
    ISSUER_NOT_ALLOWED,
    UNSUPPORTED_CRITICAL_EXTENSION,
    REVOKED
  }

  private final Reason reason;

  CertificateValidationException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
