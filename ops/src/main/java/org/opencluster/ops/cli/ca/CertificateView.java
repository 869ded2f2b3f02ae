package org.opencluster.ops.cli.ca;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.opencluster.ops.cli.Output;
import org.opencluster.protocol.pki.Certificates;

/** What an operator wants to know about a certificate, for tables and JSON. */
record CertificateView(String role, String file, String identity, String subject, String issuer, String serial,
    String notBefore, String notAfter, long daysLeft, String sha256) {

  static CertificateView of(String role, String file, X509Certificate certificate, Instant now) {
    String identity;
    try {
      identity = Certificates.identityOf(certificate).toString();
    } catch (CertificateException e) {
      identity = "(none: " + e.getMessage() + ")";
    }
    Instant notAfter = certificate.getNotAfter().toInstant();
    return new CertificateView(role, file, identity, certificate.getSubjectX500Principal().getName(),
        certificate.getIssuerX500Principal().getName(), Certificates.serialHex(certificate),
        certificate.getNotBefore().toInstant().toString(), notAfter.toString(),
        Duration.between(now, notAfter).toDays(), Certificates.sha256Fingerprint(certificate));
  }

  void print(Output output) {
    print(output, List.of());
  }

  /** The certificate's facts, then {@code more} rows aligned with them. */
  void print(Output output, List<List<String>> more) {
    output.line(role + " (" + file + ")");
    List<List<String>> rows = new ArrayList<>(List.of(
        List.of("identity", identity),
        List.of("subject", subject),
        List.of("issuer", issuer.equals(subject) ? issuer + " (self-signed)" : issuer),
        List.of("serial", serial),
        List.of("valid", notBefore + " to " + notAfter + (daysLeft < 0 ? " (EXPIRED)" : " (" + daysLeft + " days left)")),
        List.of("sha256", sha256)));
    rows.addAll(more);
    output.rows(rows);
  }
}
