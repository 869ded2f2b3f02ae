package org.opencluster.protocol.pki;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.SignatureException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraintValidatorException;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.PKIXNameConstraintValidator;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.opencluster.protocol.crypto.EcKeys;

/**
 * A certificate authority of the cluster: the self-signed root, or the agent CA or service CA it
 * signs. Issues
 * certificates by the rules of {@link CertificateProfile}; refuses anything else. Keys are EC
 * P-256, signatures ECDSA with SHA-256, serial numbers 128 random bits.
 *
 * <p>Validity starts one minute before the issuing instant (clock skew between hosts) and never
 * outlasts the issuing CA.
 */
public final class CertificateAuthority {

  static final Duration BACKDATE = Duration.ofMinutes(1);
  private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
  private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int KEY_CERT_SIGN = 5;

  private final List<X509Certificate> chain;
  private final PrivateKey key;
  private final Identity identity;
  private final Clock clock;

  /**
   * What the agent CA may put in a certificate besides identity URIs: DNS names only under the
   * reserved {@code invalid} domain (RFC 6761: resolves nowhere) and no IP address. Standard TLS
   * stacks enforce this, so the agent CA's key cannot mint a usable server certificate.
   */
  private static final NameConstraints AGENT_CA_NAME_CONSTRAINTS = new NameConstraints(
      new GeneralSubtree[] {new GeneralSubtree(new GeneralName(GeneralName.dNSName, "invalid"))},
      new GeneralSubtree[] {
          new GeneralSubtree(new GeneralName(GeneralName.iPAddress, new DEROctetString(new byte[8]))),
          new GeneralSubtree(new GeneralName(GeneralName.iPAddress, new DEROctetString(new byte[32])))});

  private CertificateAuthority(List<X509Certificate> chain, PrivateKey key, Identity identity, Clock clock) {
    this.chain = List.copyOf(chain);
    this.key = key;
    this.identity = identity;
    this.clock = clock;
  }

