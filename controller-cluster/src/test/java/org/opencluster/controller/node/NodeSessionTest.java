package org.opencluster.controller.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.node.NodeEntity.AgentFrame;
import org.opencluster.controller.node.NodeEntity.Bootstrap;
import org.opencluster.controller.node.NodeEntity.Command;
import org.opencluster.controller.node.NodeEntity.EdgeReply;
import org.opencluster.controller.node.NodeEntity.Enrol;
import org.opencluster.controller.node.NodeEntity.Event;
import org.opencluster.controller.node.NodeEntity.NodeActivated;
import org.opencluster.controller.node.NodeEntity.NodeQuarantined;
import org.opencluster.controller.node.NodeEntity.QuarantineReason;
import org.opencluster.controller.node.NodeEntity.Register;
import org.opencluster.controller.node.NodeEntity.Registration;
import org.opencluster.controller.node.NodeEntity.SessionOpened;
import org.opencluster.controller.node.NodeEntity.Stage;
import org.opencluster.controller.node.NodeEntity.State;
import org.opencluster.controller.testing.MovableClock;
import org.opencluster.protocol.agent.v1.AgentMessage;
import org.opencluster.protocol.agent.v1.Alert;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.Heartbeat;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.agent.v1.SignedWelcome;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.SubjectAltNames;
import org.opencluster.protocol.session.AgentHandshake;
import org.opencluster.protocol.session.AgentSession;
import org.opencluster.protocol.tls.KeyMaterial;

/**
 * An agent's session with its node entity, at the entity: enrolment checked against the node's
 * registered certificate, MAC'd and sequenced frames, the first heartbeat activating the node, a
 * session that survives recovery, and every way a cloned host or a forger gives itself away.
 * The agent side is the real protocol code (AgentHandshake); events go through the encrypting
 * serializer.
 */
class NodeSessionTest {

  private static final NodeSettings SETTINGS = new NodeSettings(Duration.ofSeconds(5), 3, Duration.ofSeconds(5),
      Duration.ofSeconds(60), Duration.ofHours(24), Duration.ofDays(365), 100);
  private static final Instant START = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
  private static final EntityTestSystem TEST_SYSTEM = new EntityTestSystem("node-session-test");
  private static final ActorSystem<Void> SYSTEM = TEST_SYSTEM.system();
  private static final ActorTestKit KIT = TEST_SYSTEM.kit();
  private static final TestPki PKI = new TestPki();

  private MovableClock clock;
  private final List<X509Certificate> revoked = new CopyOnWriteArrayList<>();
  private EventSourcedBehaviorTestKit<Command, Event, State> node;

  @AfterAll
  static void shutDown() {
    TEST_SYSTEM.close();
  }

  @BeforeEach
  void create() {
    clock = new MovableClock(START);
    node = EventSourcedBehaviorTestKit.create(SYSTEM, NodeEntity.create("n-1",
        new NodeEnvironment(SETTINGS, clock, () -> PKI.controller, revoked::add), Optional.empty()));
  }

  // ---- enrolment ----------------------------------------------------------------------------

  @Test
  void anAgentWithTheNodesKey_enrols_andItsFirstHeartbeatActivatesTheNode() throws Exception {
    register(Bootstrap.REUSABLE);
    Agent agent = agentWith(PKI.nodeKeys, "boot-a");
    var enrolled = node.<EdgeReply>runCommand(r -> new Enrol(agent.hello(), r));
    assertThat(enrolled.reply().kind()).isEqualTo(EdgeReply.Kind.WELCOME);
    assertThat(enrolled.eventOfType(SessionOpened.class).session().bootId()).isEqualTo("boot-a");
    agent.complete(enrolled.reply());

    var beat = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(beat.eventOfType(NodeActivated.class)).isNotNull();
    assertThat(beat.state().stage()).isEqualTo(Stage.ACTIVE);
    ControllerMessage ack = agent.open(beat.reply());
    assertThat(ack.getHeartbeatAck().getLeaseExpiresAtUnixMillis())
        .isEqualTo(START.plus(SETTINGS.leaseDuration()).toEpochMilli());

    clock.advance(Duration.ofSeconds(5));
    var second = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(second.hasNoEvents()).as("heartbeats are not journaled").isTrue();
    assertThat(agent.open(second.reply()).hasHeartbeatAck()).isTrue();
  }

