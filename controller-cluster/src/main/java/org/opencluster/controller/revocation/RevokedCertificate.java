package org.opencluster.controller.revocation;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.Base64;
import javax.security.auth.x500.X500Principal;

/**
 * A revoked certificate as the deny list names it: its issuer and serial number. Its entry form,
 * {@code <issuer DER, base64url>.<serial, hex>}, is what Distributed Data replicates and the store
 * keeps.
 */
public record RevokedCertificate(X500Principal issuer, BigInteger serial) {

  public static RevokedCertificate of(X509Certificate certificate) {
    return new RevokedCertificate(certificate.getIssuerX500Principal(), certificate.getSerialNumber());
  }

  /** @throws IllegalArgumentException if {@code entry} is not in the entry form */
  public static RevokedCertificate parse(String entry) {
    int dot = entry.indexOf('.');
    if (dot <= 0 || dot == entry.length() - 1 || entry.length() > 512) {
      throw new IllegalArgumentException("not a deny-list entry");
    }
    try {
      return new RevokedCertificate(new X500Principal(Base64.getUrlDecoder().decode(entry.substring(0, dot))),
          new BigInteger(entry.substring(dot + 1), 16));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a deny-list entry");
    }
  }

  public String entry() {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(issuer.getEncoded()) + "." + serial.toString(16);
  }
}
