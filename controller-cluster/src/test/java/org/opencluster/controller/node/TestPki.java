package org.opencluster.controller.node;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.SubjectAltNames;
import org.opencluster.protocol.tls.KeyMaterial;

/** A cluster PKI made at run time for entity tests: root, agent CA, service CA, a controller,
 * node n-1 and node n-2. */
final class TestPki {
  final CertificateAuthority root;
  final CertificateAuthority agents;
  final KeyPair serviceKeys = EcKeys.generate();
  /** Signs tls-certificate files; permits any name. */
  final CertificateAuthority services;
  final KeyMaterial controller;
  final KeyPair nodeKeys = EcKeys.generate();
  final KeyPair otherNodeKeys = EcKeys.generate();
  final X509Certificate nodeCertificate;
  final X509Certificate otherNodeCertificate;

  TestPki() {
    try {
      root = CertificateAuthority.createRoot(EcKeys.generate(), "test", Duration.ofDays(30), java.time.Clock.systemUTC());
      agents = root.createAgentCa(EcKeys.generate(), Duration.ofDays(20));
      services = root.createServiceCa(serviceKeys, Duration.ofDays(20), List.of());
      KeyPair controllerKeys = EcKeys.generate();
      X509Certificate controllerCertificate = root.issue(Identity.controller("ctl-1"), controllerKeys.getPublic(),
          Duration.ofDays(10), SubjectAltNames.NONE);
      controller = new KeyMaterial(controllerKeys.getPrivate(), List.of(controllerCertificate), List.of(root.certificate()));
      nodeCertificate = agents.issue(Identity.node("n-1"), nodeKeys.getPublic(), Duration.ofDays(2), SubjectAltNames.NONE);
      otherNodeCertificate = agents.issue(Identity.node("n-2"), otherNodeKeys.getPublic(), Duration.ofDays(2),
          SubjectAltNames.NONE);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