  @Test
  void nodeAsCertificateAndKey_cannotSpeakForNodeB() throws Exception {
    register(Bootstrap.REUSABLE);
    KeyPair otherNode = EcKeys.generate();
    Agent impostor = agentWith(otherNode, "boot-x");
    var refused = node.<EdgeReply>runCommand(r -> new Enrol(impostor.hello(), r));
    assertRefused(refused.reply(), Refused.Reason.NOT_AUTHENTICATED);
    assertThat(refused.hasNoEvents()).isTrue();
  }

  @Test
  void aReplayedHello_isRefused() throws Exception {
    register(Bootstrap.REUSABLE);
    Agent agent = agentWith(PKI.nodeKeys, "boot-a");
    ByteString hello = agent.hello();
    node.<EdgeReply>runCommand(r -> new Enrol(hello, r));
    var replayed = node.<EdgeReply>runCommand(r -> new Enrol(hello, r));
    assertRefused(replayed.reply(), Refused.Reason.NOT_AUTHENTICATED);
    assertThat(replayed.hasNoEvents()).isTrue();
  }

  @Test
  void anEarlierHelloReplayedAfterTheEntityMoved_isRefused_andTheSessionGoesOn() throws Exception {
    register(Bootstrap.REUSABLE);
    ByteString captured = agentWith(PKI.nodeKeys, "boot-a").hello();
    clock.advance(Duration.ofSeconds(1));
    Agent agent = agentWith(PKI.nodeKeys, "boot-a");
    agent.complete(node.<EdgeReply>runCommand(r -> new Enrol(agent.hello(), r)).reply());
    node.restart(); // another controller takes the entity over: the nonces it had seen are gone

    var replayed = node.<EdgeReply>runCommand(r -> new Enrol(captured, r));
    assertRefused(replayed.reply(), Refused.Reason.NOT_AUTHENTICATED);
    assertThat(replayed.hasNoEvents()).isTrue();
    var after = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(agent.open(after.reply()).hasHeartbeatAck()).as("the agent's session is untouched").isTrue();
  }

  @Test
  void aHelloOutsideTheClockSkew_isRefused() throws Exception {
    register(Bootstrap.REUSABLE);
    Agent agent = agentWith(PKI.nodeKeys, "boot-a");
    ByteString hello = agent.hello();
    clock.advance(SETTINGS.helloMaxSkew().plusSeconds(1));
    assertRefused(node.<EdgeReply>runCommand(r -> new Enrol(hello, r)).reply(), Refused.Reason.NOT_AUTHENTICATED);
  }

  @Test
  void aNodeRegisteredWithoutACertificate_cannotEnrol() throws Exception {
    node.<StatusReply<Registration>>runCommand(r -> new Register("web-1", Map.of(), Duration.ofHours(24), r));
    assertRefused(node.<EdgeReply>runCommand(r -> new Enrol(agentWith(PKI.nodeKeys, "b").hello(), r)).reply(),
        Refused.Reason.NOT_AUTHENTICATED);
  }

  @Test
  void registeringAnotherNodesCertificate_isRefused() {
    var refused = node.<StatusReply<Registration>>runCommand(r -> new Register("web-1", Map.of(), Duration.ofHours(24),
        der(PKI.otherNodeCertificate), Bootstrap.REUSABLE, r));
    assertThat(refused.reply().getError()).hasMessageContaining("not node n-1");
  }

  // ---- frames -------------------------------------------------------------------------------

  @Test
  void aReplayedFrame_andAFrameWithABadMac_areRefused_andTheSessionGoesOn() throws Exception {
    Agent agent = enrolledAgent();
    ByteString frame = agent.heartbeat();
    node.<EdgeReply>runCommand(r -> new AgentFrame(frame, r));
    assertRefused(node.<EdgeReply>runCommand(r -> new AgentFrame(frame, r)).reply(), Refused.Reason.MALFORMED);

    Frame forged = Frame.parseFrom(agent.heartbeat()).toBuilder().setMac(ByteString.copyFrom(new byte[32])).build();
    assertRefused(node.<EdgeReply>runCommand(r -> new AgentFrame(forged.toByteString(), r)).reply(),
        Refused.Reason.NOT_AUTHENTICATED);

    assertThat(agent.open(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply())
        .hasHeartbeatAck()).isTrue();
  }

