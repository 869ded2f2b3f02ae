package org.opencluster.protocol.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.opencluster.protocol.pki.TestPki.CLOCK;
import static org.opencluster.protocol.pki.TestPki.NOW;

import java.net.InetAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.crypto.EcKeys;

class CertificateAuthorityTest {

  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  private final TestPki pki = new TestPki();
  private final KeyPair leafKeys = EcKeys.generate();

  CertificateAuthorityTest() throws Exception {}

  @Test
  void root_isASelfSignedCaWithPathLengthOne() throws Exception {
    X509Certificate root = pki.rootCertificate();
    root.verify(root.getPublicKey());
    assertThat(root.getBasicConstraints()).isEqualTo(1);
    assertThat(root.getKeyUsage()[5]).as("keyCertSign").isTrue();
    assertThat(root.getKeyUsage()[6]).as("cRLSign").isTrue();
    assertThat(root.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
    assertThat(Certificates.identityOf(root)).isEqualTo(Identity.ROOT_CA);
    assertThat(root.getSubjectX500Principal().getName()).isEqualTo("CN=OpenCluster root CA,O=test-cluster");
    assertThat(pki.root.clusterName()).isEqualTo("test-cluster");
  }

  @Test
  void agentCa_isSignedByTheRootWithPathLengthZero() throws Exception {
    X509Certificate agent = pki.agentCertificate();
    agent.verify(pki.rootCertificate().getPublicKey());
    assertThat(agent.getBasicConstraints()).isZero();
    assertThat(agent.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
    assertThat(agent.getCriticalExtensionOIDs()).contains("2.5.29.30");
    assertThat(Certificates.identityOf(agent)).isEqualTo(Identity.AGENT_CA);
    assertThat(pki.agentCa.chain()).containsExactly(agent, pki.rootCertificate());
  }

  @Test
  void controllerCertificate_carriesIdentityHostNamesAndAddresses() throws Exception {
    SubjectAltNames names = new SubjectAltNames(List.of("ctl-1.example.net"), List.of(InetAddress.getByName("127.0.0.1")));
    X509Certificate controller = pki.root.issue(Identity.controller("ctl-1"), leafKeys.getPublic(), Duration.ofDays(365), names);
    assertThat(Certificates.identityOf(controller)).isEqualTo(Identity.controller("ctl-1"));
    assertThat(controller.getSubjectAlternativeNames()).contains(
        List.of(6, "opencluster://controller/ctl-1"), List.of(2, "ctl-1.example.net"), List.of(7, "127.0.0.1"));
    assertThat(controller.getExtendedKeyUsage()).containsExactlyInAnyOrder(SERVER_AUTH, CLIENT_AUTH);
    assertThat(controller.getBasicConstraints()).isEqualTo(-1);
    assertThat(controller.getKeyUsage()[0]).as("digitalSignature").isTrue();
    assertThat(controller.getSubjectX500Principal().getName()).isEqualTo("CN=ctl-1,OU=controller,O=test-cluster");
  }

  @Test
  void operatorCertificate_carriesTheRoleAndOnlyClientAuth() throws Exception {
    X509Certificate operator = pki.root.issue(Identity.operator("alice", Role.ADMIN), leafKeys.getPublic(), Duration.ofDays(30), SubjectAltNames.NONE);
    assertThat(Certificates.identityOf(operator).role()).contains(Role.ADMIN);
    assertThat(operator.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
    assertThat(operator.getSubjectX500Principal().getName()).isEqualTo("CN=alice,OU=admin,O=test-cluster");
  }

  @Test
  void nodeCertificate_isIssuedByTheAgentCa() throws Exception {
    X509Certificate node = pki.agentCa.issue(Identity.node("n-1"), leafKeys.getPublic(), Duration.ofHours(24), SubjectAltNames.NONE);
    node.verify(pki.agentCertificate().getPublicKey());
    assertThat(node.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
    assertThat(node.getSubjectX500Principal().getName()).isEqualTo("OU=node,O=test-cluster");
  }

  @Test
  void nodeWithHostNames_isRefused() {
    SubjectAltNames names = new SubjectAltNames(List.of("n-1.acme.internal"), List.of());
    assertThatThrownBy(() -> pki.agentCa.issue(Identity.node("n-1"), leafKeys.getPublic(), Duration.ofHours(1), names))
        .isInstanceOf(CertificateIssuanceException.class)
        .hasMessageContaining("only controllers serve TLS");
  }

  @Test
  void rootOnAnRsaKey_isRefused() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    assertThatThrownBy(() -> CertificateAuthority.createRoot(rsa.generateKeyPair(), "c", Duration.ofDays(1), CLOCK))
        .isInstanceOf(CertificateIssuanceException.class);
  }

  @Test
  void issuingFromAnExpiredCa_isRefused() throws Exception {
    java.time.Clock later = java.time.Clock.fixed(NOW.plus(Duration.ofDays(1826)), java.time.ZoneOffset.UTC);
    CertificateAuthority expired = CertificateAuthority.load(pki.agentCa.chain(), pki.agentKeys.getPrivate(), later);
    assertThatThrownBy(() -> expired.issue(Identity.node("n-1"), leafKeys.getPublic(), Duration.ofHours(1), SubjectAltNames.NONE))
        .isInstanceOf(CertificateIssuanceException.class)
        .hasMessageContaining("is not valid now");
  }

  @Test
  void loadingABrokenChain_isRefused() throws Exception {
    TestPki other = new TestPki("other");
    assertThatThrownBy(() -> CertificateAuthority.load(List.of(pki.agentCertificate(), other.rootCertificate()),
            pki.agentKeys.getPrivate(), CLOCK))
        .isInstanceOf(CertificateIssuanceException.class)
        .hasMessageContaining("chain is broken");
  }

  @Test
  void validity_startsOneMinuteBeforeIssuingAndLastsTheRequestedTime() throws Exception {
    X509Certificate controller = pki.root.issue(Identity.controller("ctl-1"), leafKeys.getPublic(), Duration.ofDays(90), SubjectAltNames.NONE);
    assertThat(controller.getNotBefore().toInstant()).isEqualTo(NOW.minus(Duration.ofMinutes(1)));
    assertThat(controller.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(90)));
  }

  @Test
  void serialNumbers_arePositiveAndDistinct() throws Exception {
    Set<java.math.BigInteger> serials = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      X509Certificate c = pki.root.issue(Identity.controller("ctl-" + i), leafKeys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE);
      assertThat(c.getSerialNumber().signum()).isPositive();
      assertThat(c.getSerialNumber().bitLength()).isGreaterThan(120);
      serials.add(c.getSerialNumber());
    }
    assertThat(serials).hasSize(50);
  }

  @Test
  void root_refusesToIssueNodeCertificates() {
    assertThatThrownBy(() -> pki.root.issue(Identity.node("n-1"), leafKeys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE))
        .isInstanceOf(CertificateIssuanceException.class)
        .hasMessageContaining("may not issue node certificates");
  }

  @Test
  void agentCa_refusesToIssueControllerOrOperatorCertificates() {
    assertThatThrownBy(() -> pki.agentCa.issue(Identity.controller("ctl-1"), leafKeys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE))
        .isInstanceOf(CertificateIssuanceException.class);
    assertThatThrownBy(() -> pki.agentCa.issue(Identity.operator("eve", Role.ADMIN), leafKeys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE))
        .isInstanceOf(CertificateIssuanceException.class);
    assertThatThrownBy(() -> pki.agentCa.createAgentCa(EcKeys.generate(), Duration.ofDays(1)))
        .isInstanceOf(CertificateIssuanceException.class);
  }

  @Test
  void validityBeyondTheCa_isRefused() {
    assertThatThrownBy(() -> pki.root.issue(Identity.controller("ctl-1"), leafKeys.getPublic(), Duration.ofDays(3651), SubjectAltNames.NONE))
        .isInstanceOf(CertificateIssuanceException.class)
        .hasMessageContaining("ask for a shorter validity");
  }

  @Test
  void nonPositiveValidity_isRefused() {
    assertThatThrownBy(() -> pki.root.issue(Identity.controller("ctl-1"), leafKeys.getPublic(), Duration.ZERO, SubjectAltNames.NONE))
        .isInstanceOf(CertificateIssuanceException.class);
  }

  @Test
  void keyNotOnP256_isRefused() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    assertThatThrownBy(() -> pki.root.issue(Identity.controller("ctl-1"), rsa.generateKeyPair().getPublic(), Duration.ofDays(1), SubjectAltNames.NONE))
        .isInstanceOf(CertificateIssuanceException.class)
        .hasMessageContaining("P-256");
  }

