package org.opencluster.protocol.pki;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Builds certificates the project's CA refuses to make, for the validator's negative tests:
 * any extension, any issuer name, any signing key.
 */
final class CertificateForge {

  private static final AtomicLong SERIAL = new AtomicLong(1000);

  private X500Name subject = new X500Name("CN=forged");
  private X500Name issuer;
  private PublicKey publicKey;
  private PrivateKey signingKey;
  private String signatureAlgorithm = "SHA256withECDSA";
  private Instant notBefore = Instant.parse("2025-01-01T00:00:00Z");
  private Instant notAfter = Instant.parse("2030-01-01T00:00:00Z");
  private Integer pathLength;
  private boolean ca;
  private boolean basicConstraints = true;
  private Integer keyUsage = KeyUsage.digitalSignature;
  private final List<KeyPurposeId> extendedKeyUsage = new ArrayList<>();
  private final List<String> uris = new ArrayList<>();
  private String criticalExtensionOid;
  private final List<GeneralName> otherNames = new ArrayList<>();

  static CertificateForge leaf(PublicKey key, String... identityUris) {
    CertificateForge forge = new CertificateForge();
    forge.publicKey = key;
    forge.uris.addAll(List.of(identityUris));
    forge.extendedKeyUsage.add(KeyPurposeId.id_kp_clientAuth);
    forge.extendedKeyUsage.add(KeyPurposeId.id_kp_serverAuth);
    return forge;
  }

  static CertificateForge ca(PublicKey key, String name, String identityUri, int pathLength) {
    CertificateForge forge = new CertificateForge();
    forge.publicKey = key;
    forge.subject = new X500Name("CN=" + name);
    forge.ca = true;
    forge.pathLength = pathLength;
    forge.keyUsage = KeyUsage.keyCertSign | KeyUsage.cRLSign;
    if (identityUri != null) {
      forge.uris.add(identityUri);
    }
    return forge;
  }

  CertificateForge subject(String dn) {
    subject = new X500Name(dn);
    return this;
  }

  CertificateForge issuedBy(X509Certificate issuerCertificate, PrivateKey issuerKey) {
    issuer = X500Name.getInstance(issuerCertificate.getSubjectX500Principal().getEncoded());
    signingKey = issuerKey;
    return this;
  }

  CertificateForge selfSigned(KeyPair keys) {
    issuer = subject;
    signingKey = keys.getPrivate();
    return this;
  }

  CertificateForge signatureAlgorithm(String algorithm) {
    signatureAlgorithm = algorithm;
    return this;
  }

  CertificateForge validity(Instant from, Instant to) {
    notBefore = from;
    notAfter = to;
    return this;
  }

  CertificateForge noBasicConstraints() {
    basicConstraints = false;
    return this;
  }

  CertificateForge notCa() {
    ca = false;
    pathLength = null;
    return this;
  }

  CertificateForge keyUsage(Integer bits) {
    keyUsage = bits;
    return this;
  }

  CertificateForge extendedKeyUsage(KeyPurposeId... purposes) {
    extendedKeyUsage.clear();
    extendedKeyUsage.addAll(List.of(purposes));
    return this;
  }

  CertificateForge dnsName(String name) {
    otherNames.add(new GeneralName(GeneralName.dNSName, name));
    return this;
  }

  CertificateForge ipAddress(String address) {
    otherNames.add(new GeneralName(GeneralName.iPAddress, address));
    return this;
  }

  CertificateForge criticalExtension(String oid) {
    criticalExtensionOid = oid;
    return this;
  }

  X509Certificate build() throws Exception {
    JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(notBefore), Date.from(notAfter), subject, publicKey);
    if (basicConstraints) {
      builder.addExtension(Extension.basicConstraints, true,
          ca ? new BasicConstraints(pathLength) : new BasicConstraints(false));
    }
    if (keyUsage != null) {
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
    }
    if (!ca && !extendedKeyUsage.isEmpty()) {
      builder.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(extendedKeyUsage.toArray(KeyPurposeId[]::new)));
    }
    List<GeneralName> names = new ArrayList<>();
    uris.forEach(u -> names.add(new GeneralName(GeneralName.uniformResourceIdentifier, u)));
    names.addAll(otherNames);
    if (!names.isEmpty()) {
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
    }
    if (criticalExtensionOid != null) {
      builder.addExtension(new ASN1ObjectIdentifier(criticalExtensionOid), true, new DEROctetString(new byte[] {5, 0}));
    }
    return new JcaX509CertificateConverter()
        .getCertificate(builder.build(new JcaContentSignerBuilder(signatureAlgorithm).build(signingKey)));
  }
}
