package org.opencluster.protocol.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.opencluster.protocol.pki.CertificateProfile.Usage.TLS_CLIENT;
import static org.opencluster.protocol.pki.CertificateProfile.Usage.TLS_SERVER;
import static org.opencluster.protocol.pki.CertificateValidationException.Reason.*;
import static org.opencluster.protocol.pki.TestPki.NOW;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.crypto.EcKeys;

class CertificateValidatorTest {

  private static final Set<Identity.Kind> ANY = EnumSet.of(Identity.Kind.CONTROLLER, Identity.Kind.NODE, Identity.Kind.OPERATOR);

  private final TestPki pki = new TestPki();
  private final CertificateValidator validator = CertificateValidator.trusting(List.of(pki.rootCertificate()));
  private final KeyPair leafKeys = EcKeys.generate();

  CertificateValidatorTest() throws Exception {}

  // ---- what is accepted -------------------------------------------------------------------

  @Test
  void controllerCertificate_validatesAsServerAndClient() throws Exception {
    X509Certificate controller = pki.root.issue(Identity.controller("ctl-1"), leafKeys.getPublic(), Duration.ofDays(30), SubjectAltNames.NONE);
    assertThat(validator.validate(List.of(controller), TLS_SERVER, NOW, ANY)).isEqualTo(Identity.controller("ctl-1"));
    assertThat(validator.validate(List.of(controller), TLS_CLIENT, NOW, ANY)).isEqualTo(Identity.controller("ctl-1"));
  }

  @Test
  void operatorCertificate_provesNameAndRole() throws Exception {
    X509Certificate operator = pki.root.issue(Identity.operator("alice", Role.AUDITOR), leafKeys.getPublic(), Duration.ofDays(30), SubjectAltNames.NONE);
    Identity identity = validator.validate(List.of(operator), TLS_CLIENT, NOW, EnumSet.of(Identity.Kind.OPERATOR));
    assertThat(identity.name()).isEqualTo("alice");
    assertThat(identity.role()).contains(Role.AUDITOR);
  }

  @Test
  void nodeCertificate_validatesThroughTheAgentCa() throws Exception {
    X509Certificate node = pki.agentCa.issue(Identity.node("n-1"), leafKeys.getPublic(), Duration.ofHours(24), SubjectAltNames.NONE);
    assertThat(validator.validate(List.of(node, pki.agentCertificate()), TLS_CLIENT, NOW, ANY)).isEqualTo(Identity.node("n-1"));
  }

  @Test
  void nodeCertificate_validatesWithTheAgentCaAsTheOnlyAnchor() throws Exception {
    X509Certificate node = pki.agentCa.issue(Identity.node("n-1"), leafKeys.getPublic(), Duration.ofHours(24), SubjectAltNames.NONE);
    CertificateValidator edge = CertificateValidator.trusting(List.of(pki.agentCertificate()));
    assertThat(edge.validate(List.of(node), TLS_CLIENT, NOW, EnumSet.of(Identity.Kind.NODE))).isEqualTo(Identity.node("n-1"));
  }

  // ---- time ---------------------------------------------------------------------------------

  @Test
  void expiredCertificate_isRefused() throws Exception {
    X509Certificate controller = controller(Duration.ofDays(1));
    assertRefused(List.of(controller), TLS_SERVER, NOW.plus(Duration.ofDays(1)).plusSeconds(1), EXPIRED);
  }

  @Test
  void notYetValidCertificate_isRefused() throws Exception {
    X509Certificate controller = controller(Duration.ofDays(1));
    assertRefused(List.of(controller), TLS_SERVER, NOW.minus(CertificateAuthority.BACKDATE).minusSeconds(1), NOT_YET_VALID);
  }