  @Test
  void operatorWithHostNames_isRefused() {
    SubjectAltNames names = new SubjectAltNames(List.of("alice.example.net"), List.of());
    assertThatThrownBy(() -> pki.root.issue(Identity.operator("alice", Role.ADMIN), leafKeys.getPublic(), Duration.ofDays(1), names))
        .isInstanceOf(CertificateIssuanceException.class);
  }

  @Test
  void invalidClusterName_isRefused() {
    assertThatThrownBy(() -> CertificateAuthority.createRoot(EcKeys.generate(), "bad,name=x", Duration.ofDays(1), CLOCK))
        .isInstanceOf(CertificateIssuanceException.class)
        .hasMessageContaining("invalid cluster name");
  }

  @Test
  void certificateRequest_isIssuedForTheIdentityItAsksFor() throws Exception {
    CertificateRequest request = CertificateRequest.create(leafKeys, Identity.node("n-9"));
    X509Certificate node = pki.agentCa.issue(request, Identity.node("n-9"), Duration.ofHours(1), SubjectAltNames.NONE);
    assertThat(node.getPublicKey()).isEqualTo(leafKeys.getPublic());
    assertThat(Certificates.identityOf(node)).isEqualTo(Identity.node("n-9"));
  }

  @Test
  void certificateRequestForAnotherIdentity_isRefused() throws Exception {
    CertificateRequest request = CertificateRequest.create(leafKeys, Identity.node("n-9"));
    assertThatThrownBy(() -> pki.agentCa.issue(request, Identity.node("n-10"), Duration.ofHours(1), SubjectAltNames.NONE))
        .isInstanceOf(CertificateIssuanceException.class)
        .hasMessageContaining("asks for opencluster://node/n-9");
  }

