package org.opencluster.protocol.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.agent.v1.Hello;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.agent.v1.SignedHello;
import org.opencluster.protocol.agent.v1.SignedWelcome;
import org.opencluster.protocol.agent.v1.Welcome;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.EcdsaSigner;
import org.opencluster.protocol.crypto.SealedBox;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.SubjectAltNames;

class HandshakeTest {

  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final Duration SKEW = Duration.ofMinutes(2);
  private static final int MAX_PAYLOAD = 64 * 1024;
  private static final SessionTerms TERMS = new SessionTerms(NOW.plusSeconds(60), Duration.ofSeconds(5), NOW.plusSeconds(86400));

  private final KeyPair rootKeys = EcKeys.generate();
  private final CertificateAuthority root;
  private final CertificateAuthority agentCa;
  private final KeyPair nodeKeys = EcKeys.generate();
  private final X509Certificate nodeCertificate;
  private final KeyPair controllerKeys = EcKeys.generate();
  private final X509Certificate controllerCertificate;
  private final CertificateValidator controllers;

  HandshakeTest() throws Exception {
    root = CertificateAuthority.createRoot(rootKeys, "test", Duration.ofDays(365), CLOCK);
    agentCa = root.createAgentCa(EcKeys.generate(), Duration.ofDays(300));
    nodeCertificate = agentCa.issue(Identity.node("n-1"), nodeKeys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE);
    controllerCertificate = root.issue(Identity.controller("ctl-1"), controllerKeys.getPublic(), Duration.ofDays(30), SubjectAltNames.NONE);
    controllers = CertificateValidator.trusting(List.of(root.certificate()));
  }

  @Test
  void agentAndController_establishASessionBothCanUse() throws Exception {
    AgentHandshake agent = AgentHandshake.begin("n-1", nodeKeys.getPrivate(), "1.0", "boot-1", CLOCK);
    VerifiedHello hello = ControllerHandshake.verifyHello(agent.hello(), nodeCertificate, NOW, SKEW);
    ControllerHandshake.Accepted accepted = ControllerHandshake.welcome(hello, controllerKeys.getPrivate(),
        List.of(controllerCertificate), TERMS, CLOCK, MAX_PAYLOAD);
    try (AgentSession session = agent.complete(accepted.welcome(), controllers, CLOCK, MAX_PAYLOAD);
        SessionChannel controller = accepted.channel()) {
      assertThat(session.controller()).isEqualTo(Identity.controller("ctl-1"));
      assertThat(session.terms()).isEqualTo(TERMS);
      byte[] up = "heartbeat".getBytes(StandardCharsets.US_ASCII);
      assertThat(controller.open(session.channel().seal(up))).isEqualTo(up);
      byte[] down = "ack".getBytes(StandardCharsets.US_ASCII);
      assertThat(session.channel().open(controller.seal(down))).isEqualTo(down);
    }
  }

  @Test
  void fileSealedToTheHellosEphemeralKey_opensOnlyInThatSession() throws Exception {
    AgentHandshake agent = AgentHandshake.begin("n-1", nodeKeys.getPrivate(), "1.0", "boot-1", CLOCK);
    VerifiedHello hello = ControllerHandshake.verifyHello(agent.hello(), nodeCertificate, NOW, SKEW);
    ControllerHandshake.Accepted accepted = ControllerHandshake.welcome(hello, controllerKeys.getPrivate(),
        List.of(controllerCertificate), TERMS, CLOCK, MAX_PAYLOAD);
    byte[] box;
    try (SecretBytes content = SecretBytes.copyOf("password=swordfish".getBytes(StandardCharsets.US_ASCII))) {
      box = SealedBox.seal(hello.agentEphemeralKey(), "opencluster/secure-file/v1", content, "n-1".getBytes(StandardCharsets.US_ASCII));
    }
    try (AgentSession session = agent.complete(accepted.welcome(), controllers, CLOCK, MAX_PAYLOAD);
        SecretBytes opened = session.open("opencluster/secure-file/v1", box, "n-1".getBytes(StandardCharsets.US_ASCII))) {
      assertThat(new String(opened.copyBytes(), StandardCharsets.US_ASCII)).isEqualTo("password=swordfish");
    }
    AgentHandshake nextBoot = AgentHandshake.begin("n-1", nodeKeys.getPrivate(), "1.0", "boot-2", CLOCK);
    VerifiedHello nextHello = ControllerHandshake.verifyHello(nextBoot.hello(), nodeCertificate, NOW, SKEW);
    ControllerHandshake.Accepted nextAccepted = ControllerHandshake.welcome(nextHello, controllerKeys.getPrivate(),
        List.of(controllerCertificate), TERMS, CLOCK, MAX_PAYLOAD);
    try (AgentSession next = nextBoot.complete(nextAccepted.welcome(), controllers, CLOCK, MAX_PAYLOAD)) {
      assertThatThrownBy(() -> next.open("opencluster/secure-file/v1", box, "n-1".getBytes(StandardCharsets.US_ASCII)))
          .isInstanceOf(org.opencluster.protocol.crypto.SealedBoxException.class);
    }
  }

