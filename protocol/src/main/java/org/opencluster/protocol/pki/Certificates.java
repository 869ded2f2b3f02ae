package org.opencluster.protocol.pki;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;

/** Reading facts back out of certificates. */
public final class Certificates {

  private static final int SAN_URI = 6;

  private Certificates() {}

  /**
   * The OpenCluster identity a certificate carries: exactly one {@code opencluster://} URI in its
   * subject alternative names.
   *
   * @throws CertificateException if it carries none, several, or a malformed one
   */
  public static Identity identityOf(X509Certificate certificate) throws CertificateException {
    List<String> uris = new ArrayList<>();
    Collection<List<?>> names;
    try {
      names = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      throw new CertificateException("unreadable subject alternative names", e);
    }
    if (names != null) {
      for (List<?> name : names) {
        if (name.size() == 2 && Integer.valueOf(SAN_URI).equals(name.get(0))
            && name.get(1) instanceof String uri && uri.startsWith(Identity.SCHEME + ":")) {
          uris.add(uri);
        }
      }
    }
    if (uris.isEmpty()) {
      throw new CertificateException("certificate carries no OpenCluster identity");
    }
    if (uris.size() > 1) {
      throw new CertificateException("certificate carries " + uris.size() + " OpenCluster identities; exactly one is allowed");
    }
    try {
      return Identity.parse(uris.get(0));
    } catch (IllegalArgumentException e) {
      throw new CertificateException(e.getMessage(), e);
    }
  }

  /** SHA-256 of the DER encoding, as colon-separated upper-case hex (as {@code openssl x509 -fingerprint -sha256}). */
  public static String sha256Fingerprint(X509Certificate certificate) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
      return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot fingerprint certificate", e);
    }
  }

  /** The serial number as lower-case hex, the form used in deny lists and logs. */
  public static String serialHex(X509Certificate certificate) {
    return certificate.getSerialNumber().toString(16);
  }
}
