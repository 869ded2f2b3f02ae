package org.opencluster.controller.node;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.opencluster.controller.files.FileDefinition;
import org.opencluster.controller.files.FileDefinition.GeneratedSource;
import org.opencluster.controller.files.Template;
import org.opencluster.controller.node.NodeEntity.GeneratedSecret;
import org.opencluster.controller.node.NodeEntity.NodeFacts;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.CertificateIssuanceException;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.SubjectAltNames;

/**
 * Makes the {@code tls-certificate} secret of a node's file: a fresh P-256 key and a certificate
 * for it from the service CA, with the file's DNS names rendered for the node, as one PEM (the key
 * in PKCS#8, the certificate, the service CA's certificate). It is made again two thirds into its
 * validity, so a node whose controllers are briefly unavailable still holds a valid certificate.
 */
final class ServiceCertificates {

  /** How far into a certificate's validity it is made again. */
  static final double RENEW_AT = 2.0 / 3.0;
  /** A certificate the service CA's own expiry would cut shorter than this is not issued. */
  static final Duration SHORTEST = Duration.ofMinutes(5);

  /** Why a certificate cannot be issued now; carries no secret. */
  static final class CannotIssue extends Exception {
    CannotIssue(String message) {
      super(message);
    }
  }

  private final Supplier<Optional<CertificateAuthority>> serviceCa;

  ServiceCertificates(Supplier<Optional<CertificateAuthority>> serviceCa) {
    this.serviceCa = serviceCa;
  }

  GeneratedSecret issue(FileDefinition definition, GeneratedSource source, NodeFacts facts, Instant now)
      throws CannotIssue {
    CertificateAuthority ca = serviceCa.get().orElseThrow(() -> new CannotIssue(
        "no service CA: an admin imports one with 'opencluster operator import-service-ca --dir CA_DIR'"));
    SubjectAltNames names = names(source, facts);
    Duration validity = source.ttl();
    Instant caExpires = ca.certificate().getNotAfter().toInstant();
    if (now.plus(validity).isAfter(caExpires)) {
      validity = Duration.between(now, caExpires);
      if (validity.compareTo(SHORTEST) < 0) {
        throw new CannotIssue("the service CA expires at " + caExpires + ": an admin imports a new one");
      }
    }
    KeyPair keys = EcKeys.generate();
    X509Certificate certificate;
    try {
      certificate = ca.issueService(keys.getPublic(), names, validity);
    } catch (CertificateIssuanceException e) {
      throw new CannotIssue("the service CA refused: " + e.getMessage());
    }
    Instant notBefore = certificate.getNotBefore().toInstant();
    Duration lifetime = Duration.between(notBefore, certificate.getNotAfter().toInstant());
    Instant renewAt = notBefore.plusMillis((long) (lifetime.toMillis() * RENEW_AT));
    return new GeneratedSecret(definition.name(), definition.version(), pem(keys, certificate, ca), now, renewAt);
  }

  /** The file's DNS names rendered for the node, and its addresses. */
  static SubjectAltNames names(GeneratedSource source, NodeFacts facts) throws CannotIssue {
    Template.NodeView node = new Template.NodeView(facts.nodeId(), facts.name(), facts.labels());
    List<String> dnsNames = new ArrayList<>();
    for (String pattern : source.dnsNames()) {
      byte[] text = pattern.getBytes(StandardCharsets.UTF_8);
      try (SecretBytes rendered = Template.parse(text).render(text, node, (secret, field) -> {
        throw new Template.TemplateException("a DNS name may not read secrets");
      })) {
        dnsNames.add(new String(rendered.copyBytes(), StandardCharsets.UTF_8));
      } catch (Template.TemplateException e) {
        throw new CannotIssue("DNS name '" + FileDefinition.printable(pattern) + "': " + e.getMessage());
      }
    }
    List<InetAddress> addresses = new ArrayList<>();
    for (String literal : source.ipAddresses()) {
      addresses.add(GeneratedSource.ipAddress(literal)
          .orElseThrow(() -> new CannotIssue("'" + FileDefinition.printable(literal) + "' is not an IP address")));
    }
    try {
      return new SubjectAltNames(dnsNames, addresses);
    } catch (IllegalArgumentException e) {
      throw new CannotIssue("for this node, " + FileDefinition.printable(e.getMessage()));
    }
  }

  private static SecretBytes pem(KeyPair keys, X509Certificate certificate, CertificateAuthority ca) {
    WipedBuffer out = new WipedBuffer();
    try (SecretBytes key = Pem.encodePrivateKey(keys.getPrivate())) {
      key.writeTo(out);
      out.write(Pem.encodeCertificates(List.of(certificate, ca.certificate())).getBytes(StandardCharsets.US_ASCII));
      return SecretBytes.adopt(out.toByteArray());
    } catch (IOException e) {
      throw new IllegalStateException("a byte array stream does not fail", e);
    } finally {
      out.wipe();
    }
  }

  /** A byte stream whose buffer (which held the key) is zeroed after use. */
  private static final class WipedBuffer extends ByteArrayOutputStream {
    WipedBuffer() {
      super(8192);
    }

    void wipe() {
      Arrays.fill(buf, (byte) 0);
      count = 0;
    }
  }
}