  // ---- the controller's checks of a Hello ---------------------------------------------------

  @Test
  void helloSignedByAnotherKey_isRefused() throws Exception {
    AgentHandshake impostor = AgentHandshake.begin("n-1", EcKeys.generate().getPrivate(), "1.0", "b", CLOCK);
    assertHelloRefused(impostor.hello(), NOW, Refused.Reason.NOT_AUTHENTICATED, "not signed by the node's key");
  }

  @Test
  void helloForAnotherNode_isRefused() throws Exception {
    AgentHandshake other = AgentHandshake.begin("n-2", nodeKeys.getPrivate(), "1.0", "b", CLOCK);
    assertHelloRefused(other.hello(), NOW, Refused.Reason.NOT_AUTHENTICATED, "for another node");
  }

  @Test
  void helloOutsideTheClockSkew_isRefused() throws Exception {
    AgentHandshake agent = AgentHandshake.begin("n-1", nodeKeys.getPrivate(), "1.0", "b", CLOCK);
    assertHelloRefused(agent.hello(), NOW.plus(SKEW).plusSeconds(1), Refused.Reason.NOT_AUTHENTICATED, "clock");
    assertHelloRefused(agent.hello(), NOW.minus(SKEW).minusSeconds(1), Refused.Reason.NOT_AUTHENTICATED, "clock");
  }

  @Test
  void tamperedHello_isRefused() throws Exception {
    SignedHello genuine = AgentHandshake.begin("n-1", nodeKeys.getPrivate(), "1.0", "b", CLOCK).hello();
    byte[] bytes = genuine.getHello().toByteArray();
    for (int i = 0; i < bytes.length; i++) {
      byte[] tampered = bytes.clone();
      tampered[i] ^= 1;
      SignedHello forged = genuine.toBuilder().setHello(ByteString.copyFrom(tampered)).build();
      assertThatThrownBy(() -> ControllerHandshake.verifyHello(forged, nodeCertificate, NOW, SKEW))
          .as("byte %d", i).isInstanceOf(HandshakeException.class);
    }
  }

  @Test
  void malformedOrOversizedHello_isRefusedAsMalformed() throws Exception {
    SignedHello garbage = SignedHello.newBuilder().setHello(ByteString.copyFrom(new byte[] {(byte) 0xff, 1, 2})).build();
    assertHelloRefused(garbage, NOW, Refused.Reason.MALFORMED, "not a Hello");
    SignedHello huge = SignedHello.newBuilder().setHello(ByteString.copyFrom(new byte[5000])).build();
    assertHelloRefused(huge, NOW, Refused.Reason.MALFORMED, "larger than");
  }

  @Test
  void helloWithAnInvalidEphemeralKeyOrNonce_isRefused() throws Exception {
    Hello base = Hello.newBuilder().setNodeId("n-1").setSentAtUnixMillis(NOW.toEpochMilli()).setProtocolVersion(1)
        .setNonce(ByteString.copyFrom(new byte[32])).setEphemeralPublicKey(ByteString.copyFrom(new byte[65])).build();
    assertHelloRefused(sign(base), NOW, Refused.Reason.MALFORMED, "not a valid P-256 point");
    Hello shortNonce = base.toBuilder().setNonce(ByteString.copyFrom(new byte[8])).build();
    assertHelloRefused(sign(shortNonce), NOW, Refused.Reason.MALFORMED, "nonce");
  }

