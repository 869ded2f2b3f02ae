package org.opencluster.protocol.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SealedBoxException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.SubjectAltNames;

/**
 * A staged content (the pending version of a rotating secret, agent.proto {@code StagedFile}) is
 * sealed under {@link SecureFileBox#stagedName}: it never opens as the live file of the same name,
 * and a live file's content never opens as staged.
 */
class SecureFileBoxTest {

  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String FILE = "db/orders.conf";
  private static final String STAGED = SecureFileBox.stagedName("db/orders", 7, FILE);

  private VerifiedHello hello;
  private AgentSession session;

  @BeforeEach
  void establishASession() throws Exception {
    CertificateAuthority root = CertificateAuthority.createRoot(EcKeys.generate(), "test", Duration.ofDays(365), CLOCK);
    CertificateAuthority agentCa = root.createAgentCa(EcKeys.generate(), Duration.ofDays(300));
    KeyPair nodeKeys = EcKeys.generate();
    X509Certificate nodeCertificate = agentCa.issue(Identity.node("n-1"), nodeKeys.getPublic(), Duration.ofDays(1),
        SubjectAltNames.NONE);
    KeyPair controllerKeys = EcKeys.generate();
    X509Certificate controllerCertificate = root.issue(Identity.controller("ctl-1"), controllerKeys.getPublic(),
        Duration.ofDays(30), SubjectAltNames.NONE);
    AgentHandshake agent = AgentHandshake.begin("n-1", nodeKeys.getPrivate(), "1.0", "boot-1", CLOCK);
    hello = ControllerHandshake.verifyHello(agent.hello(), nodeCertificate, NOW, Duration.ofMinutes(2));
    ControllerHandshake.Accepted accepted = ControllerHandshake.welcome(hello, controllerKeys.getPrivate(),
        List.of(controllerCertificate), new SessionTerms(NOW.plusSeconds(60), Duration.ofSeconds(5), NOW.plusSeconds(86400)),
        CLOCK, 64 * 1024);
    accepted.channel().close();
    session = agent.complete(accepted.welcome(), CertificateValidator.trusting(List.of(root.certificate())), CLOCK,
        64 * 1024);
  }

  @AfterEach
  void closeTheSession() {
    session.close();
  }

  @Test
  void stagedName_namesTheSecretItsVersionAndTheFile() {
    assertThat(STAGED).isEqualTo("pending:db/orders@7:db/orders.conf").isNotEqualTo(FILE);
  }

  @Test
  void aStagedBox_opensUnderItsStagedName() throws Exception {
    byte[] box = seal(STAGED, "password=next");
    try (SecretBytes opened = session.openSecureFile(STAGED, 3, box)) {
      assertThat(new String(opened.copyBytes(), StandardCharsets.UTF_8)).isEqualTo("password=next");
    }
  }

  @Test
  void aStagedBox_doesNotOpenAsTheLiveFile() throws Exception {
    byte[] box = seal(STAGED, "password=next");
    assertThatThrownBy(() -> session.openSecureFile(FILE, 3, box)).isInstanceOf(SealedBoxException.class);
  }

  @Test
  void aLiveBox_doesNotOpenAsStaged() throws Exception {
    byte[] box = seal(FILE, "password=current");
    assertThatThrownBy(() -> session.openSecureFile(STAGED, 3, box)).isInstanceOf(SealedBoxException.class);
  }

  @Test
  void aStagedBox_doesNotOpenAsAnotherPendingVersion() throws Exception {
    byte[] box = seal(STAGED, "password=next");
    assertThatThrownBy(() -> session.openSecureFile(SecureFileBox.stagedName("db/orders", 8, FILE), 3, box))
        .isInstanceOf(SealedBoxException.class);
  }

  /** What the controller does: seals to this session's agent key, for node n-1, file version 3. */
  private byte[] seal(String name, String text) throws Exception {
    try (SecretBytes content = SecretBytes.copyOf(text.getBytes(StandardCharsets.UTF_8))) {
      return SecureFileBox.seal(hello.agentEphemeralKey(), "n-1", name, 3, content);
    }
  }
}
