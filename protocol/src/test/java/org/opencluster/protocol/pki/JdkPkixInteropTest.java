package org.opencluster.protocol.pki;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.opencluster.protocol.pki.TestPki.NOW;

import java.net.InetAddress;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.crypto.EcKeys;

/**
 * The certificates this project issues, checked by the JDK's own PKIX validator rather than the
 * project's: what a TLS stack or another tool will do with them.
 */
class JdkPkixInteropTest {

  private final TestPki pki = new TestPki();
  private final KeyPair keys = EcKeys.generate();

  JdkPkixInteropTest() throws Exception {}

  @Test
  void controllerCertificate_passesJdkPkix() throws Exception {
    SubjectAltNames names = new SubjectAltNames(List.of("localhost"), List.of(InetAddress.getByName("127.0.0.1")));
    X509Certificate controller = pki.root.issue(Identity.controller("ctl-1"), keys.getPublic(), Duration.ofDays(365), names);
    assertThatCode(() -> jdkValidate(List.of(controller), NOW)).doesNotThrowAnyException();
  }

  @Test
  void operatorCertificate_passesJdkPkix() throws Exception {
    X509Certificate operator = pki.root.issue(Identity.operator("alice", Role.ADMIN), keys.getPublic(), Duration.ofDays(30), SubjectAltNames.NONE);
    assertThatCode(() -> jdkValidate(List.of(operator), NOW)).doesNotThrowAnyException();
  }

  @Test
  void nodeCertificateThroughTheAgentCa_passesJdkPkix() throws Exception {
    X509Certificate node = pki.agentCa.issue(Identity.node("n-1"), keys.getPublic(), Duration.ofHours(24), SubjectAltNames.NONE);
    assertThatCode(() -> jdkValidate(List.of(node, pki.agentCertificate()), NOW)).doesNotThrowAnyException();
  }

  @Test
  void jdkPkix_enforcesTheAgentCasNameConstraints() throws Exception {
    X509Certificate withHostName = CertificateForge.leaf(keys.getPublic(), "opencluster://node/n-1")
        .dnsName("ctl-1.acme.internal").issuedBy(pki.agentCertificate(), pki.agentKeys.getPrivate()).build();
    assertThatThrownBy(() -> jdkValidate(List.of(withHostName, pki.agentCertificate()), NOW))
        .isInstanceOf(CertPathValidatorException.class);
    X509Certificate withInvalidName = CertificateForge.leaf(keys.getPublic(), "opencluster://node/n-1")
        .dnsName("n-1.invalid").issuedBy(pki.agentCertificate(), pki.agentKeys.getPrivate()).build();
    assertThatCode(() -> jdkValidate(List.of(withInvalidName, pki.agentCertificate()), NOW)).doesNotThrowAnyException();
  }

  @Test
  void serviceCertificate_passesJdkPkixWithinItsPermittedDomains() throws Exception {
    KeyPair limitedKeys = EcKeys.generate();
    CertificateAuthority limited = pki.root.createServiceCa(limitedKeys, Duration.ofDays(30), List.of("acme.example"));
    X509Certificate web = limited.issueService(keys.getPublic(), new SubjectAltNames(List.of("web-1.acme.example"), List.of()),
        Duration.ofHours(24));
    assertThatCode(() -> jdkValidate(List.of(web, limited.certificate()), NOW)).doesNotThrowAnyException();
    X509Certificate outside = CertificateForge.leaf(keys.getPublic()).dnsName("bank.example")
        .issuedBy(limited.certificate(), limitedKeys.getPrivate()).build();
    assertThatThrownBy(() -> jdkValidate(List.of(outside, limited.certificate()), NOW))
        .isInstanceOf(CertPathValidatorException.class);
  }

  @Test
  void jdkPkix_refusesAnExpiredCertificateToo() throws Exception {
    X509Certificate controller = pki.root.issue(Identity.controller("ctl-1"), keys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE);
    assertThatThrownBy(() -> jdkValidate(List.of(controller), NOW.plus(Duration.ofDays(2))))
        .isInstanceOf(CertPathValidatorException.class);
  }

  @Test
  void jdkPkix_refusesACertificateFromAnotherCluster() throws Exception {
    TestPki other = new TestPki("other");
    X509Certificate foreign = other.root.issue(Identity.controller("ctl-1"), keys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE);
    assertThatThrownBy(() -> jdkValidate(List.of(foreign), NOW)).isInstanceOf(CertPathValidatorException.class);
  }

  private void jdkValidate(List<X509Certificate> chain, java.time.Instant at) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("root", pki.rootCertificate());
    PKIXParameters parameters = new PKIXParameters(trust);
    parameters.setRevocationEnabled(false);
    parameters.setDate(Date.from(at));
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), parameters);
  }
}
