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
 * A CA whose key the controllers hold online: the agent CA, which signs node certificates, or the
 * service CA, which signs the TLS certificates of the nodes' applications ({@code tls-certificate}
 * files). Its certificate and key are sealed values in the store (the key readable only by an
 * unsealed controller), imported by an operator from the offline CA directory ({@code opencluster
 * operator import-agent-ca}, {@code import-service-ca}). Each can sign nothing that any
 * OpenCluster component accepts beyond its own kind (its profile, and the agent CA's name
 * constraints).
 */
public final class OnlineCa {

  private static final String CERTIFICATE = "certificate";
  private static final String KEY = "key";

  private final String kind;
  private final Identity expected;
  private final SealedValues store;
  private final Supplier<List<X509Certificate>> trustAnchors;
  private final Clock clock;
  /**
   * How long a loaded CA is used before the store is read again: an import on another controller
   * (a rotation after a suspected leak, say) reaches this one within that time.
   */
  public static final Duration REREAD_AFTER = Duration.ofMinutes(1);

  private record Cached(CertificateAuthority ca, Instant loadedAt) {}

  private volatile Cached cached;

  private OnlineCa(String kind, Identity expected, SealedValues store, Supplier<List<X509Certificate>> trustAnchors,
      Clock clock) {
    this.kind = kind;
    this.expected = expected;
    this.store = store;
    this.trustAnchors = trustAnchors;
    this.clock = clock;
  }

  /** The agent CA. @param trustAnchors the cluster root: a CA it did not sign is refused */
  public static OnlineCa agents(SealedValues store, Supplier<List<X509Certificate>> trustAnchors, Clock clock) {
    return new OnlineCa("agent-ca", Identity.AGENT_CA, store, trustAnchors, clock);
  }

  /** The service CA. @param trustAnchors the cluster root: a CA it did not sign is refused */
  public static OnlineCa services(SealedValues store, Supplier<List<X509Certificate>> trustAnchors, Clock clock) {
    return new OnlineCa("service-ca", Identity.SERVICE_CA, store, trustAnchors, clock);
  }

  /** What the CA is called in messages: "agent CA", "service CA". */
  public String label() {
    return kind.replace("-ca", " CA");
  }

  /**
   * Stores the CA, replacing any earlier one (certificates it issued stay valid).
   *
   * @throws IllegalArgumentException if it is not this cluster's CA of this kind or the key is not its
   */
  public CertificateAuthority importCa(X509Certificate certificate, PrivateKey key) {
    Identity identity;
    try {
      identity = Certificates.identityOf(certificate);
    } catch (CertificateException e) {
      throw new IllegalArgumentException("not an OpenCluster certificate: " + e.getMessage());
    }
    if (!identity.equals(expected)) {
      throw new IllegalArgumentException("the certificate is " + identity + ", not the " + label());
    }
    X509Certificate root = trustAnchors.get().stream().filter(anchor -> signedBy(certificate, anchor)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("the " + label() + " is not signed by this cluster's root CA"));
    CertificateAuthority ca;
    try {
      ca = CertificateAuthority.load(List.of(certificate, root), key, clock);
    } catch (CertificateIssuanceException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
    try (SecretBytes certificatePem = SecretBytes.copyOf(
            Pem.encodeCertificates(List.of(certificate, root)).getBytes(StandardCharsets.US_ASCII));
        SecretBytes keyPem = Pem.encodePrivateKey(key)) {
      store.put(kind, KEY, keyPem);
      store.put(kind, CERTIFICATE, certificatePem);
    }
    cached = new Cached(ca, clock.instant());
    return ca;
  }

  /** The CA, if one was imported; reads the store when the copy held is older than a minute. */
  public Optional<CertificateAuthority> current() {
    Cached held = cached;
    if (held != null && clock.instant().isBefore(held.loadedAt().plus(REREAD_AFTER))) {
      return Optional.of(held.ca());
    }
    CertificateAuthority ca;
    Optional<SecretBytes> certificates = store.get(kind, CERTIFICATE);
    Optional<SecretBytes> key = store.get(kind, KEY);
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
      throw new IllegalStateException("the stored " + label() + " cannot be loaded: " + e.getMessage(), e);
    } finally {
      certificates.ifPresent(SecretBytes::close);
      key.ifPresent(SecretBytes::close);
    }
  }

  /**
   * The CA last loaded, however old, without reading the store: for actors, which must not block.
   * Something else calls {@link #current()} now and then to keep it fresh.
   */
  public Optional<CertificateAuthority> loaded() {
    Cached held = cached;
    return held == null ? Optional.empty() : Optional.of(held.ca());
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
