package org.opencluster.protocol.pki;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.opencluster.protocol.crypto.EcKeys;

/** A cluster PKI made at test time: root CA, agent CA and service CA on a fixed clock. */
final class TestPki {

  static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  final KeyPair rootKeys = EcKeys.generate();
  final KeyPair agentKeys = EcKeys.generate();
  final KeyPair serviceKeys = EcKeys.generate();
  final CertificateAuthority root;
  final CertificateAuthority agentCa;
  /** Permits any name. */
  final CertificateAuthority serviceCa;

  TestPki() throws Exception {
    this("test-cluster");
  }

  TestPki(String clusterName) throws Exception {
    root = CertificateAuthority.createRoot(rootKeys, clusterName, Duration.ofDays(3650), CLOCK);
    agentCa = root.createAgentCa(agentKeys, Duration.ofDays(1825));
    serviceCa = root.createServiceCa(serviceKeys, Duration.ofDays(1825), java.util.List.of());
  }

  X509Certificate rootCertificate() {
    return root.certificate();
  }

  X509Certificate agentCertificate() {
    return agentCa.certificate();
  }
}
