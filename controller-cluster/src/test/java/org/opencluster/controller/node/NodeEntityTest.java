package org.opencluster.controller.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.node.NodeEntity.Command;
import org.opencluster.controller.node.NodeEntity.EdgeReply;
import org.opencluster.controller.node.NodeEntity.CredentialRotationDue;
import org.opencluster.controller.node.NodeEntity.Event;
import org.opencluster.controller.node.NodeEntity.GetStatus;
import org.opencluster.controller.node.NodeEntity.Heartbeat;
import org.opencluster.controller.node.NodeEntity.HeartbeatAccepted;
import org.opencluster.controller.node.NodeEntity.NodeActivated;
import org.opencluster.controller.node.NodeEntity.NodeExpired;
import org.opencluster.controller.node.NodeEntity.NodeQuarantined;
import org.opencluster.controller.node.NodeEntity.NodeRegistered;
import org.opencluster.controller.node.NodeEntity.NodeRetired;
import org.opencluster.controller.node.NodeEntity.NodeStatus;
import org.opencluster.controller.node.NodeEntity.Quarantine;
import org.opencluster.controller.node.NodeEntity.QuarantineReason;
import org.opencluster.controller.node.NodeEntity.Register;
import org.opencluster.controller.node.NodeEntity.Registration;
import org.opencluster.controller.node.NodeEntity.Release;
import org.opencluster.controller.node.NodeEntity.Retire;
import org.opencluster.controller.node.NodeEntity.Stage;
import org.opencluster.controller.node.NodeEntity.State;
import org.opencluster.controller.node.NodeEntity.Timer;
import org.opencluster.controller.node.NodeEntity.TimerFired;
import org.opencluster.controller.testing.MovableClock;

/**
 * Every transition and refusal of NodeEntity. The testkit checks that every command, event and
 * state serializes, which runs events and snapshots through the encrypting serializer with a real
 * unsealed key ring.
 */
class NodeEntityTest {

  /** Real timers are set far out, so only the test's TimerFired commands move time. */
  private static final NodeSettings SETTINGS = new NodeSettings(Duration.ofMinutes(5), 3, Duration.ofMinutes(1),
      Duration.ofMinutes(20), Duration.ofHours(24), Duration.ofDays(365), 100);
  private static final Instant START = Instant.parse("2026-06-01T12:00:00Z");
  private static final EntityTestSystem TEST_SYSTEM = new EntityTestSystem("node-entity-test");
  private static final ActorSystem<Void> SYSTEM = TEST_SYSTEM.system();
  private static final ActorTestKit KIT = TEST_SYSTEM.kit();

  private MovableClock clock;
  private EventSourcedBehaviorTestKit<Command, Event, State> node;

  @AfterAll
  static void shutDown() {
    TEST_SYSTEM.close();
  }

  @BeforeEach
  void create() {
    clock = new MovableClock(START);
    node = EventSourcedBehaviorTestKit.create(SYSTEM, NodeEntity.create("n-1", environment(SETTINGS, clock), Optional.empty()));
    node.clear();
  }

  @Test
  void anIdNobodyRegistered_isAnswered_andForgotten_whateverItIsAsked() {
    TestProbe<ClusterSharding.ShardCommand> shard = KIT.createTestProbe();
    var stranger = EventSourcedBehaviorTestKit.<Command, Event, State>create(SYSTEM,
        NodeEntity.create("n-stranger", environment(SETTINGS, clock), Optional.of(shard.getRef())));

    assertThat(stranger.<NodeStatus>runCommand(GetStatus::new).reply().stage()).isEqualTo(Stage.UNREGISTERED);
    assertThat(shard.expectMessageClass(ClusterSharding.Passivate.class).entity()).isNotNull();
    var hello = stranger.<EdgeReply>runCommand(r -> new NodeEntity.Enrol(ByteString.copyFromUtf8("hello"), r));
    assertThat(hello.reply().kind()).isEqualTo(EdgeReply.Kind.REFUSED);
    shard.expectMessageClass(ClusterSharding.Passivate.class);
    var frame = stranger.<EdgeReply>runCommand(r -> new NodeEntity.AgentFrame(ByteString.copyFromUtf8("frame"), r));
    assertThat(frame.reply().kind()).isEqualTo(EdgeReply.Kind.REFUSED);
    shard.expectMessageClass(ClusterSharding.Passivate.class);
    assertThat(stranger.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new).reply().isError()).isTrue();
    shard.expectMessageClass(ClusterSharding.Passivate.class);
    assertThat(hello.hasNoEvents() && frame.hasNoEvents()).as("nothing journaled for a stranger").isTrue();

