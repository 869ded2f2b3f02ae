package org.opencluster.controller.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.node.NodeEntity.AgentFrame;
import org.opencluster.controller.node.NodeEntity.Bootstrap;
import org.opencluster.controller.node.NodeEntity.Command;
import org.opencluster.controller.node.NodeEntity.CredentialRotationDue;
import org.opencluster.controller.node.NodeEntity.EdgeReply;
import org.opencluster.controller.node.NodeEntity.Enrol;
import org.opencluster.controller.node.NodeEntity.Event;
import org.opencluster.controller.node.NodeEntity.Register;
import org.opencluster.controller.node.NodeEntity.Registration;
import org.opencluster.controller.node.NodeEntity.SessionOpened;
import org.opencluster.controller.node.NodeEntity.Stage;
import org.opencluster.controller.node.NodeEntity.State;
import org.opencluster.controller.node.NodeEntity.Timer;
import org.opencluster.controller.node.NodeEntity.TimerFired;
import org.opencluster.controller.testing.MovableClock;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.agent.v1.SignedHello;

/**
 * The node-scoped re-key of the agent's session, at the entity: when the node's credential
 * rotation comes due after its session opened, heartbeat replies ask the agent to re-key; a Hello
 * proven with the live session's key replaces the session in place, for a single-use node too,
 * and the replaced session's frames still in flight are no clone; a Hello whose proof fails is
 * refused and changes nothing.
 */
class NodeRekeyTest {

  private static final NodeSettings SETTINGS = new NodeSettings(Duration.ofSeconds(5), 3, Duration.ofSeconds(5),
      Duration.ofSeconds(60), Duration.ofMinutes(10), Duration.ofDays(365), 100);
  private static final Instant START = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  private static final EntityTestSystem TEST_SYSTEM = new EntityTestSystem("node-rekey-test");
  private static final ActorTestKit KIT = TEST_SYSTEM.kit();
  private static final TestPki PKI = new TestPki();

  private MovableClock clock;
  private EventSourcedBehaviorTestKit<Command, Event, State> node;

  @AfterAll
  static void shutDown() {
    TEST_SYSTEM.close();
  }

  @BeforeEach
  void create() {
    clock = new MovableClock(START);
    node = EventSourcedBehaviorTestKit.create(TEST_SYSTEM.system(), NodeEntity.create("n-1",
        new NodeEnvironment(SETTINGS, clock, () -> PKI.controller, certificate -> { }), Optional.empty()));
  }

  @Test
  void whenTheRotationIsDue_aRekeyFollowsTheHeartbeatAck_atMostOnceAHeartbeatInterval() throws Exception {
    Agent agent = enrolledAgent(Bootstrap.REUSABLE);
    rotationComesDue(agent);

    var beat = heartbeat(agent);
    assertThat(agent.open(beat.reply()).hasHeartbeatAck()).isTrue();
    assertThat(agent.following(beat.reply())).extracting(ControllerMessage::hasRekey).containsExactly(true);

    var soon = heartbeat(agent);
    assertThat(agent.following(soon.reply())).as("asked less than a heartbeat interval ago").isEmpty();

    pass(agent, SETTINGS.heartbeatInterval());
    assertThat(agent.following(heartbeat(agent).reply())).extracting(ControllerMessage::hasRekey).containsExactly(true);
  }

  @Test
  void whenTheRotationIsNotDue_noRekeyIsAsked() throws Exception {
    Agent agent = enrolledAgent(Bootstrap.REUSABLE);
    pass(agent, SETTINGS.credentialRotationInterval().minusSeconds(1));
    var beat = heartbeat(agent);
    assertThat(agent.open(beat.reply()).hasHeartbeatAck()).isTrue();
    assertThat(agent.following(beat.reply())).isEmpty();
  }

  @Test
  void aProvenRekeyOfAReusableNode_opensANewSession_andTheOldSessionsFrameInFlightIsNoClone() throws Exception {
    Agent agent = enrolledAgent(Bootstrap.REUSABLE);
    rotationComesDue(agent);
    NodeEntity.Session before = NodeEntity.sessionOf(node.getState()).orElseThrow();
    ByteString inFlight = agent.heartbeat();

    var rekeyed = node.<EdgeReply>runCommand(r -> new Enrol(agent.rekeyHello(), r));
    assertThat(rekeyed.reply().kind()).isEqualTo(EdgeReply.Kind.WELCOME);
    NodeEntity.Session after = rekeyed.eventOfType(SessionOpened.class).session();
    assertThat(after.sessionId()).isNotEqualTo(before.sessionId());
    assertThat(after.bootId()).isEqualTo("boot-a");
    assertThat(after.openedAt()).isAfter(before.openedAt());
    agent.complete(rekeyed.reply());

    var stale = node.<EdgeReply>runCommand(r -> new AgentFrame(inFlight, r));
    assertThat(stale.reply().kind()).as("ignored").isEqualTo(EdgeReply.Kind.NONE);
    assertThat(stale.hasNoEvents()).as("no quarantine").isTrue();
    var beat = heartbeat(agent);
    assertThat(agent.open(beat.reply()).hasHeartbeatAck()).isTrue();
    assertThat(agent.following(beat.reply())).as("the new session is not due").isEmpty();
    assertThat(beat.state().stage()).isEqualTo(Stage.ACTIVE);
  }

