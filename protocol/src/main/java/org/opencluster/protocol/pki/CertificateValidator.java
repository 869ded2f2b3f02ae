package org.opencluster.protocol.pki;

import static org.opencluster.protocol.pki.CertificateValidationException.Reason.*;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.SignatureException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.opencluster.protocol.crypto.EcKeys;

/**
 * Validates a presented certificate chain against the cluster's trust anchors and returns the
 * identity it proves. Checks, in order, with a {@link CertificateValidationException.Reason} for
 * each refusal:
 *
 * <ol>
 *   <li>a path exists from the end-entity certificate to a trust anchor, each link named by
 *       issuer and proven by signature ({@code UNKNOWN_ISSUER}, {@code BAD_SIGNATURE});
 *   <li>every certificate on it, anchor included, is valid at the given instant;
 *   <li>every issuer is a CA allowed to sign certificates, within its path length;
 *   <li>no certificate carries a critical extension this validator does not understand;
 *   <li>the end entity is not a CA, is an EC P-256 key with the digitalSignature key usage and
 *       the extended key usage asked for, and carries exactly one OpenCluster identity of an
 *       accepted kind;
 *   <li>each certificate came from the CA its profile names ({@link CertificateProfile});
 *   <li>no serial on the path is revoked.
 * </ol>
 *
 * Thread-safe and immutable.
 */
public final class CertificateValidator {

  private static final int MAX_PATH = 4;
  private static final Set<String> UNDERSTOOD_CRITICAL =
      Set.of("2.5.29.15", "2.5.29.17", "2.5.29.19", "2.5.29.37");
  private static final int KU_DIGITAL_SIGNATURE = 0;
  private static final int KU_KEY_CERT_SIGN = 5;

  private final List<X509Certificate> anchors;
  private final Predicate<BigInteger> revoked;

  private CertificateValidator(List<X509Certificate> anchors, Predicate<BigInteger> revoked) {
    this.anchors = anchors;
    this.revoked = revoked;
  }

  /**
   * A validator trusting {@code anchors}: the root CA, or only the agent CA where just node
   * certificates are acceptable.
   */
  public static CertificateValidator trusting(Collection<X509Certificate> anchors) {
    if (anchors.isEmpty()) {
      throw new IllegalArgumentException("at least one trust anchor is needed");
    }
    return new CertificateValidator(List.copyOf(anchors), serial -> false);
  }

  /** The same validator, also refusing any path holding a serial for which {@code revoked} is true. */
  public CertificateValidator withRevocation(Predicate<BigInteger> revoked) {
    return new CertificateValidator(anchors, revoked);
  }

  /**
   * @param chain the end-entity certificate first, then any intermediates, in any order
   * @param usage what the certificate is being used for
   * @param at the instant to check validity at
   * @param accepted identity kinds the caller accepts
   * @return the identity the end-entity certificate proves
   * @throws CertificateValidationException naming the first check that failed
   */
  public Identity validate(List<X509Certificate> chain, CertificateProfile.Usage usage, Instant at,
      Set<Identity.Kind> accepted) throws CertificateValidationException {
    if (chain == null || chain.isEmpty() || chain.size() > MAX_PATH) {
      throw new CertificateValidationException(MALFORMED_CHAIN,
          "certificate chain must hold 1.." + MAX_PATH + " certificates");
    }
    List<X509Certificate> path = buildPath(chain);
    Date date = Date.from(at);
    for (X509Certificate certificate : path) {
      checkValidity(certificate, date);
      checkCriticalExtensions(certificate);
      if (revoked.test(certificate.getSerialNumber())) {
        throw refuse(REVOKED, certificate, "is revoked");
      }
    }
    for (int i = 1; i < path.size(); i++) {
      checkIssuer(path.get(i), i - 1);
    }
    X509Certificate leaf = path.get(0);
    Identity identity = checkLeaf(leaf, usage, accepted);
    checkIssuancePolicy(path, identity);
    return identity;
  }

  /** Validates for any identity kind. */
  public Identity validate(List<X509Certificate> chain, CertificateProfile.Usage usage, Instant at)
      throws CertificateValidationException {
    return validate(chain, usage, at, EnumSet.of(Identity.Kind.CONTROLLER, Identity.Kind.NODE, Identity.Kind.OPERATOR));
  }

  private List<X509Certificate> buildPath(List<X509Certificate> chain) throws CertificateValidationException {
    List<X509Certificate> path = new ArrayList<>();
    X509Certificate current = chain.get(0);
    path.add(current);
    List<X509Certificate> intermediates = chain.subList(1, chain.size());
    while (path.size() <= MAX_PATH) {
      X509Certificate anchor = findIssuer(current, anchors);
      if (anchor != null) {
        if (!anchor.equals(current)) {
          path.add(anchor);
        }
        return path;
      }
      X509Certificate next = findIssuer(current, intermediates);
      if (next == null || path.contains(next)) {
        throw refuse(UNKNOWN_ISSUER, current, "was not issued by a trusted CA");
      }
      path.add(next);
      current = next;
    }
    throw new CertificateValidationException(MALFORMED_CHAIN, "certificate path is longer than " + MAX_PATH);
  }

