package org.opencluster.controller.registration;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.opencluster.persistence.jdbc.SealedValues;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.CertificateIssuanceException;
import org.opencluster.protocol.pki.Certificates;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;

/**
 * The agent issuing CA, held by the controllers: its certificate and key are sealed values in the
 * store (the key readable only by an unsealed controller), imported once by an operator from the
 * offline CA directory ({@code opencluster operator import-agent-ca}). Controllers sign node
 * certificates with it; it can sign nothing else that any OpenCluster component, or a standard TLS
 * stack, accepts (its profile and name constraints).
 */
public final class AgentCa {

  static final String KIND = "agent-ca";
  private static final String CERTIFICATE = "certificate";
  private static final String KEY = "key";

  private final SealedValues store;
  private final Supplier<List<X509Certificate>> trustAnchors;
  private final Clock clock;
  /**
   * How long a loaded agent CA is used before the store is read again: an import on another
   * controller (a rotation after a suspected leak, say) reaches this one within that time.
   */
  static final Duration REREAD_AFTER = Duration.ofMinutes(1);

  private record Cached(CertificateAuthority ca, Instant loadedAt) {}

  private volatile Cached cached;

  /** @param trustAnchors the cluster root: an agent CA it did not sign is refused */
  public AgentCa(SealedValues store, Supplier<List<X509Certificate>> trustAnchors, Clock clock) {
    this.store = store;
    this.trustAnchors = trustAnchors;
    this.clock = clock;
  }

  /**
   * Stores the agent CA, replacing any earlier one (certificates it issued stay valid).
   *
   * @throws IllegalArgumentException if it is not this cluster's agent CA or the key is not its
   */
  public CertificateAuthority importCa(X509Certificate certificate, PrivateKey key) {
    Identity identity;
    try {
      identity = Certificates.identityOf(certificate);
    } catch (CertificateException e) {
      throw new IllegalArgumentException("not an OpenCluster certificate: " + e.getMessage());
    }
    if (!identity.equals(Identity.AGENT_CA)) {
      throw new IllegalArgumentException("the certificate is " + identity + ", not the agent CA");
    }
    X509Certificate root = trustAnchors.get().stream().filter(anchor -> signedBy(certificate, anchor)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("the agent CA is not signed by this cluster's root CA"));
    CertificateAuthority ca;
    try {
      ca = CertificateAuthority.load(List.of(certificate, root), key, clock);
    } catch (CertificateIssuanceException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
    try (SecretBytes certificatePem = SecretBytes.copyOf(
            Pem.encodeCertificates(List.of(certificate, root)).getBytes(StandardCharsets.US_ASCII));
        SecretBytes keyPem = Pem.encodePrivateKey(key)) {
      store.put(KIND, KEY, keyPem);
      store.put(KIND, CERTIFICATE, certificatePem);
    }
    cached = new Cached(ca, clock.instant());
    return ca;
  }

  /** The agent CA, if one was imported. */
  public Optional<CertificateAuthority> current() {
    Cached held = cached;
    if (held != null && clock.instant().isBefore(held.loadedAt().plus(REREAD_AFTER))) {
      return Optional.of(held.ca());
    }
    CertificateAuthority ca;
    Optional<SecretBytes> certificates = store.get(KIND, CERTIFICATE);
    Optional<SecretBytes> key = store.get(KIND, KEY);
    try {
      if (certificates.isEmpty() || key.isEmpty()) {
        cached = null;
        return Optional.empty();
      }
      List<X509Certificate> chain = new ArrayList<>(Pem.decodeCertificates(
          new String(certificates.get().copyBytes(), StandardCharsets.US_ASCII)));
      ca = CertificateAuthority.load(chain, Pem.decodePrivateKey(key.get()), clock);
      cached = new Cached(ca, clock.instant());
      return Optional.of(ca);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the stored agent CA cannot be loaded: " + e.getMessage(), e);
    } finally {
      certificates.ifPresent(SecretBytes::close);
      key.ifPresent(SecretBytes::close);
    }
  }

  /** Forgets the cached key (when the controller seals). */
  public void forget() {
    cached = null;
  }

  private static boolean signedBy(X509Certificate certificate, X509Certificate issuer) {
    try {
      certificate.verify(issuer.getPublicKey());
      return certificate.getIssuerX500Principal().equals(issuer.getSubjectX500Principal());
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