  @Test
  void aFrameOfAnUnknownSession_asksTheAgentToEnrol() throws Exception {
    enrolledAgent();
    Frame stranger = Frame.parseFrom(agentWith(PKI.nodeKeys, "boot-z").fakeFrame());
    var reply = node.<EdgeReply>runCommand(r -> new AgentFrame(stranger.toByteString(), r));
    Refused refused = assertRefused(reply.reply(), Refused.Reason.UNKNOWN_SESSION);
    assertThat(refused.getRetryable()).isTrue();
  }

  @Test
  void theSession_survivesARecovery_andFramesFromBeforeTheTakeOverAreRefused() throws Exception {
    Agent agent = enrolledAgent();
    ByteString old = agent.heartbeat();
    node.<EdgeReply>runCommand(r -> new AgentFrame(old, r));
    clock.advance(SETTINGS.helloMaxSkew().plusSeconds(30));
    agent.clock.advance(SETTINGS.helloMaxSkew().plusSeconds(30));
    node.restart();

    assertRefused(node.<EdgeReply>runCommand(r -> new AgentFrame(old, r)).reply(), Refused.Reason.MALFORMED);
    var after = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(agent.open(after.reply()).hasHeartbeatAck()).as("the agent carries on without enrolling again").isTrue();
  }

  // ---- clones -------------------------------------------------------------------------------

  @Test
  void anotherBootEnrollingWhileTheSessionIsLive_isAClone_andQuarantinesTheNode() throws Exception {
    enrolledAgent();
    clock.advance(Duration.ofSeconds(1));
    Agent clone = agentWith(PKI.nodeKeys, "boot-clone");
    var reply = node.<EdgeReply>runCommand(r -> new Enrol(clone.hello(), r));
    assertRefused(reply.reply(), Refused.Reason.NODE_NOT_ACTIVE);
    assertThat(reply.eventOfType(NodeQuarantined.class).reason()).isEqualTo(QuarantineReason.CLONE_DETECTED);
    assertThat(revoked).as("its certificate goes on the deny list").containsExactly(PKI.nodeCertificate);
  }

  @Test
  void theSameBootEnrollingAgain_replacesTheSession_butTheOldSessionSpeakingAgainIsAClone() throws Exception {
    Agent first = enrolledAgent();
    clock.advance(Duration.ofSeconds(1));
    Agent restarted = agentWith(PKI.nodeKeys, "boot-a");
    var replaced = node.<EdgeReply>runCommand(r -> new Enrol(restarted.hello(), r));
    assertThat(replaced.reply().kind()).isEqualTo(EdgeReply.Kind.WELCOME);
    restarted.complete(replaced.reply());

    clock.advance(Duration.ofSeconds(1));
    first.clock.advance(Duration.ofSeconds(2)); // the first agent's clock: it speaks after the new Hello
    var speaks = node.<EdgeReply>runCommand(r -> new AgentFrame(first.heartbeat(), r));
    assertThat(speaks.eventOfType(NodeQuarantined.class).reason()).isEqualTo(QuarantineReason.CLONE_DETECTED);
  }

  @Test
  void aHeartbeatOfTheReplacedSessionMadeBeforeTheNewHello_deliveredLate_isNoClone() throws Exception {
    Agent first = enrolledAgent();
    clock.advance(Duration.ofSeconds(1));
    ByteString queued = first.heartbeat(); // held up on a link that was down, delivered when it came back
    clock.advance(Duration.ofSeconds(1));
    Agent again = agentWith(PKI.nodeKeys, "boot-a");
    again.complete(node.<EdgeReply>runCommand(r -> new Enrol(again.hello(), r)).reply());
    clock.advance(Duration.ofSeconds(2));

    var late = node.<EdgeReply>runCommand(r -> new AgentFrame(queued, r));
    assertThat(late.hasNoEvents()).as("not taken for a second agent").isTrue();
    assertThat(late.reply().kind()).isEqualTo(EdgeReply.Kind.NONE);
    assertThat(node.getState().stage()).isEqualTo(Stage.ACTIVE);
    var live = node.<EdgeReply>runCommand(r -> new AgentFrame(again.heartbeat(), r));
    assertThat(live.reply().kind()).as("the live session goes on").isEqualTo(EdgeReply.Kind.FRAME);
  }