    var registered = stranger.<StatusReply<Registration>>runCommand(r -> new Register("web-9", Map.of(), Duration.ofHours(1), r));
    assertThat(registered.reply().isSuccess()).isTrue();
    stranger.<NodeStatus>runCommand(GetStatus::new);
    shard.expectNoMessage(Duration.ofMillis(200));
  }

  // ---- registration -------------------------------------------------------------------------

  @Test
  void register_recordsTheFacts_andRepliesWithTheLifetime() {
    var result = node.<StatusReply<Registration>>runCommand(r -> new Register("web-1", Map.of("role", "web"), Duration.ofHours(24), r));
    assertThat(result.reply().getValue()).isEqualTo(new Registration("n-1", START, START.plus(Duration.ofHours(24))));
    NodeRegistered event = result.eventOfType(NodeRegistered.class);
    assertThat(event.facts().labels()).containsEntry("role", "web");
    assertThat(event.facts().nextRotationAt()).isEqualTo(START.plus(Duration.ofHours(24)));
    assertThat(result.stateOfType(NodeEntity.Registered.class).facts().name()).isEqualTo("web-1");
  }

  @Test
  void registerTwice_isRefused() {
    register();
    var again = node.<StatusReply<Registration>>runCommand(r -> new Register("web-1", Map.of(), Duration.ofHours(1), r));
    assertThat(again.reply().getError()).hasMessageContaining("already registered");
    assertThat(again.hasNoEvents()).isTrue();
  }

  @Test
  void invalidRegistrations_areRefusedAndRecordNothing() {
    assertRegisterRefused("Web 1", Map.of(), Duration.ofHours(1), "invalid node name");
    assertRegisterRefused("web-1", Map.of("Role", "web"), Duration.ofHours(1), "invalid label key");
    assertRegisterRefused("web-1", Map.of("role", "we b"), Duration.ofHours(1), "invalid value for label");
    assertRegisterRefused("web-1", Map.of(), Duration.ZERO, "lifetime must be positive");
    assertRegisterRefused("web-1", Map.of(), Duration.ofDays(400), "exceeds the maximum");
  }

  @Test
  void commandsBeforeRegistration_areRefused() {
    assertThat(node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new).reply().getError()).hasMessageContaining("not registered");
    assertThat(node.<StatusReply<Done>>runCommand(r -> new Quarantine(QuarantineReason.OPERATOR, "x", r)).reply().getError())
        .hasMessageContaining("not registered");
    assertThat(node.<StatusReply<Done>>runCommand(r -> new Retire("alice", r)).reply().getError()).hasMessageContaining("not registered");
    assertThat(node.getState()).isInstanceOf(NodeEntity.Unregistered.class);
  }

  // ---- heartbeats and the deadline ----------------------------------------------------------

  @Test
  void firstHeartbeat_activates_andGrantsALease() {
    register();
    var result = node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new);
    assertThat(result.eventOfType(NodeActivated.class).at()).isEqualTo(START);
    assertThat(result.reply().getValue()).isEqualTo(new HeartbeatAccepted(START.plus(SETTINGS.leaseDuration()), SETTINGS.heartbeatInterval()));
    assertThat(result.state().stage()).isEqualTo(Stage.ACTIVE);
  }

  @Test
  void laterHeartbeats_renewTheLeaseWithoutJournaling() {
    activate();
    clock.advance(Duration.ofMinutes(4));
    var result = node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new);
    assertThat(result.hasNoEvents()).isTrue();
    Instant now = START.plus(Duration.ofMinutes(4));
    assertThat(result.reply().getValue().leaseExpiresAt()).isEqualTo(now.plus(SETTINGS.leaseDuration()));
    NodeStatus status = status();
    assertThat(status.liveness().lastHeartbeatAt()).contains(now);
    assertThat(status.liveness().deadlineAt()).contains(now.plus(SETTINGS.heartbeatDeadline()));
  }

  @Test
  void heartbeats_neverJournal_evenAcrossHeartbeatBuckets() {
    register();
    var first = node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new);
    assertThat(first.events()).as("activation only").containsExactly(new NodeActivated(START));
    for (int hour = 1; hour <= 3; hour++) {
      clock.advance(Duration.ofMinutes(30));
      assertThat(node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new).hasNoEvents()).isTrue();
      clock.advance(Duration.ofMinutes(30));
      var nextHour = node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new);
      assertThat(nextHour.hasNoEvents()).as("the first heartbeat of hour %d", hour).isTrue();
      assertThat(nextHour.reply().isSuccess()).isTrue();
    }
    assertThat(PersistenceTestKit.create(SYSTEM).persistedInStorage("node|n-1"))
        .as("the registration and the activation, nothing else").hasSize(2).last().isEqualTo(new NodeActivated(START));
  }

  @Test
  void theReadModel_getsEachNewHeartbeatBucketOnce_andAgainAfterRecovery() {
    List<String> entered = new java.util.concurrent.CopyOnWriteArrayList<>();
    node = EventSourcedBehaviorTestKit.create(SYSTEM, NodeEntity.create("n-1", environment(SETTINGS, clock,
        (nodeId, bucket) -> entered.add(nodeId + "@" + bucket)), Optional.empty()));
    register();
    node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new);
    assertThat(entered).containsExactly("n-1@" + START);

    clock.advance(Duration.ofMinutes(59));
    node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new);
    assertThat(entered).as("the same hour: nothing new").hasSize(1);
    clock.advance(Duration.ofMinutes(1));
    node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new);
    assertThat(entered).last().isEqualTo("n-1@" + START.plus(Duration.ofHours(1)));

    clock.advance(Duration.ofHours(-3));
    node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new);
    assertThat(entered).as("a clock stepped back reports no earlier bucket").hasSize(2);

    clock.advance(Duration.ofHours(3).plusMinutes(5));
    node.restart();
    node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new);
    assertThat(entered).as("after recovery the first heartbeat counts as new").hasSize(3)
        .last().isEqualTo("n-1@" + START.plus(Duration.ofHours(1)));
  }

  @Test
  void aMissedDeadline_quarantinesTheNode() {
    activate();
    clock.advance(SETTINGS.heartbeatDeadline());
    var result = node.runCommand(new TimerFired(Timer.HEARTBEAT_DEADLINE));
    NodeQuarantined event = result.eventOfType(NodeQuarantined.class);
    assertThat(event.reason()).isEqualTo(QuarantineReason.HEARTBEAT_MISSED);
    assertThat(event.detail()).contains("no heartbeat since " + START);
    assertThat(result.state().stage()).isEqualTo(Stage.QUARANTINED);
  }

  @Test
  void aDeadlineTimerFromBeforeTheLastHeartbeat_isIgnored() {
    activate();
    clock.advance(SETTINGS.heartbeatDeadline().minusSeconds(1));
    node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new);
    clock.advance(Duration.ofSeconds(2));
    var result = node.runCommand(new TimerFired(Timer.HEARTBEAT_DEADLINE));
    assertThat(result.hasNoEvents()).isTrue();
    assertThat(result.state().stage()).isEqualTo(Stage.ACTIVE);
  }

  @Test
  void aDeadlineTimerThatWakesEarly_isArmedAgain_andQuarantinesWhenTheDeadlineComes() {
    activate();
    clock.advance(SETTINGS.heartbeatDeadline().minusSeconds(1));
    var early = node.runCommand(new TimerFired(Timer.HEARTBEAT_DEADLINE));
    assertThat(early.hasNoEvents()).isTrue();
    clock.advance(Duration.ofSeconds(1));
    var due = node.runCommand(new TimerFired(Timer.HEARTBEAT_DEADLINE));
    assertThat(due.eventOfType(NodeQuarantined.class).reason()).isEqualTo(QuarantineReason.HEARTBEAT_MISSED);
  }

  @Test
  void aControllerClusterChangeDuringTheSilence_restartsTheDeadlineFromTheChange_thenASilentNodeIsQuarantined() {
    java.util.concurrent.atomic.AtomicReference<Instant> change = new java.util.concurrent.atomic.AtomicReference<>();
    node = withClusterChanges(change);
    activate();
    Duration deadline = SETTINGS.heartbeatDeadline();
    change.set(START.plus(deadline.dividedBy(2)));
    clock.advance(deadline);

    var spared = node.runCommand(new TimerFired(Timer.HEARTBEAT_DEADLINE));
    assertThat(spared.hasNoEvents()).as("no quarantine: the controllers changed while the node was silent").isTrue();
    assertThat(status().stage()).isEqualTo(Stage.ACTIVE);
    assertThat(status().liveness().deadlineAt()).contains(change.get().plus(deadline));

    clock.advance(deadline.dividedBy(2));
    var due = node.runCommand(new TimerFired(Timer.HEARTBEAT_DEADLINE));
    assertThat(due.eventOfType(NodeQuarantined.class).reason()).isEqualTo(QuarantineReason.HEARTBEAT_MISSED);
  }

  @Test
  void aControllerClusterChangeBeforeTheLastHeartbeat_givesNoGrace() {
    java.util.concurrent.atomic.AtomicReference<Instant> change = new java.util.concurrent.atomic.AtomicReference<>(
        START.minusSeconds(1));
    node = withClusterChanges(change);
    activate();
    clock.advance(SETTINGS.heartbeatDeadline());
    var result = node.runCommand(new TimerFired(Timer.HEARTBEAT_DEADLINE));
    assertThat(result.eventOfType(NodeQuarantined.class).reason()).isEqualTo(QuarantineReason.HEARTBEAT_MISSED);
  }

  @Test
  void afterRecovery_aClusterChangeGivesNoGraceBeforeTheFirstHeartbeat() {
    java.util.concurrent.atomic.AtomicReference<Instant> change = new java.util.concurrent.atomic.AtomicReference<>();
    node = withClusterChanges(change);
    activate();
    clock.advance(Duration.ofMinutes(1));
    node.restart();
    Instant recovered = clock.instant();
    change.set(recovered.plusSeconds(30));
    clock.advance(SETTINGS.heartbeatDeadline());
    var result = node.runCommand(new TimerFired(Timer.HEARTBEAT_DEADLINE));
    assertThat(result.eventOfType(NodeQuarantined.class).reason())
        .as("the deadline restarted from the recovery already; a later change adds nothing").isEqualTo(QuarantineReason.HEARTBEAT_MISSED);
  }

  @Test
  void aControllerClusterThatKeepsChanging_neverKeepsASilentNodeBeyondTwiceItsDeadline() {
    java.util.concurrent.atomic.AtomicReference<Instant> change = new java.util.concurrent.atomic.AtomicReference<>();
    node = withClusterChanges(change);
    activate();
    Duration deadline = SETTINGS.heartbeatDeadline();
    for (int round = 0; round < 3; round++) {
      Instant fires = status().liveness().deadlineAt().orElseThrow();
      clock.advance(Duration.between(clock.instant(), fires));
      change.set(fires.minusSeconds(1));
      var result = node.runCommand(new TimerFired(Timer.HEARTBEAT_DEADLINE));
      if (fires.isBefore(START.plus(deadline.multipliedBy(2)))) {
        assertThat(result.hasNoEvents()).as("round %d, at %s", round, fires).isTrue();
      } else {
        assertThat(fires).isEqualTo(START.plus(deadline.multipliedBy(2)));
        assertThat(result.eventOfType(NodeQuarantined.class).reason()).isEqualTo(QuarantineReason.HEARTBEAT_MISSED);
        return;
      }
    }
    throw new AssertionError("still not quarantined after three deadlines of silence: " + status());
  }

  /**
   * Real timers and a wall clock stepped back after the heartbeat: the deadline timer wakes while
   * the clock still reads before the deadline. It must arm itself again, not give up.
   */
  @Test
  void theRealDeadlineTimer_quarantinesASilentNode_evenWhenTheWallClockSteppedBack() {
    NodeSettings fast = new NodeSettings(Duration.ofSeconds(1), 1, Duration.ofSeconds(1), Duration.ofMinutes(20),
        Duration.ofHours(24), Duration.ofDays(365), 100);
    SteppedClock wall = new SteppedClock();
    var live = EventSourcedBehaviorTestKit.<Command, Event, State>create(SYSTEM,
        NodeEntity.create("n-live", environment(fast, wall), Optional.empty()));
    live.<StatusReply<Registration>>runCommand(r -> new Register("web-2", Map.of(), Duration.ofHours(1), r));
    live.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new);
    Instant deadline = live.<NodeStatus>runCommand(GetStatus::new).reply().liveness().deadlineAt().orElseThrow();
    wall.stepBack(Duration.ofMillis(1500));

    await().atMost(Duration.ofSeconds(15)).until(
        () -> live.<NodeStatus>runCommand(GetStatus::new).reply().stage() == Stage.QUARANTINED);
    NodeStatus quarantined = live.<NodeStatus>runCommand(GetStatus::new).reply();
    assertThat(quarantined.quarantineReason()).contains(QuarantineReason.HEARTBEAT_MISSED);
    assertThat(quarantined.since().orElseThrow()).isAfterOrEqualTo(deadline);
  }

  @Test
  void aHistoryCopiedFromAnotherNode_stopsRecovery() {
    NodeEntity.NodeFacts foreign = new NodeEntity.NodeFacts("n-other", "web-9", Map.of(), START, START.plus(Duration.ofDays(1)),
        START.plus(Duration.ofDays(1)));
    PersistenceTestKit.create(SYSTEM).persistForRecovery("node|n-victim", List.of(new NodeRegistered(foreign)));
    TestProbe<Object> watcher = KIT.createTestProbe();
    var victim = KIT.spawn(NodeEntity.create("n-victim", environment(SETTINGS, clock), Optional.empty()));
    watcher.expectTerminated(victim, Duration.ofSeconds(10));
  }

  @Test
  void afterRecovery_theDeadlineRestartsFromTheRecoveryTime() {
    activate();
    clock.advance(SETTINGS.heartbeatDeadline().multipliedBy(10));
    node.restart();
    Instant recoveredAt = START.plus(SETTINGS.heartbeatDeadline().multipliedBy(10));
    assertThat(status().liveness().deadlineAt()).contains(recoveredAt.plus(SETTINGS.heartbeatDeadline()));
    var stale = node.runCommand(new TimerFired(Timer.HEARTBEAT_DEADLINE));
    assertThat(stale.hasNoEvents()).isTrue();
    assertThat(stale.state().stage()).isEqualTo(Stage.ACTIVE);
  }

  @Test
  void aQuarantinedNode_refusesHeartbeats() {
    activate();
    node.<StatusReply<Done>>runCommand(r -> new Quarantine(QuarantineReason.OPERATOR, "suspicious", r));
    var result = node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new);
    assertThat(result.reply().getError()).hasMessageContaining("quarantined");
    assertThat(result.hasNoEvents()).isTrue();
  }

  // ---- quarantine, release, retire ----------------------------------------------------------

  @Test
  void operatorQuarantine_isRecordedOnce() {
    activate();
    var first = node.<StatusReply<Done>>runCommand(r -> new Quarantine(QuarantineReason.OPERATOR, "suspicious", r));
    assertThat(first.reply().isSuccess()).isTrue();
    assertThat(first.eventOfType(NodeQuarantined.class).reason()).isEqualTo(QuarantineReason.OPERATOR);
    var second = node.<StatusReply<Done>>runCommand(r -> new Quarantine(QuarantineReason.OPERATOR, "again", r));
    assertThat(second.reply().isSuccess()).isTrue();
    assertThat(second.hasNoEvents()).isTrue();
  }

  @Test
  void release_retiresAQuarantinedNode() {
    activate();
    node.<StatusReply<Done>>runCommand(r -> new Quarantine(QuarantineReason.CLONE_DETECTED, "two sessions", r));
    var result = node.<StatusReply<Done>>runCommand(Release::new);
    assertThat(result.eventOfType(NodeRetired.class).by()).isEqualTo("release");
    assertThat(result.state().stage()).isEqualTo(Stage.RETIRED);
  }

  @Test
  void release_ofANodeThatIsNotQuarantined_isRefused() {
    activate();
    var result = node.<StatusReply<Done>>runCommand(Release::new);
    assertThat(result.reply().getError()).hasMessageContaining("not quarantined");
    assertThat(result.hasNoEvents()).isTrue();
  }

  @Test
  void retire_endsTheNode_andARetiredNodeRefusesEverything() {
    activate();
    var result = node.<StatusReply<Done>>runCommand(r -> new Retire("alice", r));
    assertThat(result.eventOfType(NodeRetired.class).by()).isEqualTo("alice");
    node.restart();
    assertThat(node.getState().stage()).isEqualTo(Stage.RETIRED);
    assertThat(node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new).reply().getError()).hasMessageContaining("retired");
    assertThat(node.<StatusReply<Registration>>runCommand(r -> new Register("web-1", Map.of(), Duration.ofHours(1), r))
        .reply().getError()).hasMessageContaining("new id");
    assertThat(node.<StatusReply<Done>>runCommand(r -> new Quarantine(QuarantineReason.OPERATOR, "x", r)).reply().getError())
        .hasMessageContaining("retired");
    var again = node.<StatusReply<Done>>runCommand(r -> new Retire("bob", r));
    assertThat(again.reply().isSuccess()).isTrue();
    assertThat(again.hasNoEvents()).isTrue();
  }

  // ---- lifetime and rotation ----------------------------------------------------------------

  @Test
  void theEndOfLife_expiresTheNode() {
    activate();
    clock.advance(Duration.ofHours(24));
    var result = node.runCommand(new TimerFired(Timer.LIFETIME_END));
    assertThat(result.eventOfType(NodeExpired.class).at()).isEqualTo(START.plus(Duration.ofHours(24)));
    assertThat(node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new).reply().getError())
        .hasMessageContaining("end of its lifetime");
  }

  @Test
  void aLifetimeTimerThatWakesEarly_expiresNothing() {
    activate();
    clock.advance(Duration.ofHours(23));
    var result = node.runCommand(new TimerFired(Timer.LIFETIME_END));
    assertThat(result.hasNoEvents()).isTrue();
  }

  @Test
  void credentialRotation_comesDueOnSchedule() {
    activate();
    clock.advance(SETTINGS.credentialRotationInterval());
    var result = node.runCommand(new TimerFired(Timer.CREDENTIAL_ROTATION));
    Instant due = START.plus(SETTINGS.credentialRotationInterval());
    assertThat(result.eventOfType(CredentialRotationDue.class)).isEqualTo(new CredentialRotationDue(due, due.plus(SETTINGS.credentialRotationInterval())));
    assertThat(result.stateOfType(NodeEntity.Active.class).facts().nextRotationAt()).isEqualTo(due.plus(SETTINGS.credentialRotationInterval()));
  }

  @Test
  void status_reportsStageFactsAndLiveness() {
    activate();
    NodeStatus status = status();
    assertThat(status.stage()).isEqualTo(Stage.ACTIVE);
    assertThat(status.facts()).map(NodeEntity.NodeFacts::name).contains("web-1");
    assertThat(status.since()).contains(START);
    assertThat(status.liveness().leaseExpiresAt()).contains(START.plus(SETTINGS.leaseDuration()));
  }

  /** A fresh node whose controller saw the cluster last change at {@code change} (null: never). */
  private EventSourcedBehaviorTestKit<Command, Event, State> withClusterChanges(
      java.util.concurrent.atomic.AtomicReference<Instant> change) {
    var created = EventSourcedBehaviorTestKit.<Command, Event, State>create(SYSTEM, NodeEntity.create("n-changes",
        environment(SETTINGS, clock).withClusterChanges(() -> Optional.ofNullable(change.get())), Optional.empty()));
    created.clear();
    return created;
  }

  /** No agent enrols in these tests: nothing signs a Welcome, nothing is revoked. */
  private static NodeEnvironment environment(NodeSettings settings, java.time.Clock clock) {
    return environment(settings, clock, NodeEnvironment.HeartbeatBuckets.NONE);
  }

  private static NodeEnvironment environment(NodeSettings settings, java.time.Clock clock,
      NodeEnvironment.HeartbeatBuckets buckets) {
    return new NodeEnvironment(settings, clock, () -> {
      throw new IllegalStateException("no controller key in this test");
    }, NodeEnvironment.Revocations.NONE, FileSource.NONE, org.opencluster.controller.audit.SecurityEvents.NONE, buckets);
  }

  /** The system clock, stepped back by the test. */
  private static final class SteppedClock extends java.time.Clock {
    private volatile Duration back = Duration.ZERO;

    void stepBack(Duration by) {
      back = back.plus(by);
    }

    @Override
    public Instant instant() {
      return Instant.now().minus(back);
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private void register() {
    node.<StatusReply<Registration>>runCommand(r -> new Register("web-1", Map.of("role", "web"), Duration.ofHours(24), r));
  }

  private void activate() {
    register();
    node.<StatusReply<HeartbeatAccepted>>runCommand(Heartbeat::new);
  }

  private NodeStatus status() {
    return node.<NodeStatus>runCommand(GetStatus::new).reply();
  }

  private void assertRegisterRefused(String name, Map<String, String> labels, Duration lifetime, String message) {
    var result = node.<StatusReply<Registration>>runCommand(r -> new Register(name, labels, lifetime, r));
    assertThat(result.reply().getError()).hasMessageContaining(message);
    assertThat(result.hasNoEvents()).isTrue();
  }
}