  /**
   * The candidate whose subject names {@code certificate}'s issuer and whose key verifies its
   * signature; null if none is named; BAD_SIGNATURE if one is named but none verifies.
   */
  private static X509Certificate findIssuer(X509Certificate certificate, List<X509Certificate> candidates)
      throws CertificateValidationException {
    boolean named = false;
    for (X509Certificate candidate : candidates) {
      if (!candidate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
        continue;
      }
      named = true;
      try {
        certificate.verify(candidate.getPublicKey());
        return candidate;
      } catch (SignatureException | java.security.InvalidKeyException e) {
        // Not this candidate: another CA may share the name (key rotation).
      } catch (GeneralSecurityException e) {
        throw refuse(BAD_SIGNATURE, certificate, "has a signature that cannot be checked");
      }
    }
    if (named) {
      throw refuse(BAD_SIGNATURE, certificate, "is not signed by the CA it names as issuer");
    }
    return null;
  }

  private static void checkValidity(X509Certificate certificate, Date date) throws CertificateValidationException {
    try {
      certificate.checkValidity(date);
    } catch (CertificateExpiredException e) {
      throw refuse(EXPIRED, certificate, "expired at " + certificate.getNotAfter().toInstant());
    } catch (CertificateNotYetValidException e) {
      throw refuse(NOT_YET_VALID, certificate, "is not valid before " + certificate.getNotBefore().toInstant());
    }
  }

  private static void checkCriticalExtensions(X509Certificate certificate) throws CertificateValidationException {
    Set<String> critical = certificate.getCriticalExtensionOIDs();
    if (critical != null) {
      for (String oid : critical) {
        if (!UNDERSTOOD_CRITICAL.contains(oid)) {
          throw refuse(UNSUPPORTED_CRITICAL_EXTENSION, certificate, "has an unsupported critical extension " + oid);
        }
      }
    }
  }

  /** {@code below}: how many CA certificates sit between this issuer and the end entity. */
  private static void checkIssuer(X509Certificate issuer, int below) throws CertificateValidationException {
    int pathLength = issuer.getBasicConstraints();
    if (pathLength < 0) {
      throw refuse(NOT_A_CA, issuer, "is not a CA but issued a certificate");
    }
    boolean[] keyUsage = issuer.getKeyUsage();
    if (keyUsage == null || !keyUsage[KU_KEY_CERT_SIGN]) {
      throw refuse(ISSUER_CANNOT_SIGN, issuer, "may not sign certificates (no keyCertSign key usage)");
    }
    if (below > pathLength) {
      throw refuse(PATH_TOO_LONG, issuer, "allows " + pathLength + " CA certificates below it, found " + below);
    }
  }

  private static Identity checkLeaf(X509Certificate leaf, CertificateProfile.Usage usage, Set<Identity.Kind> accepted)
      throws CertificateValidationException {
    if (leaf.getBasicConstraints() >= 0) {
      throw refuse(LEAF_IS_CA, leaf, "is a CA certificate, not an end entity");
    }
    if (!EcKeys.isP256(leaf.getPublicKey())) {
      throw refuse(WRONG_KEY_TYPE, leaf, "does not hold an EC P-256 key");
    }
    boolean[] keyUsage = leaf.getKeyUsage();
    if (keyUsage == null || !keyUsage[KU_DIGITAL_SIGNATURE]) {
      throw refuse(WRONG_KEY_USAGE, leaf, "lacks the digitalSignature key usage");
    }
    List<String> extendedKeyUsage;
    try {
      extendedKeyUsage = leaf.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      throw refuse(WRONG_EXTENDED_KEY_USAGE, leaf, "has an unreadable extended key usage");
    }
    if (extendedKeyUsage == null || !extendedKeyUsage.contains(usage.oid())) {
      throw refuse(WRONG_EXTENDED_KEY_USAGE, leaf, "is not for " + usage.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
    }
    Identity identity;
    try {
      identity = Certificates.identityOf(leaf);
    } catch (CertificateException e) {
      throw refuse(INVALID_IDENTITY, leaf, e.getMessage());
    }
    if (!accepted.contains(identity.kind())) {
      throw refuse(WRONG_IDENTITY_KIND, leaf, "speaks for " + identity + ", which is not accepted here");
    }
    return identity;
  }

  private static void checkIssuancePolicy(List<X509Certificate> path, Identity leafIdentity)
      throws CertificateValidationException {
    Identity subject = leafIdentity;
    for (int i = 0; i + 1 < path.size(); i++) {
      X509Certificate issuer = path.get(i + 1);
      Identity issuerIdentity;
      try {
        issuerIdentity = Certificates.identityOf(issuer);
      } catch (CertificateException e) {
        throw refuse(ISSUER_NOT_ALLOWED, issuer, "is not an OpenCluster CA: " + e.getMessage());
      }
      Identity required = CertificateProfile.forIdentity(subject).issuer();
      if (!issuerIdentity.equals(required)) {
        throw refuse(ISSUER_NOT_ALLOWED, path.get(i),
            "speaks for " + subject + " but was issued by " + issuerIdentity + "; only " + required + " may issue it");
      }
      subject = issuerIdentity;
    }
  }

  private static CertificateValidationException refuse(
      CertificateValidationException.Reason reason, X509Certificate certificate, String what) {
    return new CertificateValidationException(reason,
        "certificate '" + certificate.getSubjectX500Principal().getName() + "' (serial "
            + Certificates.serialHex(certificate) + ") " + what);
  }
}
