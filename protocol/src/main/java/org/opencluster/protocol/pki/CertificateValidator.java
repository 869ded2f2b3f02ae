package org.opencluster.protocol.pki;

import static org.opencluster.protocol.pki.CertificateValidationException.Reason.*;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.SignatureException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraintValidatorException;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.PKIXNameConstraintValidator;
import org.bouncycastle.cert.X509CertificateHolder;
import org.opencluster.protocol.crypto.EcKeys;

/**
 * Validates a presented certificate chain against the cluster's trust anchors and returns the
 * identity it proves. Checks, with a {@link CertificateValidationException.Reason} for each
 * refusal:
 *
 * <ol>
 *   <li>a path exists from the end-entity certificate to a trust anchor, each link named by
 *       issuer and proven by signature ({@code UNKNOWN_ISSUER}, {@code BAD_SIGNATURE});
 *   <li>every certificate on it, anchor included, is valid at the given instant and carries no
 *       critical extension this validator does not understand;
 *   <li>every issuer is a CA allowed to sign certificates, within its path length;
 *   <li>the end entity is not a CA, holds an EC P-256 key with the digitalSignature key usage,
 *       and carries exactly one OpenCluster identity of a kind the caller accepts;
 *   <li>the requested use (TLS client or server) is one its profile allows, is in its extended
 *       key usage, and in that of every CA above it that limits it;
 *   <li>every name on the path is within the name constraints of the CAs above it;
 *   <li>each certificate came from the CA its profile names ({@link CertificateProfile});
 *   <li>nothing on the path is revoked.
 * </ol>
 *
 * Thread-safe and immutable.
 */
public final class CertificateValidator {

  private static final int MAX_PATH = 4;
  private static final Set<String> UNDERSTOOD_CRITICAL =
      Set.of("2.5.29.15", "2.5.29.17", "2.5.29.19", "2.5.29.30", "2.5.29.37");
  private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
  private static final int KU_DIGITAL_SIGNATURE = 0;
  private static final int KU_KEY_CERT_SIGN = 5;
  private static final int MAX_NAME_IN_MESSAGE = 120;

  private final List<X509Certificate> anchors;
  private final Predicate<X509Certificate> revoked;

  private CertificateValidator(List<X509Certificate> anchors, Predicate<X509Certificate> revoked) {
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
    return new CertificateValidator(List.copyOf(anchors), certificate -> false);
  }