  /**
   * Makes the cluster's self-signed root CA.
   *
   * @param clusterName the organisation in every subject this CA issues
   */
  public static CertificateAuthority createRoot(KeyPair keys, String clusterName, Duration validity, Clock clock)
      throws CertificateIssuanceException {
    requireP256(keys.getPublic());
    if (clusterName == null || !CLUSTER_NAME.matcher(clusterName).matches()) {
      throw new CertificateIssuanceException(
          "invalid cluster name '" + clusterName + "': 1..64 characters of letters, digits, space, '.', '_', '-'");
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    X500Name subject = caName("OpenCluster root CA", clusterName);
    X509Certificate root =
        build(subject, subject, keys.getPublic(), keys.getPrivate(), null, CertificateProfile.ROOT_CA,
            CertificateProfile.ROOT_CA.usages(), null, generalNames(Identity.ROOT_CA, SubjectAltNames.NONE),
            now.minus(BACKDATE), now.plus(validity));
    return new CertificateAuthority(List.of(root), keys.getPrivate(), Identity.ROOT_CA, clock);
  }

  /**
   * A CA from its certificate chain (its own certificate first, then its issuers) and its private
   * key.
   *
   * @throws CertificateIssuanceException if the certificate is not an OpenCluster CA or the key
   *     does not belong to it
   */
  public static CertificateAuthority load(List<X509Certificate> chain, PrivateKey key, Clock clock)
      throws CertificateIssuanceException {
    if (chain.isEmpty()) {
      throw new CertificateIssuanceException("a CA needs its certificate");
    }
    X509Certificate certificate = chain.get(0);
    Identity identity;
    try {
      identity = Certificates.identityOf(certificate);
    } catch (CertificateException e) {
      throw new CertificateIssuanceException("not an OpenCluster CA certificate: " + e.getMessage(), e);
    }
    if (identity.kind() != Identity.Kind.CA || certificate.getBasicConstraints() < 0) {
      throw new CertificateIssuanceException("not a CA certificate: " + identity);
    }
    boolean[] keyUsage = certificate.getKeyUsage();
    if (keyUsage == null || !keyUsage[KEY_CERT_SIGN]) {
      throw new CertificateIssuanceException(identity + " certificate may not sign certificates (no keyCertSign)");
    }
    for (int i = 0; i + 1 < chain.size(); i++) {
      try {
        chain.get(i).verify(chain.get(i + 1).getPublicKey());
      } catch (GeneralSecurityException e) {
        throw new CertificateIssuanceException("CA chain is broken: certificate " + i + " is not signed by certificate " + (i + 1), e);
      }
    }
    requireKeyMatches(certificate.getPublicKey(), key);
    return new CertificateAuthority(chain, key, identity, clock);
  }

  /** The root issues the agent CA, which issues node certificates. */
  public CertificateAuthority createAgentCa(KeyPair keys, Duration validity) throws CertificateIssuanceException {
    return createSubordinate(Identity.AGENT_CA, "OpenCluster agent CA", keys, validity, AGENT_CA_NAME_CONSTRAINTS);
  }

  /**
   * The root issues the service CA, which issues TLS certificates for the applications on the
   * nodes.
   *
   * @param permittedDnsDomains the only DNS domains (and their subdomains) it may certify; empty for
   *     any. With any given, it may certify no IP address either.
   */
  public CertificateAuthority createServiceCa(KeyPair keys, Duration validity, List<String> permittedDnsDomains)
      throws CertificateIssuanceException {
    NameConstraints constraints = null;
    if (!permittedDnsDomains.isEmpty()) {
      try {
        new SubjectAltNames(permittedDnsDomains, List.of());
      } catch (IllegalArgumentException e) {
        throw new CertificateIssuanceException("permitted domain refused: " + e.getMessage(), e);
      }
      constraints = new NameConstraints(
          permittedDnsDomains.stream().map(d -> new GeneralSubtree(new GeneralName(GeneralName.dNSName, d)))
              .toArray(GeneralSubtree[]::new),
          AGENT_CA_NAME_CONSTRAINTS.getExcludedSubtrees());
    }
    return createSubordinate(Identity.SERVICE_CA, "OpenCluster service CA", keys, validity, constraints);
  }

  private CertificateAuthority createSubordinate(Identity subordinate, String commonName, KeyPair keys,
      Duration validity, NameConstraints constraints) throws CertificateIssuanceException {
    X509Certificate certificate = issueFor(subordinate, keys.getPublic(), validity, SubjectAltNames.NONE,
        caName(commonName, clusterName()), constraints);
    List<X509Certificate> subordinateChain = new ArrayList<>();
    subordinateChain.add(certificate);
    subordinateChain.addAll(chain);
    return new CertificateAuthority(subordinateChain, keys.getPrivate(), subordinate, clock);
  }

  /**
   * Issues a TLS certificate for an application on a node: its DNS names and IP addresses, for
   * server and client authentication, and no OpenCluster identity (no OpenCluster component
   * accepts it). Only the service CA issues these.
   *
   * @throws CertificateIssuanceException if this is not the service CA, there is no name, a name is
   *     outside the service CA's permitted domains, the key is not P-256, or the validity would
   *     outlast this CA
   */
  public X509Certificate issueService(PublicKey publicKey, SubjectAltNames names, Duration validity)
      throws CertificateIssuanceException {
    if (!identity.equals(Identity.SERVICE_CA)) {
      throw new CertificateIssuanceException(identity + " may not issue service certificates; they come from "
          + Identity.SERVICE_CA);
    }
    if (names.isEmpty()) {
      throw new CertificateIssuanceException("a service certificate needs at least one DNS name or IP address");
    }
    List<GeneralName> altNames = generalNames(null, names);
    checkPermitted(altNames);
    X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, clusterName())
        .addRDN(BCStyle.OU, "service");
    String commonName = names.dnsNames().isEmpty() ? names.ipAddresses().get(0).getHostAddress() : names.dnsNames().get(0);
    if (commonName.length() <= 64) {
      subject.addRDN(BCStyle.CN, commonName);
    }
    return issueChecked(null, CertificateProfile.SERVICE_CA, publicKey, validity, altNames, subject.build(), null);
  }