  @Test
  void aReplacedSessionsHeartbeatFromLongBeforeTheNewHello_isAClone_aLaggingClockDoesNotHideIt() throws Exception {
    Agent first = enrolledAgent();
    clock.advance(Duration.ofSeconds(1));
    Agent again = agentWith(PKI.nodeKeys, "boot-a");
    again.complete(node.<EdgeReply>runCommand(r -> new Enrol(again.hello(), r)).reply());
    first.clock.advance(SETTINGS.heartbeatDeadline().plusSeconds(30).negated()); // a restored snapshot's clock
    var speaks = node.<EdgeReply>runCommand(r -> new AgentFrame(first.heartbeat(), r));
    assertThat(speaks.eventOfType(NodeQuarantined.class).reason()).isEqualTo(QuarantineReason.CLONE_DETECTED);
  }

  @Test
  void moreDelayedHeartbeatsOfTheReplacedSessionThanAnAgentSendsBeforeMovingOn_areAClone() throws Exception {
    Agent first = enrolledAgent();
    List<ByteString> queued = new java.util.ArrayList<>();
    for (int i = 0; i < SETTINGS.allowedMisses() + 3; i++) {
      queued.add(first.heartbeat());
    }
    clock.advance(Duration.ofSeconds(1));
    Agent again = agentWith(PKI.nodeKeys, "boot-a");
    again.complete(node.<EdgeReply>runCommand(r -> new Enrol(again.hello(), r)).reply());
    for (int i = 0; i < SETTINGS.allowedMisses() + 2; i++) {
      ByteString frame = queued.get(i);
      assertThat(node.<EdgeReply>runCommand(r -> new AgentFrame(frame, r)).hasNoEvents()).as("delayed " + i).isTrue();
    }
    var oneTooMany = node.<EdgeReply>runCommand(r -> new AgentFrame(queued.get(queued.size() - 1), r));
    assertThat(oneTooMany.eventOfType(NodeQuarantined.class).reason()).isEqualTo(QuarantineReason.CLONE_DETECTED);
  }

  @Test
  void aFrameWithTheReplacedSessionsIdButNotItsKey_isNoClone() throws Exception {
    Agent first = enrolledAgent();
    clock.advance(Duration.ofSeconds(1));
    Agent restarted = agentWith(PKI.nodeKeys, "boot-a");
    restarted.complete(node.<EdgeReply>runCommand(r -> new Enrol(restarted.hello(), r)).reply());

    Frame forged = Frame.parseFrom(first.heartbeat()).toBuilder().setMac(ByteString.copyFrom(new byte[32])).build();
    var reply = node.<EdgeReply>runCommand(r -> new AgentFrame(forged.toByteString(), r));
    assertRefused(reply.reply(), Refused.Reason.UNKNOWN_SESSION);
    assertThat(reply.hasNoEvents()).as("no quarantine on a forgery").isTrue();
    assertThat(node.getState().stage()).isEqualTo(Stage.ACTIVE);
  }

  @Test
  void aSilentSessionOfAReusableNode_mayBeReplacedByANewBoot() throws Exception {
    enrolledAgent();
    clock.advance(SETTINGS.sessionSilence().plusSeconds(1));
    Agent rebooted = agentWith(PKI.nodeKeys, "boot-b");
    var reply = node.<EdgeReply>runCommand(r -> new Enrol(rebooted.hello(), r));
    assertThat(reply.reply().kind()).isEqualTo(EdgeReply.Kind.WELCOME);
    assertThat(reply.state().stage()).isEqualTo(Stage.ACTIVE);
  }