  @Test
  void helloOfAnUnknownOldVersion_isRefused() throws Exception {
    Hello old = Hello.newBuilder().setNodeId("n-1").setSentAtUnixMillis(NOW.toEpochMilli()).setProtocolVersion(0).build();
    assertHelloRefused(sign(old), NOW, Refused.Reason.UNSUPPORTED_VERSION, "older than");
  }

  // ---- the agent's checks of a Welcome ------------------------------------------------------

  @Test
  void welcomeFromAControllerOfAnotherCluster_isRefused() throws Exception {
    CertificateAuthority otherRoot = CertificateAuthority.createRoot(EcKeys.generate(), "evil", Duration.ofDays(30), CLOCK);
    KeyPair fakeKeys = EcKeys.generate();
    X509Certificate fake = otherRoot.issue(Identity.controller("ctl-1"), fakeKeys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE);
    assertWelcomeRefused(fakeKeys, List.of(fake), Refused.Reason.NOT_AUTHENTICATED, "not issued by a trusted CA");
  }

  @Test
  void welcomeComposedByANodeCertificateHolder_isRefused() throws Exception {
    assertWelcomeRefused(nodeKeys, List.of(nodeCertificate, agentCa.certificate()), Refused.Reason.NOT_AUTHENTICATED, "welcome refused");
  }

  @Test
  void welcomeComposedByAnAttackerWithItsOwnEphemeralKey_isRefused() throws Exception {
    AgentHandshake agent = AgentHandshake.begin("n-1", nodeKeys.getPrivate(), "1.0", "b", CLOCK);
    VerifiedHello hello = ControllerHandshake.verifyHello(agent.hello(), nodeCertificate, NOW, SKEW);
    SignedWelcome genuine = ControllerHandshake.welcome(hello, controllerKeys.getPrivate(), List.of(controllerCertificate),
        TERMS, CLOCK, MAX_PAYLOAD).welcome();
    Welcome attackerWelcome = Welcome.parseFrom(genuine.getWelcome()).toBuilder()
        .setControllerEphemeralPublicKey(ByteString.copyFrom(EcKeys.encodePoint(
            (java.security.interfaces.ECPublicKey) EcKeys.generate().getPublic())))
        .build();
    SignedWelcome forged = genuine.toBuilder().setWelcome(attackerWelcome.toByteString()).build();
    assertThatThrownBy(() -> agent.complete(forged, controllers, CLOCK, MAX_PAYLOAD))
        .isInstanceOfSatisfying(HandshakeException.class, e -> assertThat(e.reason()).isEqualTo(Refused.Reason.NOT_AUTHENTICATED))
        .hasMessageContaining("not signed by");
  }

  @Test
  void welcomeWithChangedLeaseTerms_isRefused() throws Exception {
    AgentHandshake agent = AgentHandshake.begin("n-1", nodeKeys.getPrivate(), "1.0", "b", CLOCK);
    VerifiedHello hello = ControllerHandshake.verifyHello(agent.hello(), nodeCertificate, NOW, SKEW);
    SignedWelcome genuine = ControllerHandshake.welcome(hello, controllerKeys.getPrivate(), List.of(controllerCertificate),
        TERMS, CLOCK, MAX_PAYLOAD).welcome();
    Welcome longer = Welcome.parseFrom(genuine.getWelcome()).toBuilder()
        .setLeaseExpiresAtUnixMillis(NOW.plus(Duration.ofDays(365)).toEpochMilli()).build();
    SignedWelcome forged = genuine.toBuilder().setWelcome(longer.toByteString()).build();
    assertThatThrownBy(() -> agent.complete(forged, controllers, CLOCK, MAX_PAYLOAD)).isInstanceOf(HandshakeException.class);
  }