  /**
   * Issues an end-entity certificate for {@code subject} on {@code publicKey}.
   *
   * @param altNames DNS names and IP addresses; only controllers may have them
   * @throws CertificateIssuanceException if this CA may not issue for {@code subject}, the key is
   *     not P-256, or the validity would outlast this CA
   */
  public X509Certificate issue(Identity subject, PublicKey publicKey, Duration validity, SubjectAltNames altNames)
      throws CertificateIssuanceException {
    if (subject.kind() == Identity.Kind.CA) {
      throw new CertificateIssuanceException("CA certificates are made with createRoot, createAgentCa or createServiceCa");
    }
    if (subject.kind() != Identity.Kind.CONTROLLER && !altNames.isEmpty()) {
      throw new CertificateIssuanceException(subject.kind().name().toLowerCase(Locale.ROOT)
          + " certificates carry no DNS names or IP addresses: only controllers serve TLS");
    }
    X500NameBuilder name = new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, clusterName())
        .addRDN(BCStyle.OU, subject.role().map(Role::id).orElse(subject.kind().name().toLowerCase(Locale.ROOT)));
    if (subject.kind() != Identity.Kind.NODE) {
      // A node's subject has no CN: TLS stacks check a CN against the agent CA's DNS name
      // constraints when there is no DNS SAN. The node's name is its identity URI.
      name.addRDN(BCStyle.CN, subject.name());
    }
    return issueFor(subject, publicKey, validity, altNames, name.build(), null);
  }

  /**
   * Issues from a certificate signing request after checking its proof of possession. The
   * identity is the caller's decision, not the request's: {@code subject} must equal what the
   * request asks for, or the request is refused.
   */
  public X509Certificate issue(CertificateRequest request, Identity subject, Duration validity, SubjectAltNames altNames)
      throws CertificateIssuanceException {
    try {
      request.verifyProofOfPossession();
    } catch (SignatureException e) {
      throw new CertificateIssuanceException("certificate request refused: " + e.getMessage(), e);
    }
    if (!subject.equals(request.requestedIdentity())) {
      throw new CertificateIssuanceException(
          "certificate request asks for " + request.requestedIdentity() + ", expected " + subject);
    }
    return issue(subject, request.publicKey(), validity, altNames);
  }

  /** This CA's certificate. */
  public X509Certificate certificate() {
    return chain.get(0);
  }

  /** This CA's certificate followed by its issuers, up to the root. */
  public List<X509Certificate> chain() {
    return chain;
  }

  public Identity identity() {
    return identity;
  }

  /** The organisation (O) of this CA's subject. */
  public String clusterName() {
    String o = X500Name.getInstance(certificate().getSubjectX500Principal().getEncoded())
        .getRDNs(BCStyle.O)[0].getFirst().getValue().toString();
    return Objects.requireNonNull(o);
  }

  @Override
  public String toString() {
    return "CertificateAuthority[" + identity + ", key=[secret]]";
  }

  private X509Certificate issueFor(Identity subject, PublicKey publicKey, Duration validity, SubjectAltNames altNames,
      X500Name subjectName, NameConstraints constraints) throws CertificateIssuanceException {
    CertificateProfile profile = CertificateProfile.forIdentity(subject);
    if (!identity.equals(profile.issuer())) {
      throw new CertificateIssuanceException(
          identity + " may not issue " + subject.kind().name().toLowerCase(Locale.ROOT)
              + " certificates; they come from " + profile.issuer());
    }
    return issueChecked(subject, profile, publicKey, validity, generalNames(subject, altNames), subjectName, constraints);
  }

  /**
   * @param subject the identity the certificate speaks for; null for a service certificate, whose
   *     {@code profile} is then its issuer's (the usages it carries)
   */
  private X509Certificate issueChecked(Identity subject, CertificateProfile profile, PublicKey publicKey,
      Duration validity, List<GeneralName> altNames, X500Name subjectName, NameConstraints constraints)
      throws CertificateIssuanceException {
    requireP256(publicKey);
    if (validity.isNegative() || validity.isZero()) {
      throw new CertificateIssuanceException("validity must be positive: " + validity);
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    X509Certificate issuer = certificate();
    Instant notAfter = now.plus(validity);
    if (now.isBefore(issuer.getNotBefore().toInstant()) || now.isAfter(issuer.getNotAfter().toInstant())) {
      throw new CertificateIssuanceException(identity + " is not valid now (valid "
          + issuer.getNotBefore().toInstant() + " to " + issuer.getNotAfter().toInstant() + ")");
    }
    if (notAfter.isAfter(issuer.getNotAfter().toInstant())) {
      throw new CertificateIssuanceException("requested validity ends " + notAfter + ", after "
          + identity + " itself expires (" + issuer.getNotAfter().toInstant() + "): ask for a shorter validity");
    }
    Instant notBefore = now.minus(BACKDATE);
    if (notBefore.isBefore(issuer.getNotBefore().toInstant())) {
      notBefore = issuer.getNotBefore().toInstant();
    }
    return build(X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()), subjectName, publicKey, key,
        issuer, subject == null ? null : profile, profile.usages(), constraints, altNames, notBefore, notAfter);
  }

  /** @param profile the certificate's profile; null for a service certificate (an end entity) */
  private static X509Certificate build(X500Name issuerName, X500Name subjectName, PublicKey publicKey,
      PrivateKey signingKey, X509Certificate issuer, CertificateProfile profile, List<CertificateProfile.Usage> usages,
      NameConstraints constraints, List<GeneralName> names, Instant notBefore, Instant notAfter)
      throws CertificateIssuanceException {
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          issuerName, serialNumber(), Date.from(notBefore), Date.from(notAfter), subjectName, publicKey);
      if (profile != null && profile.isCa()) {
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(profile.pathLength()));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      }
      if (!usages.isEmpty()) {
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(usages.stream()
            .map(u -> KeyPurposeId.getInstance(new ASN1ObjectIdentifier(u.oid())))
            .toArray(KeyPurposeId[]::new)));
      }
      if (constraints != null) {
        builder.addExtension(Extension.nameConstraints, true, constraints);
      }
      if (!names.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(publicKey));
      builder.addExtension(Extension.authorityKeyIdentifier, false, issuer == null
          ? extensions.createAuthorityKeyIdentifier(publicKey)
          : extensions.createAuthorityKeyIdentifier(issuer.getPublicKey()));
      ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(signingKey);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (CertIOException | OperatorCreationException | GeneralSecurityException e) {
      throw new CertificateIssuanceException("certificate could not be built: " + e.getMessage(), e);
    }
  }

  /** The identity URI (if any), then the DNS names, then the IP addresses. */
  private static List<GeneralName> generalNames(Identity subject, SubjectAltNames altNames) {
    List<GeneralName> names = new ArrayList<>();
    if (subject != null) {
      names.add(new GeneralName(GeneralName.uniformResourceIdentifier, subject.toString()));
    }
    for (String dns : altNames.dnsNames()) {
      names.add(new GeneralName(GeneralName.dNSName, dns));
    }
    for (InetAddress ip : altNames.ipAddresses()) {
      names.add(new GeneralName(GeneralName.iPAddress, ip.getHostAddress()));
    }
    return names;
  }

  /** Refuses names this CA's own name constraints do not allow: no TLS stack would accept them. */
  private void checkPermitted(List<GeneralName> names) throws CertificateIssuanceException {
    byte[] extension = certificate().getExtensionValue(Extension.nameConstraints.getId());
    if (extension == null) {
      return;
    }
    NameConstraints constraints = NameConstraints.getInstance(
        org.bouncycastle.asn1.ASN1OctetString.getInstance(extension).getOctets());
    PKIXNameConstraintValidator validator = new PKIXNameConstraintValidator();
    if (constraints.getPermittedSubtrees() != null) {
      validator.intersectPermittedSubtree(constraints.getPermittedSubtrees());
    }
    if (constraints.getExcludedSubtrees() != null) {
      for (GeneralSubtree excluded : constraints.getExcludedSubtrees()) {
        validator.addExcludedSubtree(excluded);
      }
    }
    for (GeneralName name : names) {
      try {
        validator.checkPermitted(name);
        validator.checkExcluded(name);
      } catch (NameConstraintValidatorException e) {
        throw new CertificateIssuanceException(identity + " may not certify " + name.getName()
            + ": it is outside the domains it was made for", e);
      }
    }
  }

  private static X500Name caName(String commonName, String clusterName) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, clusterName).addRDN(BCStyle.CN, commonName).build();
  }

  private static BigInteger serialNumber() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    bytes[0] = (byte) ((bytes[0] & 0x7f) | 0x40);
    return new BigInteger(bytes);
  }

  private static void requireP256(PublicKey key) throws CertificateIssuanceException {
    try {
      EcKeys.requireValidPublicKey(key);
    } catch (InvalidKeyException e) {
      throw new CertificateIssuanceException("certificate key refused: " + e.getMessage(), e);
    }
  }

  private static void requireKeyMatches(PublicKey publicKey, PrivateKey privateKey) throws CertificateIssuanceException {
    if (!EcKeys.belongTogether(publicKey, privateKey)) {
      throw new CertificateIssuanceException("the private key does not belong to this CA certificate");
    }
  }
}