  @Test
  void aSecondEnrolmentOfASingleUseNode_isACompromise() throws Exception {
    register(Bootstrap.SINGLE_USE);
    Agent agent = agentWith(PKI.nodeKeys, "boot-a");
    agent.complete(node.<EdgeReply>runCommand(r -> new Enrol(agent.hello(), r)).reply());
    clock.advance(SETTINGS.sessionSilence().plusSeconds(30));
    var second = node.<EdgeReply>runCommand(r -> new Enrol(agentWith(PKI.nodeKeys, "boot-a").hello(), r));
    assertThat(second.eventOfType(NodeQuarantined.class).detail()).contains("single-use");
  }

  // ---- quarantine, told to the agent ----------------------------------------------------------

  @Test
  void aQuarantinedNodesAgent_isToldSo_inAnAuthenticatedFrame() throws Exception {
    Agent agent = enrolledAgent();
    node.<StatusReply<org.apache.pekko.Done>>runCommand(r -> new NodeEntity.Quarantine(QuarantineReason.OPERATOR, "test", r));
    var reply = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    ControllerMessage told = agent.open(reply.reply());
    assertThat(told.getQuarantined().getReason()).isEqualTo(org.opencluster.protocol.agent.v1.Quarantined.Reason.OPERATOR);
    assertRefused(node.<EdgeReply>runCommand(r -> new Enrol(agentWith(PKI.nodeKeys, "boot-a").hello(), r)).reply(),
        Refused.Reason.NODE_NOT_ACTIVE);
  }

  @Test
  void aCriticalAlert_quarantinesTheNode() throws Exception {
    Agent agent = enrolledAgent();
    ByteString alert = agent.frame(AgentMessage.newBuilder().setAlert(Alert.newBuilder()
        .setKind(Alert.Kind.FILE_INTEGRITY).setSeverity(Alert.Severity.CRITICAL).setSubject("/etc/passwd")).build());
    var reply = node.<EdgeReply>runCommand(r -> new AgentFrame(alert, r));
    assertThat(reply.eventOfType(NodeQuarantined.class).reason()).isEqualTo(QuarantineReason.INTEGRITY_ALERT);
    assertThat(agent.open(reply.reply()).hasQuarantined()).isTrue();
  }

  @Test
  void theSessionKey_neverShowsInStatusOrToString() throws Exception {
    enrolledAgent();
    NodeEntity.Session session = NodeEntity.sessionOf(node.getState()).orElseThrow();
    assertThat(session.toString()).contains("[secret]");
    String key = java.util.HexFormat.of().formatHex(session.frameKey().copyBytes());
    assertThat(node.getState().toString()).doesNotContain(key);
    NodeEntity.NodeStatus status = node.<NodeEntity.NodeStatus>runCommand(NodeEntity.GetStatus::new).reply();
    assertThat(status.session()).as("the status names the session").isPresent();
    assertThat(status.toString()).doesNotContain(key);
  }

  // ---- helpers ------------------------------------------------------------------------------

  private void register(Bootstrap bootstrap) {
    var registered = node.<StatusReply<Registration>>runCommand(r -> new Register("web-1", Map.of(), Duration.ofHours(24),
        der(PKI.nodeCertificate), bootstrap, r));
    assertThat(registered.reply().isSuccess()).isTrue();
  }

  private Agent enrolledAgent() throws Exception {
    register(Bootstrap.REUSABLE);
    Agent agent = agentWith(PKI.nodeKeys, "boot-a");
    agent.complete(node.<EdgeReply>runCommand(r -> new Enrol(agent.hello(), r)).reply());
    node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    return agent;
  }

  private static Refused assertRefused(EdgeReply reply, Refused.Reason reason) throws Exception {
    assertThat(reply.kind()).isEqualTo(EdgeReply.Kind.REFUSED);
    Refused refused = Refused.parseFrom(reply.message());
    assertThat(refused.getReason()).as(refused.getDetail()).isEqualTo(reason);
    return refused;
  }

  private static ByteString der(X509Certificate certificate) {
    try {
      return ByteString.copyFrom(certificate.getEncoded());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private Agent agentWith(KeyPair keys, String bootId) {
    return new Agent("n-1", keys, bootId, clock.instant(), PKI);
  }
}