  @Test
  void certificateRequestSignedByAnotherKey_isRefused() throws Exception {
    ExtensionsGenerator extensions = new ExtensionsGenerator();
    extensions.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, "opencluster://node/n-9")));
    byte[] forged = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=n-9"), leafKeys.getPublic())
        .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(EcKeys.generate().getPrivate()))
        .getEncoded();
    CertificateRequest request = CertificateRequest.fromDer(forged);
    assertThatThrownBy(() -> pki.agentCa.issue(request, Identity.node("n-9"), Duration.ofHours(1), SubjectAltNames.NONE))
        .isInstanceOf(CertificateIssuanceException.class)
        .hasMessageContaining("signature does not verify");
  }

  @Test
  void certificateRequestSignedWithSha1_isRefused() throws Exception {
    ExtensionsGenerator extensions = new ExtensionsGenerator();
    extensions.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, "opencluster://node/n-9")));
    byte[] sha1 = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=n-9"), leafKeys.getPublic())
        .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
        .build(new JcaContentSignerBuilder("SHA1withECDSA").build(leafKeys.getPrivate()))
        .getEncoded();
    CertificateRequest request = CertificateRequest.fromDer(sha1);
    assertThatThrownBy(() -> pki.agentCa.issue(request, Identity.node("n-9"), Duration.ofHours(1), SubjectAltNames.NONE))
        .isInstanceOf(CertificateIssuanceException.class)
        .hasMessageContaining("ECDSA/SHA-256");
  }

  @Test
  void certificateRequestForTwoIdentitiesOrAHostName_isRefused() throws Exception {
    for (GeneralName[] names : new GeneralName[][] {
        {new GeneralName(GeneralName.uniformResourceIdentifier, "opencluster://node/a"),
            new GeneralName(GeneralName.uniformResourceIdentifier, "opencluster://node/b")},
        {new GeneralName(GeneralName.uniformResourceIdentifier, "opencluster://node/a"),
            new GeneralName(GeneralName.dNSName, "a.example.net")}}) {
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      byte[] der = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=a"), leafKeys.getPublic())
          .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
          .build(new JcaContentSignerBuilder("SHA256withECDSA").build(leafKeys.getPrivate()))
          .getEncoded();
      assertThatThrownBy(() -> CertificateRequest.fromDer(der)).isInstanceOf(java.security.cert.CertificateException.class);
    }
  }

  @Test
  void loadingWithAnotherKey_isRefused() {
    assertThatThrownBy(() -> CertificateAuthority.load(pki.agentCa.chain(), EcKeys.generate().getPrivate(), CLOCK))
        .isInstanceOf(CertificateIssuanceException.class)
        .hasMessageContaining("does not belong");
  }

  @Test
  void loadingAnEndEntityCertificate_isRefused() throws Exception {
    X509Certificate controller = pki.root.issue(Identity.controller("ctl-1"), leafKeys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE);
    assertThatThrownBy(() -> CertificateAuthority.load(List.of(controller), leafKeys.getPrivate(), CLOCK))
        .isInstanceOf(CertificateIssuanceException.class)
        .hasMessageContaining("not a CA");
  }

  @Test
  void loadedCa_issuesLikeTheOriginal() throws Exception {
    CertificateAuthority loaded = CertificateAuthority.load(pki.agentCa.chain(), pki.agentKeys.getPrivate(), CLOCK);
    X509Certificate node = loaded.issue(Identity.node("n-1"), leafKeys.getPublic(), Duration.ofHours(1), SubjectAltNames.NONE);
    node.verify(pki.agentCertificate().getPublicKey());
    assertThat(loaded.toString()).contains("[secret]").doesNotContain("PRIVATE");
  }

  @Test
  void serviceCa_isSignedByTheRootForServerAndClientAuth() throws Exception {
    X509Certificate service = pki.serviceCa.certificate();
    service.verify(pki.rootCertificate().getPublicKey());
    assertThat(service.getBasicConstraints()).isZero();
    assertThat(service.getExtendedKeyUsage()).containsExactlyInAnyOrder(SERVER_AUTH, CLIENT_AUTH);
    assertThat(Certificates.identityOf(service)).isEqualTo(Identity.SERVICE_CA);
    assertThat(service.getExtensionValue(Extension.nameConstraints.getId())).isNull();
  }

  @Test
  void serviceCertificate_carriesItsNamesAndNoIdentity() throws Exception {
    SubjectAltNames names = new SubjectAltNames(List.of("web-1.acme.example", "web.acme.example"),
        List.of(InetAddress.getByName("10.0.0.7")));
    X509Certificate certificate = pki.serviceCa.issueService(leafKeys.getPublic(), names, Duration.ofHours(24));
    certificate.verify(pki.serviceCa.certificate().getPublicKey());
    assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
    assertThat(certificate.getExtendedKeyUsage()).containsExactlyInAnyOrder(SERVER_AUTH, CLIENT_AUTH);
    assertThat(certificate.getSubjectX500Principal().getName()).contains("CN=web-1.acme.example", "OU=service");
    assertThat(certificate.getSubjectAlternativeNames().stream().map(n -> (Object) n.get(1)).toList())
        .containsExactly("web-1.acme.example", "web.acme.example", "10.0.0.7");
    assertThatThrownBy(() -> Certificates.identityOf(certificate))
        .isInstanceOf(java.security.cert.CertificateException.class);
  }

  @Test
  void onlyTheServiceCa_issuesServiceCertificates() {
    SubjectAltNames names = new SubjectAltNames(List.of("web-1.acme.example"), List.of());
    assertThatThrownBy(() -> pki.agentCa.issueService(leafKeys.getPublic(), names, Duration.ofHours(1)))
        .isInstanceOf(CertificateIssuanceException.class).hasMessageContaining("may not issue service certificates");
    assertThatThrownBy(() -> pki.root.issueService(leafKeys.getPublic(), names, Duration.ofHours(1)))
        .isInstanceOf(CertificateIssuanceException.class).hasMessageContaining("may not issue service certificates");
  }

  @Test
  void serviceCa_refusesToIssueOpenClusterIdentities() {
    assertThatThrownBy(() -> pki.serviceCa.issue(Identity.node("n-1"), leafKeys.getPublic(), Duration.ofHours(1), SubjectAltNames.NONE))
        .isInstanceOf(CertificateIssuanceException.class).hasMessageContaining("may not issue node certificates");
    assertThatThrownBy(() -> pki.serviceCa.issue(Identity.controller("ctl-1"), leafKeys.getPublic(), Duration.ofHours(1),
        SubjectAltNames.NONE)).isInstanceOf(CertificateIssuanceException.class);
    assertThatThrownBy(() -> pki.serviceCa.issue(Identity.operator("eve", Role.ADMIN), leafKeys.getPublic(),
        Duration.ofHours(1), SubjectAltNames.NONE)).isInstanceOf(CertificateIssuanceException.class);
  }

  @Test
  void serviceCertificateWithoutAName_isRefused() {
    assertThatThrownBy(() -> pki.serviceCa.issueService(leafKeys.getPublic(), SubjectAltNames.NONE, Duration.ofHours(1)))
        .isInstanceOf(CertificateIssuanceException.class).hasMessageContaining("at least one");
  }

  @Test
  void serviceCaWithPermittedDomains_refusesNamesOutsideThem() throws Exception {
    CertificateAuthority limited = pki.root.createServiceCa(EcKeys.generate(), Duration.ofDays(30), List.of("acme.example"));
    assertThat(limited.certificate().getExtensionValue(Extension.nameConstraints.getId())).isNotNull();
    limited.issueService(leafKeys.getPublic(), new SubjectAltNames(List.of("web-1.acme.example"), List.of()), Duration.ofHours(1));
    assertThatThrownBy(() -> limited.issueService(leafKeys.getPublic(),
        new SubjectAltNames(List.of("web-1.acme.example", "bank.example"), List.of()), Duration.ofHours(1)))
        .isInstanceOf(CertificateIssuanceException.class).hasMessageContaining("bank.example");
    assertThatThrownBy(() -> limited.issueService(leafKeys.getPublic(),
        new SubjectAltNames(List.of(), List.of(InetAddress.getByName("10.0.0.7"))), Duration.ofHours(1)))
        .isInstanceOf(CertificateIssuanceException.class).hasMessageContaining("outside");
  }

  @Test
  void serviceCaWithAnInvalidPermittedDomain_isRefused() {
    assertThatThrownBy(() -> pki.root.createServiceCa(EcKeys.generate(), Duration.ofDays(30), List.of("not a domain")))
        .isInstanceOf(CertificateIssuanceException.class).hasMessageContaining("permitted domain");
  }

  @Test
  void serviceCertificateOutlastingTheServiceCa_isRefused() {
    assertThatThrownBy(() -> pki.serviceCa.issueService(leafKeys.getPublic(),
        new SubjectAltNames(List.of("web-1.acme.example"), List.of()), Duration.ofDays(4000)))
        .isInstanceOf(CertificateIssuanceException.class).hasMessageContaining("shorter validity");
  }
}