  @Test
  void aProvenRekeyOfASingleUseNode_isNoSecondEnrolment() throws Exception {
    Agent agent = enrolledAgent(Bootstrap.SINGLE_USE);
    rotationComesDue(agent);
    ByteString inFlight = agent.heartbeat();

    var rekeyed = node.<EdgeReply>runCommand(r -> new Enrol(agent.rekeyHello(), r));
    assertThat(rekeyed.reply().kind()).isEqualTo(EdgeReply.Kind.WELCOME);
    assertThat(rekeyed.events()).hasSize(1).allMatch(SessionOpened.class::isInstance);
    agent.complete(rekeyed.reply());

    assertThat(node.<EdgeReply>runCommand(r -> new AgentFrame(inFlight, r)).hasNoEvents()).isTrue();
    var beat = heartbeat(agent);
    assertThat(agent.open(beat.reply()).hasHeartbeatAck()).isTrue();
    assertThat(beat.state().stage()).isEqualTo(Stage.ACTIVE);
  }

  @Test
  void aRekeyWithABadProof_isRefused_andTheNodeKeepsItsSession() throws Exception {
    Agent agent = enrolledAgent(Bootstrap.SINGLE_USE);
    rotationComesDue(agent);
    NodeEntity.Session before = NodeEntity.sessionOf(node.getState()).orElseThrow();
    SignedHello proven = SignedHello.parseFrom(agent.rekeyHello());
    ByteString forged = proven.toBuilder().setRekeyProof(ByteString.copyFrom(new byte[32])).build().toByteString();

    var refused = node.<EdgeReply>runCommand(r -> new Enrol(forged, r));
    assertRefused(refused.reply(), Refused.Reason.NOT_AUTHENTICATED);
    assertThat(refused.hasNoEvents()).as("neither a quarantine nor a new session").isTrue();
    assertThat(node.getState().stage()).isEqualTo(Stage.ACTIVE);
    assertThat(NodeEntity.sessionOf(node.getState()).orElseThrow().sessionId()).isEqualTo(before.sessionId());
    assertThat(agent.open(heartbeat(agent).reply()).hasHeartbeatAck()).as("the session goes on").isTrue();
  }

  @Test
  void aRekeyWithoutItsProof_isRefused_notTakenForAPlainEnrolment() throws Exception {
    Agent agent = enrolledAgent(Bootstrap.REUSABLE);
    ByteString unproven = SignedHello.parseFrom(agent.rekeyHello()).toBuilder().clearRekeyProof().build().toByteString();
    var refused = node.<EdgeReply>runCommand(r -> new Enrol(unproven, r));
    assertRefused(refused.reply(), Refused.Reason.NOT_AUTHENTICATED);
    assertThat(refused.hasNoEvents()).isTrue();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private Agent enrolledAgent(Bootstrap bootstrap) throws Exception {
    var registered = node.<StatusReply<Registration>>runCommand(r -> new Register("web-1", Map.of(),
        Duration.ofHours(24), der(PKI.nodeCertificate), bootstrap, r));
    assertThat(registered.reply().isSuccess()).isTrue();
    Agent agent = new Agent("n-1", PKI.nodeKeys, "boot-a", clock.instant(), PKI);
    agent.complete(node.<EdgeReply>runCommand(r -> new Enrol(agent.hello(), r)).reply());
    heartbeat(agent);
    return agent;
  }

  /** The rotation schedule's timer fires: the session, opened before, is now due for a re-key. */
  private void rotationComesDue(Agent agent) {
    pass(agent, SETTINGS.credentialRotationInterval());
    var due = node.runCommand(new TimerFired(Timer.CREDENTIAL_ROTATION));
    assertThat(due.eventOfType(CredentialRotationDue.class).dueAt()).isEqualTo(clock.instant());
  }

  private EventSourcedBehaviorTestKit.CommandResultWithReply<Command, Event, State, EdgeReply> heartbeat(Agent agent) {
    return node.runCommand(r -> new AgentFrame(agent.heartbeat(), r));
  }

  private void pass(Agent agent, Duration time) {
    clock.advance(time);
    agent.clock.advance(time);
  }

  private static void assertRefused(EdgeReply reply, Refused.Reason reason) throws Exception {
    assertThat(reply.kind()).isEqualTo(EdgeReply.Kind.REFUSED);
    Refused refused = Refused.parseFrom(reply.message());
    assertThat(refused.getReason()).as(refused.getDetail()).isEqualTo(reason);
  }

  private static ByteString der(X509Certificate certificate) {
    try {
      return ByteString.copyFrom(certificate.getEncoded());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