  @Test
  void welcomeAnsweringAnotherHello_isRefused() throws Exception {
    AgentHandshake first = AgentHandshake.begin("n-1", nodeKeys.getPrivate(), "1.0", "b", CLOCK);
    AgentHandshake second = AgentHandshake.begin("n-1", nodeKeys.getPrivate(), "1.0", "b", CLOCK);
    VerifiedHello hello = ControllerHandshake.verifyHello(first.hello(), nodeCertificate, NOW, SKEW);
    SignedWelcome welcome = ControllerHandshake.welcome(hello, controllerKeys.getPrivate(), List.of(controllerCertificate),
        TERMS, CLOCK, MAX_PAYLOAD).welcome();
    assertThatThrownBy(() -> second.complete(welcome, controllers, CLOCK, MAX_PAYLOAD))
        .isInstanceOf(HandshakeException.class).hasMessageContaining("answers another hello");
  }

  @Test
  void welcomeWithoutACertificateChain_isRefused() throws Exception {
    assertWelcomeRefused(controllerKeys, List.of(), Refused.Reason.NOT_AUTHENTICATED, "certificate chain");
  }

  // ---- re-key ---------------------------------------------------------------------------------

  @Test
  void aRekeyHelloProvenByTheLiveSession_verifies() throws Exception {
    try (Established live = establish()) {
      AgentHandshake rekey = AgentHandshake.rekey(live.agent(), nodeKeys.getPrivate(), "1.0", "boot-1", CLOCK);
      VerifiedHello hello = ControllerHandshake.verifyHello(rekey.hello(), nodeCertificate, NOW, SKEW);
      assertThat(hello.claimsRekey()).isTrue();
      assertThat(hello.rekeySessionId()).isEqualTo(live.controller().sessionId());
      ControllerHandshake.verifyRekey(hello, live.controller());
    }
  }

  @Test
  void aRekeyProofMadeByAnotherSession_isRefused() throws Exception {
    try (Established live = establish(); Established other = establish()) {
      AgentHandshake rekey = AgentHandshake.rekey(other.agent(), nodeKeys.getPrivate(), "1.0", "boot-1", CLOCK);
      VerifiedHello hello = ControllerHandshake.verifyHello(rekey.hello(), nodeCertificate, NOW, SKEW);
      assertRekeyRefused(hello, live.controller(), "not the node's live session");
      // Naming the live session does not help: the proof is still made with the other session's key.
      Hello claimed = Hello.parseFrom(rekey.hello().getHello()).toBuilder()
          .setRekeySessionId(ByteString.copyFrom(live.controller().sessionId())).build();
      SignedHello forged = sign(claimed).toBuilder().setRekeyProof(rekey.hello().getRekeyProof()).build();
      assertRekeyRefused(ControllerHandshake.verifyHello(forged, nodeCertificate, NOW, SKEW), live.controller(),
          "does not verify");
    }
  }

  @Test
  void aRekeyProofOverAnotherHello_isRefused() throws Exception {
    try (Established live = establish()) {
      AgentHandshake first = AgentHandshake.rekey(live.agent(), nodeKeys.getPrivate(), "1.0", "boot-1", CLOCK);
      AgentHandshake second = AgentHandshake.rekey(live.agent(), nodeKeys.getPrivate(), "1.0", "boot-1", CLOCK);
      SignedHello swapped = second.hello().toBuilder().setRekeyProof(first.hello().getRekeyProof()).build();
      assertRekeyRefused(ControllerHandshake.verifyHello(swapped, nodeCertificate, NOW, SKEW), live.controller(),
          "does not verify");
    }
  }

  @Test
  void aRekeyClaimWithoutAProof_isRefused_andAPlainHelloIsNoRekey() throws Exception {
    try (Established live = establish()) {
      AgentHandshake rekey = AgentHandshake.rekey(live.agent(), nodeKeys.getPrivate(), "1.0", "boot-1", CLOCK);
      SignedHello unproven = rekey.hello().toBuilder().clearRekeyProof().build();
      VerifiedHello claimed = ControllerHandshake.verifyHello(unproven, nodeCertificate, NOW, SKEW);
      assertThat(claimed.claimsRekey()).as("naming a session is a claim").isTrue();
      assertRekeyRefused(claimed, live.controller(), "does not verify");

      AgentHandshake plain = AgentHandshake.begin("n-1", nodeKeys.getPrivate(), "1.0", "boot-1", CLOCK);
      VerifiedHello hello = ControllerHandshake.verifyHello(plain.hello(), nodeCertificate, NOW, SKEW);
      assertThat(hello.claimsRekey()).isFalse();
      assertRekeyRefused(hello, live.controller(), "no re-key");
    }
  }

