package org.opencluster.ops.cli.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.SubjectAltNames;

/**
 * What 'node register' writes into a bundle, and what it refuses to write: a certificate from the
 * controller that is not this node's, for this key, never reaches the host.
 */
class NodeRegisterCommandTest {

  private static final KeyPair NODE_KEYS = EcKeys.generate();
  private final CertificateAuthority root;
  private final CertificateAuthority agentCa;
  private final String rootPem;

  NodeRegisterCommandTest() throws Exception {
    root = CertificateAuthority.createRoot(EcKeys.generate(), "test", Duration.ofDays(30), Clock.systemUTC());
    agentCa = root.createAgentCa(EcKeys.generate(), Duration.ofDays(1));
    rootPem = Pem.encodeCertificates(List.of(root.certificate()));
  }

  @Test
  void theNodesOwnCertificate_isAccepted() throws Exception {
    assertThat(NodeRegisterCommand.wrongCertificate(issued("web-1", NODE_KEYS), rootPem, "web-1", NODE_KEYS)).isEmpty();
  }

  @Test
  void aCertificateForAnotherNode_isRefused() throws Exception {
    assertThat(NodeRegisterCommand.wrongCertificate(issued("web-2", NODE_KEYS), rootPem, "web-1", NODE_KEYS))
        .hasValueSatisfying(why -> assertThat(why).contains("opencluster://node/web-2"));
  }

  @Test
  void aCertificateForAnotherKey_isRefused() throws Exception {
    assertThat(NodeRegisterCommand.wrongCertificate(issued("web-1", EcKeys.generate()), rootPem, "web-1", NODE_KEYS))
        .hasValueSatisfying(why -> assertThat(why).contains("another key"));
  }

  @Test
  void anUnreadableCertificateOrNoRoot_isRefused() throws Exception {
    assertThat(NodeRegisterCommand.wrongCertificate("not pem", rootPem, "web-1", NODE_KEYS))
        .hasValueSatisfying(why -> assertThat(why).contains("unreadable"));
    assertThat(NodeRegisterCommand.wrongCertificate(issued("web-1", NODE_KEYS), "", "web-1", NODE_KEYS)).isPresent();
  }

  @Test
  void theAgentConf_quotesWhatItWrites() {
    assertThat(NodeRegisterCommand.agentConf("web-1", List.of("10.0.0.1:25530", "a\"b:1")))
        .contains("node-id = \"web-1\"")
        .contains("edges = [\"10.0.0.1:25530\", \"a\\\"b:1\"]");
  }

  private String issued(String nodeId, KeyPair keys) throws Exception {
    return Pem.encodeCertificates(List.of(
        agentCa.issue(Identity.node(nodeId), keys.getPublic(), Duration.ofHours(1), SubjectAltNames.NONE),
        agentCa.certificate()));
  }
}