  @Test
  void expiredIntermediate_isRefused() throws Exception {
    X509Certificate expiredCa = CertificateForge.ca(pki.agentKeys.getPublic(), "expired agent CA", "opencluster://ca/agents", 0)
        .validity(NOW.minusSeconds(3600), NOW.minusSeconds(60))
        .issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate())
        .build();
    X509Certificate node = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://node/n-1")
        .issuedBy(expiredCa, pki.agentKeys.getPrivate()).build();
    assertThatThrownBy(() -> validator.validate(List.of(node, expiredCa), TLS_CLIENT, NOW, ANY))
        .isInstanceOfSatisfying(CertificateValidationException.class, e -> assertThat(e.reason()).isEqualTo(EXPIRED))
        .hasMessageContaining("CN=expired agent CA");
  }

  @Test
  void expiredTrustAnchor_isRefused() throws Exception {
    java.time.Instant afterRoot = pki.rootCertificate().getNotAfter().toInstant().plusSeconds(1);
    X509Certificate outlivesRoot = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://controller/ctl-1")
        .validity(NOW, afterRoot.plus(Duration.ofDays(1)))
        .issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    assertThatThrownBy(() -> validator.validate(List.of(outlivesRoot), TLS_SERVER, afterRoot, ANY))
        .isInstanceOfSatisfying(CertificateValidationException.class, e -> assertThat(e.reason()).isEqualTo(EXPIRED))
        .hasMessageContaining("CN=OpenCluster root CA");
  }

  // ---- issuer -------------------------------------------------------------------------------

  @Test
  void certificateFromAnotherCluster_isRefused() throws Exception {
    TestPki other = new TestPki("other-cluster");
    X509Certificate foreign = other.root.issue(Identity.controller("ctl-1"), leafKeys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE);
    assertRefused(List.of(foreign), TLS_SERVER, NOW, UNKNOWN_ISSUER);
  }

  @Test
  void certificateNamingTheRootButSignedByAnotherKey_isRefused() throws Exception {
    KeyPair attacker = EcKeys.generate();
    X509Certificate forged = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://controller/ctl-1")
        .issuedBy(pki.rootCertificate(), attacker.getPrivate()).build();
    assertRefused(List.of(forged), TLS_SERVER, NOW, BAD_SIGNATURE);
  }

  @Test
  void nodeCertificateWithoutItsIntermediate_isRefused() throws Exception {
    X509Certificate node = pki.agentCa.issue(Identity.node("n-1"), leafKeys.getPublic(), Duration.ofHours(1), SubjectAltNames.NONE);
    assertRefused(List.of(node), TLS_CLIENT, NOW, UNKNOWN_ISSUER);
  }

  @Test
  void issuerWithoutTheCaFlag_isRefused() throws Exception {
    KeyPair fakeCaKeys = EcKeys.generate();
    X509Certificate notCa = CertificateForge.ca(fakeCaKeys.getPublic(), "not a CA", "opencluster://ca/agents", 0)
        .notCa().issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    X509Certificate node = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://node/n-1")
        .issuedBy(notCa, fakeCaKeys.getPrivate()).build();
    assertRefused(List.of(node, notCa), TLS_CLIENT, NOW, NOT_A_CA);
  }

  @Test
  void issuerWithoutBasicConstraints_isRefused() throws Exception {
    KeyPair fakeCaKeys = EcKeys.generate();
    X509Certificate noConstraints = CertificateForge.ca(fakeCaKeys.getPublic(), "no constraints", "opencluster://ca/agents", 0)
        .noBasicConstraints().issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    X509Certificate node = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://node/n-1")
        .issuedBy(noConstraints, fakeCaKeys.getPrivate()).build();
    assertRefused(List.of(node, noConstraints), TLS_CLIENT, NOW, NOT_A_CA);
  }

  @Test
  void issuerWithoutCertificateSigningUsage_isRefused() throws Exception {
    KeyPair caKeys = EcKeys.generate();
    X509Certificate cannotSign = CertificateForge.ca(caKeys.getPublic(), "cannot sign", "opencluster://ca/agents", 0)
        .keyUsage(KeyUsage.digitalSignature).issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    X509Certificate node = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://node/n-1")
        .issuedBy(cannotSign, caKeys.getPrivate()).build();
    assertRefused(List.of(node, cannotSign), TLS_CLIENT, NOW, ISSUER_CANNOT_SIGN);
  }

  @Test
  void caBelowTheAgentCa_exceedsItsPathLength() throws Exception {
    KeyPair subCaKeys = EcKeys.generate();
    X509Certificate subCa = CertificateForge.ca(subCaKeys.getPublic(), "sub CA", "opencluster://ca/agents", 0)
        .issuedBy(pki.agentCertificate(), pki.agentKeys.getPrivate()).build();
    X509Certificate node = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://node/n-1")
        .issuedBy(subCa, subCaKeys.getPrivate()).build();
    assertRefused(List.of(node, subCa, pki.agentCertificate()), TLS_CLIENT, NOW, PATH_TOO_LONG);
  }

  @Test
  void controllerIdentityIssuedByTheAgentCa_isRefused() throws Exception {
    X509Certificate forged = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://controller/ctl-1")
        .issuedBy(pki.agentCertificate(), pki.agentKeys.getPrivate()).build();
    assertRefused(List.of(forged, pki.agentCertificate()), TLS_CLIENT, NOW, ISSUER_NOT_ALLOWED);
  }

  @Test
  void serverCertificateBelowTheAgentCa_isRefusedByItsExtendedKeyUsage() throws Exception {
    X509Certificate forged = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://controller/ctl-1")
        .issuedBy(pki.agentCertificate(), pki.agentKeys.getPrivate()).build();
    assertThatThrownBy(() -> validator.validate(List.of(forged, pki.agentCertificate()), TLS_SERVER, NOW, ANY))
        .isInstanceOfSatisfying(CertificateValidationException.class, e -> assertThat(e.reason()).isEqualTo(WRONG_EXTENDED_KEY_USAGE))
        .hasMessageContaining("allows nothing below it for tls server");
  }

  @Test
  void hostNameBelowTheAgentCa_isOutsideItsNameConstraints() throws Exception {
    X509Certificate forged = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://node/n-1")
        .dnsName("ctl-1.acme.internal").issuedBy(pki.agentCertificate(), pki.agentKeys.getPrivate()).build();
    assertRefused(List.of(forged, pki.agentCertificate()), TLS_CLIENT, NOW, NAME_NOT_PERMITTED);
  }

  @Test
  void ipAddressBelowTheAgentCa_isOutsideItsNameConstraints() throws Exception {
    X509Certificate forged = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://node/n-1")
        .ipAddress("10.0.0.11").issuedBy(pki.agentCertificate(), pki.agentKeys.getPrivate()).build();
    assertRefused(List.of(forged, pki.agentCertificate()), TLS_CLIENT, NOW, NAME_NOT_PERMITTED);
  }

  @Test
  void nodeCertificateUsedAsServer_isRefused() throws Exception {
    X509Certificate node = pki.agentCa.issue(Identity.node("n-1"), leafKeys.getPublic(), Duration.ofHours(1), SubjectAltNames.NONE);
    assertRefused(List.of(node, pki.agentCertificate()), TLS_SERVER, NOW, WRONG_EXTENDED_KEY_USAGE);
  }

  @Test
  void adminIdentityIssuedByTheAgentCa_isRefused() throws Exception {
    X509Certificate forged = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://operator/mallory?role=admin")
        .issuedBy(pki.agentCertificate(), pki.agentKeys.getPrivate()).build();
    assertRefused(List.of(forged, pki.agentCertificate()), TLS_CLIENT, NOW, ISSUER_NOT_ALLOWED);
  }

  @Test
  void nodeIdentityIssuedByTheRoot_isRefused() throws Exception {
    X509Certificate forged = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://node/n-1")
        .issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    assertRefused(List.of(forged), TLS_CLIENT, NOW, ISSUER_NOT_ALLOWED);
  }

  @Test
  void intermediateWithoutAnOpenClusterIdentity_isRefused() throws Exception {
    KeyPair caKeys = EcKeys.generate();
    X509Certificate anonymousCa = CertificateForge.ca(caKeys.getPublic(), "anonymous CA", null, 0)
        .issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    X509Certificate node = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://node/n-1")
        .issuedBy(anonymousCa, caKeys.getPrivate()).build();
    assertRefused(List.of(node, anonymousCa), TLS_CLIENT, NOW, ISSUER_NOT_ALLOWED);
  }

  @Test
  void twoCasBelowTheRoot_exceedTheRootsPathLength() throws Exception {
    TestPki flat = new TestPki();
    KeyPair middleKeys = EcKeys.generate();
    KeyPair lowKeys = EcKeys.generate();
    X509Certificate middle = CertificateForge.ca(middleKeys.getPublic(), "middle", "opencluster://ca/agents", 5)
        .issuedBy(flat.rootCertificate(), flat.rootKeys.getPrivate()).build();
    X509Certificate low = CertificateForge.ca(lowKeys.getPublic(), "low", "opencluster://ca/agents", 5)
        .issuedBy(middle, middleKeys.getPrivate()).build();
    X509Certificate node = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://node/n-1")
        .issuedBy(low, lowKeys.getPrivate()).build();
    CertificateValidator flatValidator = CertificateValidator.trusting(List.of(flat.rootCertificate()));
    assertThatThrownBy(() -> flatValidator.validate(List.of(node, low, middle), TLS_CLIENT, NOW, ANY))
        .isInstanceOfSatisfying(CertificateValidationException.class, e -> assertThat(e.reason()).isEqualTo(PATH_TOO_LONG));
  }

  @Test
  void notYetValidIntermediate_isRefused() throws Exception {
    X509Certificate futureCa = CertificateForge.ca(pki.agentKeys.getPublic(), "future agent CA", "opencluster://ca/agents", 0)
        .validity(NOW.plusSeconds(3600), NOW.plusSeconds(7200))
        .issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    X509Certificate node = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://node/n-1")
        .issuedBy(futureCa, pki.agentKeys.getPrivate()).build();
    assertRefused(List.of(node, futureCa), TLS_CLIENT, NOW, NOT_YET_VALID);
  }

  @Test
  void unknownCriticalExtensionOnAnIntermediate_isRefused() throws Exception {
    X509Certificate oddCa = CertificateForge.ca(pki.agentKeys.getPublic(), "odd agent CA", "opencluster://ca/agents", 0)
        .criticalExtension("1.3.6.1.4.1.99999.2").issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    X509Certificate node = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://node/n-1")
        .issuedBy(oddCa, pki.agentKeys.getPrivate()).build();
    assertRefused(List.of(node, oddCa), TLS_CLIENT, NOW, UNSUPPORTED_CRITICAL_EXTENSION);
  }

  @Test
  void sameNamedAnchorWithAnotherKey_fallsBackToTheIntermediateThatSigned() throws Exception {
    KeyPair oldRootKeys = EcKeys.generate();
    X509Certificate oldRoot = CertificateForge.ca(oldRootKeys.getPublic(), "OpenCluster agent CA", "opencluster://ca/root", 1)
        .subject(pki.agentCertificate().getSubjectX500Principal().getName()).selfSigned(oldRootKeys).build();
    CertificateValidator withDecoy = CertificateValidator.trusting(List.of(oldRoot, pki.rootCertificate()));
    X509Certificate node = pki.agentCa.issue(Identity.node("n-1"), leafKeys.getPublic(), Duration.ofHours(1), SubjectAltNames.NONE);
    assertThat(withDecoy.validate(List.of(node, pki.agentCertificate()), TLS_CLIENT, NOW, ANY)).isEqualTo(Identity.node("n-1"));
  }

  // ---- the end entity ----------------------------------------------------------------------

  @Test
  void caCertificatePresentedAsEndEntity_isRefused() throws Exception {
    assertRefused(List.of(pki.agentCertificate()), TLS_CLIENT, NOW, LEAF_IS_CA);
  }

  @Test
  void operatorCertificateUsedAsServer_isRefused() throws Exception {
    X509Certificate operator = pki.root.issue(Identity.operator("alice", Role.ADMIN), leafKeys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE);
    assertRefused(List.of(operator), TLS_SERVER, NOW, WRONG_EXTENDED_KEY_USAGE);
  }

  @Test
  void endEntityWithoutExtendedKeyUsage_isRefused() throws Exception {
    X509Certificate noEku = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://controller/ctl-1")
        .extendedKeyUsage().issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    assertRefused(List.of(noEku), TLS_SERVER, NOW, WRONG_EXTENDED_KEY_USAGE);
  }

  @Test
  void endEntityWithoutDigitalSignatureUsage_isRefused() throws Exception {
    X509Certificate keyEncipherment = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://controller/ctl-1")
        .keyUsage(KeyUsage.keyEncipherment).issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    assertRefused(List.of(keyEncipherment), TLS_SERVER, NOW, WRONG_KEY_USAGE);
    X509Certificate none = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://controller/ctl-1")
        .keyUsage(null).issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    assertRefused(List.of(none), TLS_SERVER, NOW, WRONG_KEY_USAGE);
  }

  @Test
  void endEntityWithAnRsaKey_isRefused() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    X509Certificate rsaLeaf = CertificateForge.leaf(rsa.generateKeyPair().getPublic(), "opencluster://controller/ctl-1")
        .issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    assertRefused(List.of(rsaLeaf), TLS_SERVER, NOW, WRONG_KEY_TYPE);
  }

  @Test
  void endEntityWithAP384Key_isRefused() throws Exception {
    KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
    p384.initialize(384);
    X509Certificate p384Leaf = CertificateForge.leaf(p384.generateKeyPair().getPublic(), "opencluster://controller/ctl-1")
        .issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    assertRefused(List.of(p384Leaf), TLS_SERVER, NOW, WRONG_KEY_TYPE);
  }

  @Test
  void endEntityWithoutIdentity_isRefused() throws Exception {
    X509Certificate anonymous = CertificateForge.leaf(leafKeys.getPublic())
        .issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    assertRefused(List.of(anonymous), TLS_SERVER, NOW, INVALID_IDENTITY);
  }

  @Test
  void endEntityWithTwoIdentities_isRefused() throws Exception {
    X509Certificate twoFaced = CertificateForge.leaf(leafKeys.getPublic(),
            "opencluster://controller/ctl-1", "opencluster://operator/root?role=admin")
        .issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    assertRefused(List.of(twoFaced), TLS_CLIENT, NOW, INVALID_IDENTITY);
  }

  @Test
  void endEntityWithMalformedIdentity_isRefused() throws Exception {
    X509Certificate malformed = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://controller/../admin")
        .issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    assertRefused(List.of(malformed), TLS_SERVER, NOW, INVALID_IDENTITY);
  }

  @Test
  void identityOfAKindNotAccepted_isRefused() throws Exception {
    X509Certificate controller = controller(Duration.ofDays(1));
    assertThatThrownBy(() -> validator.validate(List.of(controller), TLS_CLIENT, NOW, EnumSet.of(Identity.Kind.OPERATOR)))
        .isInstanceOfSatisfying(CertificateValidationException.class, e -> assertThat(e.reason()).isEqualTo(WRONG_IDENTITY_KIND));
  }

  @Test
  void unknownCriticalExtension_isRefused() throws Exception {
    X509Certificate critical = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://controller/ctl-1")
        .criticalExtension("1.3.6.1.4.1.99999.1").issuedBy(pki.rootCertificate(), pki.rootKeys.getPrivate()).build();
    assertRefused(List.of(critical), TLS_SERVER, NOW, UNSUPPORTED_CRITICAL_EXTENSION);
  }

  // ---- revocation and shape ----------------------------------------------------------------

  @Test
  void revokedEndEntity_isRefused() throws Exception {
    X509Certificate controller = controller(Duration.ofDays(1));
    CertificateValidator withDenyList = validator.withRevocation(c -> c.equals(controller));
    assertThatThrownBy(() -> withDenyList.validate(List.of(controller), TLS_SERVER, NOW, ANY))
        .isInstanceOfSatisfying(CertificateValidationException.class, e -> assertThat(e.reason()).isEqualTo(REVOKED));
  }

  @Test
  void revokedIntermediate_refusesEveryCertificateBelowIt() throws Exception {
    X509Certificate node = pki.agentCa.issue(Identity.node("n-1"), leafKeys.getPublic(), Duration.ofHours(1), SubjectAltNames.NONE);
    CertificateValidator withDenyList = validator.withRevocation(c -> c.equals(pki.agentCertificate()));
    assertThatThrownBy(() -> withDenyList.validate(List.of(node, pki.agentCertificate()), TLS_CLIENT, NOW, ANY))
        .isInstanceOfSatisfying(CertificateValidationException.class, e -> assertThat(e.reason()).isEqualTo(REVOKED));
  }

  @Test
  void revokedAnchor_refusesEverything() throws Exception {
    X509Certificate controller = controller(Duration.ofDays(1));
    CertificateValidator withDenyList = validator.withRevocation(c -> c.equals(pki.rootCertificate()));
    assertThatThrownBy(() -> withDenyList.validate(List.of(controller), TLS_SERVER, NOW, ANY))
        .isInstanceOfSatisfying(CertificateValidationException.class, e -> assertThat(e.reason()).isEqualTo(REVOKED));
  }

  @Test
  void refusalMessage_neverEchoesControlCharactersFromTheCertificate() throws Exception {
    X509Certificate hostile = CertificateForge.leaf(leafKeys.getPublic(), "opencluster://controller/ctl-1")
        .subject("CN=evil\0D\0Afake log line").issuedBy(pki.rootCertificate(), EcKeys.generate().getPrivate()).build();
    assertThatThrownBy(() -> validator.validate(List.of(hostile), TLS_SERVER, NOW, ANY))
        .hasMessageNotContaining("\r").hasMessageNotContaining("\n");
  }

  @Test
  void emptyOrOverlongChain_isRefused() throws Exception {
    X509Certificate controller = controller(Duration.ofDays(1));
    assertRefused(List.of(), TLS_SERVER, NOW, MALFORMED_CHAIN);
    assertRefused(List.of(controller, controller, controller, controller, controller), TLS_SERVER, NOW, MALFORMED_CHAIN);
  }

  @Test
  void refusalMessage_namesTheCertificate() throws Exception {
    X509Certificate controller = controller(Duration.ofDays(1));
    assertThatThrownBy(() -> validator.validate(List.of(controller), TLS_SERVER, NOW.plus(Duration.ofDays(2)), ANY))
        .hasMessageContaining("CN=ctl-1")
        .hasMessageContaining("expired at");
  }

  private X509Certificate controller(Duration validity) throws Exception {
    return pki.root.issue(Identity.controller("ctl-1"), leafKeys.getPublic(), validity, SubjectAltNames.NONE);
  }

  private void assertRefused(List<X509Certificate> chain, CertificateProfile.Usage usage, java.time.Instant at,
      CertificateValidationException.Reason reason) {
    assertThatThrownBy(() -> validator.validate(chain, usage, at, ANY))
        .isInstanceOfSatisfying(CertificateValidationException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }

  @Test
  void serviceCertificate_neverAuthenticatesToOpenCluster() throws Exception {
    X509Certificate service = pki.serviceCa.issueService(leafKeys.getPublic(),
        new SubjectAltNames(List.of("web-1.acme.example"), List.of()), Duration.ofHours(24));
    assertRefused(List.of(service, pki.serviceCa.certificate()), TLS_CLIENT, NOW, INVALID_IDENTITY);
    assertRefused(List.of(service, pki.serviceCa.certificate()), TLS_SERVER, NOW, INVALID_IDENTITY);
  }

  @Test
  void identityIssuedByTheServiceCa_isRefused() throws Exception {
    for (String uri : List.of("opencluster://node/n-1", "opencluster://controller/ctl-1", "opencluster://operator/eve?role=admin")) {
      X509Certificate forged = CertificateForge.leaf(leafKeys.getPublic(), uri)
          .issuedBy(pki.serviceCa.certificate(), pki.serviceKeys.getPrivate()).build();
      assertRefused(List.of(forged, pki.serviceCa.certificate()), TLS_CLIENT, NOW, ISSUER_NOT_ALLOWED);
    }
  }
}