  /**
   * The same validator, also refusing any path holding a certificate for which {@code revoked}
   * is true (a deny list keyed by issuer and serial, or by key).
   */
  public CertificateValidator withRevocation(Predicate<X509Certificate> revoked) {
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
    }
    for (int i = 1; i < path.size(); i++) {
      checkIssuer(path.get(i), i - 1);
    }
    X509Certificate leaf = path.get(0);
    Identity identity = checkLeaf(leaf, accepted);
    checkUsage(path, identity, usage);
    checkNameConstraints(path);
    checkIssuancePolicy(path, identity);
    for (X509Certificate certificate : path) {
      if (revoked.test(certificate)) {
        throw refuse(REVOKED, certificate, "is revoked");
      }
    }
    return identity;
  }

  private List<X509Certificate> buildPath(List<X509Certificate> chain) throws CertificateValidationException {
    List<X509Certificate> path = new ArrayList<>();
    X509Certificate current = chain.get(0);
    path.add(current);
    List<X509Certificate> intermediates = chain.subList(1, chain.size());
    while (path.size() < MAX_PATH) {
      Candidate anchor = findIssuer(current, anchors);
      if (anchor.certificate != null) {
        if (!anchor.certificate.equals(current)) {
          path.add(anchor.certificate);
        }
        return path;
      }
      Candidate next = findIssuer(current, intermediates);
      if (next.certificate == null || path.contains(next.certificate)) {
        if (anchor.named || next.named) {
          throw refuse(BAD_SIGNATURE, current, "is not signed by the CA it names as issuer");
        }
        throw refuse(UNKNOWN_ISSUER, current, "was not issued by a trusted CA");
      }
      path.add(next.certificate);
      current = next.certificate;
    }
    throw new CertificateValidationException(MALFORMED_CHAIN, "certificate path is longer than " + MAX_PATH);
  }

  /** A certificate whose subject names the issuer and whose key verifies; whether any was named. */
  private record Candidate(X509Certificate certificate, boolean named) {}

  private static Candidate findIssuer(X509Certificate certificate, List<X509Certificate> candidates) {
    boolean named = false;
    for (X509Certificate candidate : candidates) {
      if (!candidate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
        continue;
      }
      named = true;
      try {
        certificate.verify(candidate.getPublicKey());
        return new Candidate(candidate, true);
      } catch (SignatureException | InvalidKeyException e) {
        // Not this one: another CA may share the name (a key rollover); keep looking.
      } catch (GeneralSecurityException e) {
        // An algorithm this JVM cannot check is as good as a bad signature.
      }
    }
    return new Candidate(null, named);
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

  private static Identity checkLeaf(X509Certificate leaf, Set<Identity.Kind> accepted)
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
    Identity identity;
    try {
      identity = Certificates.identityOf(leaf);
    } catch (CertificateException e) {
      throw refuse(INVALID_IDENTITY, leaf, sanitize(e.getMessage()));
    }
    if (!accepted.contains(identity.kind())) {
      throw refuse(WRONG_IDENTITY_KIND, leaf, "speaks for " + identity + ", which is not accepted here");
    }
    return identity;
  }

  /** The use must be one the identity's profile allows, and in every extended key usage on the path. */
  private static void checkUsage(List<X509Certificate> path, Identity identity, CertificateProfile.Usage usage)
      throws CertificateValidationException {
    String name = usage.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    if (!CertificateProfile.forIdentity(identity).usages().contains(usage)) {
      throw refuse(WRONG_EXTENDED_KEY_USAGE, path.get(0), "speaks for " + identity + ", which may not act as a " + name);
    }
    for (int i = 0; i < path.size(); i++) {
      X509Certificate certificate = path.get(i);
      List<String> extendedKeyUsage;
      try {
        extendedKeyUsage = certificate.getExtendedKeyUsage();
      } catch (CertificateParsingException e) {
        throw refuse(WRONG_EXTENDED_KEY_USAGE, certificate, "has an unreadable extended key usage");
      }
      boolean leaf = i == 0;
      if (extendedKeyUsage == null) {
        if (leaf) {
          throw refuse(WRONG_EXTENDED_KEY_USAGE, certificate, "has no extended key usage");
        }
        continue;
      }
      if (!extendedKeyUsage.contains(usage.oid()) && (leaf || !extendedKeyUsage.contains(ANY_EXTENDED_KEY_USAGE))) {
        throw refuse(WRONG_EXTENDED_KEY_USAGE, certificate, (leaf ? "is not for " : "allows nothing below it for ") + name);
      }
    }
  }

  /** RFC 5280 §6.1: names of each certificate within the constraints of the CAs above it. */
  private static void checkNameConstraints(List<X509Certificate> path) throws CertificateValidationException {
    PKIXNameConstraintValidator constraints = new PKIXNameConstraintValidator();
    for (int i = path.size() - 1; i >= 0; i--) {
      X509Certificate certificate = path.get(i);
      X509CertificateHolder holder;
      try {
        holder = new X509CertificateHolder(certificate.getEncoded());
      } catch (CertificateEncodingException | IOException e) {
        throw refuse(MALFORMED_CHAIN, certificate, "cannot be parsed");
      }
      boolean selfIssued = certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal());
      if (i < path.size() - 1 && !selfIssued) {
        try {
          X500Name subject = holder.getSubject();
          constraints.checkPermittedDN(subject);
          constraints.checkExcludedDN(subject);
          GeneralNames names = GeneralNames.fromExtensions(holder.getExtensions(), Extension.subjectAlternativeName);
          if (names != null) {
            for (GeneralName name : names.getNames()) {
              constraints.checkPermitted(name);
              constraints.checkExcluded(name);
            }
          }
        } catch (NameConstraintValidatorException e) {
          throw refuse(NAME_NOT_PERMITTED, certificate, "carries a name its issuer may not certify: " + sanitize(e.getMessage()));
        }
      }
      Extension extension = holder.getExtension(Extension.nameConstraints);
      if (extension != null) {
        NameConstraints nameConstraints = NameConstraints.getInstance(extension.getParsedValue());
        if (nameConstraints.getPermittedSubtrees() != null) {
          constraints.intersectPermittedSubtree(nameConstraints.getPermittedSubtrees());
        }
        if (nameConstraints.getExcludedSubtrees() != null) {
          for (GeneralSubtree excluded : nameConstraints.getExcludedSubtrees()) {
            constraints.addExcludedSubtree(excluded);
          }
        }
      }
    }
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
        throw refuse(ISSUER_NOT_ALLOWED, issuer, "is not an OpenCluster CA: " + sanitize(e.getMessage()));
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
        "certificate '" + sanitize(certificate.getSubjectX500Principal().getName()) + "' (serial "
            + Certificates.serialHex(certificate) + ") " + what);
  }

  /**
   * Names in a certificate that is not yet trusted, and any other text a peer chose, are
   * attacker-chosen: keep them printable and short before they reach a message or a log.
   */
  public static String sanitize(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < MAX_NAME_IN_MESSAGE; i++) {
      char c = text.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (out.length() >= MAX_NAME_IN_MESSAGE) {
      out.append("...");
    }
    return out.toString();
  }
}