  @Test
  void aFrameMacIsNoRekeyProof() throws Exception {
    try (Established live = establish()) {
      AgentHandshake rekey = AgentHandshake.rekey(live.agent(), nodeKeys.getPrivate(), "1.0", "boot-1", CLOCK);
      byte[] frameMac = live.agent().channel().seal(rekey.hello().getHello().toByteArray()).getMac().toByteArray();
      SignedHello forged = rekey.hello().toBuilder().setRekeyProof(ByteString.copyFrom(frameMac)).build();
      assertRekeyRefused(ControllerHandshake.verifyHello(forged, nodeCertificate, NOW, SKEW), live.controller(),
          "does not verify");
    }
  }

  private record Established(AgentSession agent, SessionChannel controller) implements AutoCloseable {
    @Override
    public void close() {
      agent.close();
      controller.close();
    }
  }

  private Established establish() throws Exception {
    AgentHandshake agent = AgentHandshake.begin("n-1", nodeKeys.getPrivate(), "1.0", "boot-1", CLOCK);
    ControllerHandshake.Accepted accepted = ControllerHandshake.welcome(
        ControllerHandshake.verifyHello(agent.hello(), nodeCertificate, NOW, SKEW), controllerKeys.getPrivate(),
        List.of(controllerCertificate), TERMS, CLOCK, MAX_PAYLOAD);
    return new Established(agent.complete(accepted.welcome(), controllers, CLOCK, MAX_PAYLOAD), accepted.channel());
  }

  private static void assertRekeyRefused(VerifiedHello hello, SessionChannel live, String message) {
    assertThatThrownBy(() -> ControllerHandshake.verifyRekey(hello, live))
        .isInstanceOfSatisfying(HandshakeException.class,
            e -> assertThat(e.reason()).isEqualTo(Refused.Reason.NOT_AUTHENTICATED))
        .hasMessageContaining(message);
  }

  private void assertWelcomeRefused(KeyPair signer, List<X509Certificate> chain, Refused.Reason reason, String message)
      throws Exception {
    AgentHandshake agent = AgentHandshake.begin("n-1", nodeKeys.getPrivate(), "1.0", "b", CLOCK);
    VerifiedHello hello = ControllerHandshake.verifyHello(agent.hello(), nodeCertificate, NOW, SKEW);
    SignedWelcome welcome = ControllerHandshake.welcome(hello, signer.getPrivate(), chain, TERMS, CLOCK, MAX_PAYLOAD).welcome();
    assertThatThrownBy(() -> agent.complete(welcome, controllers, CLOCK, MAX_PAYLOAD))
        .isInstanceOfSatisfying(HandshakeException.class, e -> assertThat(e.reason()).isEqualTo(reason))
        .hasMessageContaining(message);
  }

  private void assertHelloRefused(SignedHello hello, Instant now, Refused.Reason reason, String message) {
    assertThatThrownBy(() -> ControllerHandshake.verifyHello(hello, nodeCertificate, now, SKEW))
        .isInstanceOfSatisfying(HandshakeException.class, e -> {
          assertThat(e.reason()).isEqualTo(reason);
          assertThat(e.toRefused().getReason()).isEqualTo(reason);
        })
        .hasMessageContaining(message);
  }

  private SignedHello sign(Hello hello) throws Exception {
    return SignedHello.newBuilder().setHello(hello.toByteString())
        .setSignature(ByteString.copyFrom(EcdsaSigner.create(nodeKeys.getPrivate()).sign(Handshake.HELLO_CONTEXT, hello.toByteArray())))
        .build();
  }

}
