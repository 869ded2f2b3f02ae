package org.opencluster.controller.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.node.NodeEntity.Command;
import org.opencluster.controller.node.NodeEntity.Event;
import org.opencluster.controller.node.NodeEntity.GetStatus;
import org.opencluster.controller.node.NodeEntity.NodeStatus;
import org.opencluster.controller.node.NodeEntity.ProvisionerHookDone;
import org.opencluster.controller.node.NodeEntity.ProvisionerHookStatus;
import org.opencluster.controller.node.NodeEntity.Quarantine;
import org.opencluster.controller.node.NodeEntity.QuarantineReason;
import org.opencluster.controller.node.NodeEntity.Quarantined;
import org.opencluster.controller.node.NodeEntity.Register;
import org.opencluster.controller.node.NodeEntity.Registration;
import org.opencluster.controller.node.NodeEntity.State;
import org.opencluster.controller.provisioning.ProvisionerHook;
import org.opencluster.controller.provisioning.ProvisionerSettings;
import org.opencluster.controller.testing.HookScript;
import org.opencluster.controller.testing.MovableClock;

/**
 * The provisioner hook of a quarantined node, with a real command (a shell script the test writes)
 * run by the entity: asked once per quarantine with the node's id, journaled when done, asked again
 * after a recovery only if it had not reported done. Serialization checks on, clock injected.
 */
class NodeProvisionerHookTest {

  private static final NodeSettings SETTINGS = new NodeSettings(Duration.ofMinutes(5), 3, Duration.ofMinutes(1),
      Duration.ofMinutes(20), Duration.ofHours(24), Duration.ofDays(365), 100);
  private static final Instant START = Instant.parse("2026-06-01T12:00:00Z");
  private static final EntityTestSystem TEST_SYSTEM = new EntityTestSystem("node-provisioner-hook-test");
  private static final ActorSystem<Void> SYSTEM = TEST_SYSTEM.system();
  private static final ExecutorService EXECUTOR = Executors.newCachedThreadPool();

  @TempDir
  Path directory;
  private MovableClock clock;

  @AfterAll
  static void shutDown() {
    EXECUTOR.shutdownNow();
    TEST_SYSTEM.close();
  }

  @BeforeEach
  void resetJournal() {
    clock = new MovableClock(START);
    PersistenceTestKit.create(SYSTEM).clearAll();
  }

  @Test
  void aQuarantine_runsTheHookOnce_withTheNodeId_andJournalsItDone() {
    HookScript script = HookScript.succeeding(directory);
    var node = node(hook(script, 0));
    registerAndQuarantine(node);

    await().untilAsserted(() -> assertThat(node.getState()).isInstanceOfSatisfying(Quarantined.class,
        q -> assertThat(q.hookDone()).isTrue()));
    assertThat(script.calls()).containsExactly("n-1 operator env=n-1");
    assertThat(events()).filteredOn(ProvisionerHookDone.class::isInstance)
        .containsExactly(new ProvisionerHookDone(START.plus(Duration.ofMinutes(1))));
    assertThat(status(node).provisionerHook()).map(ProvisionerHookStatus::result).contains(ProvisionerHookStatus.Result.DONE);
  }

  @Test
  void afterARestart_aHookThatReportedDone_isNotAskedAgain() {
    HookScript script = HookScript.succeeding(directory);
    var node = node(hook(script, 0));
    registerAndQuarantine(node);
    await().until(() -> node.getState() instanceof Quarantined q && q.hookDone());

    node.restart();

    // Asking sets RUNNING at once, on the entity's thread: DONE after recovery means it was not asked.
    assertThat(status(node).provisionerHook()).map(ProvisionerHookStatus::result).contains(ProvisionerHookStatus.Result.DONE);
    assertThat(script.calls()).hasSize(1);
  }

  @Test
  void aRestartBeforeTheHookAnswered_asksItAgain_andJournalsDoneOnce() {
    HookScript script = HookScript.gated(directory);
    var node = node(hook(script, 0));
    registerAndQuarantine(node);
    await().until(() -> script.calls().size() == 1);
    assertThat(((Quarantined) node.getState()).hookDone()).isFalse();

    node.restart();
    await().until(() -> script.calls().size() == 2);
    assertThat(status(node).provisionerHook()).map(ProvisionerHookStatus::result).contains(ProvisionerHookStatus.Result.RUNNING);
    script.open();

    await().until(() -> node.getState() instanceof Quarantined q && q.hookDone());
    assertThat(script.calls()).containsExactly("n-1 operator env=n-1", "n-1 operator env=n-1");
    // Both runs end; the second answer finds the hook done and journals nothing more.
    await().until(() -> status(node).provisionerHook().map(ProvisionerHookStatus::result)
        .equals(Optional.of(ProvisionerHookStatus.Result.DONE)));
    assertThat(events()).filteredOn(ProvisionerHookDone.class::isInstance).hasSize(1);
  }

  @Test
  void aHookFailingAfterItsRetries_isReportedInTheStatus_andAskedAgainAtTheNextRecovery() {
    HookScript script = HookScript.exitingWith(directory, 1);
    var node = node(hook(script, 1));
    registerAndQuarantine(node);

    await().until(() -> status(node).provisionerHook().map(ProvisionerHookStatus::result)
        .equals(Optional.of(ProvisionerHookStatus.Result.FAILED)));
    assertThat(status(node).provisionerHook().orElseThrow().detail()).contains("failed after 2 attempts", "exited with status 1");
    assertThat(script.calls()).hasSize(2);
    assertThat(events()).noneMatch(ProvisionerHookDone.class::isInstance);

    node.restart();
    await().until(() -> script.calls().size() == 4);
  }

  @Test
  void withoutAHook_aQuarantineJournalsNothingMore_andReportsNoHook() {
    var node = node(ProvisionerHook.NONE);
    registerAndQuarantine(node);

    assertThat(status(node).provisionerHook()).isEmpty();
    assertThat(events()).noneMatch(ProvisionerHookDone.class::isInstance);
  }

  @Test
  void aNodeThatWasNeverQuarantined_neverRunsTheHook() {
    HookScript script = HookScript.succeeding(directory);
    var node = node(hook(script, 0));
    node.<StatusReply<Registration>>runCommand(r -> new Register("web-1", Map.of(), Duration.ofHours(24), r));

    node.restart();

    assertThat(status(node).provisionerHook()).isEmpty();
    assertThat(script.calls()).isEmpty();
  }

  @Test
  void theHooksMessages_roundTripThroughTheNodeCodec() {
    var ended = new NodeEntity.ProvisionerHookEnded(START, Optional.empty());
    var failed = new NodeEntity.ProvisionerHookEnded(START, Optional.of("failed after 2 attempts"));
    var status = new NodeStatus(NodeEntity.Stage.QUARANTINED, Optional.empty(), Optional.of(QuarantineReason.OPERATOR),
        "suspected", Optional.of(START), NodeEntity.Liveness.UNKNOWN, Optional.empty(), List.of(),
        Optional.of(new ProvisionerHookStatus(ProvisionerHookStatus.Result.FAILED, "failed after 2 attempts")));

    assertThat(List.of(roundTrip(ended), roundTrip(failed), roundTrip(status))).containsExactly(ended, failed, status);
  }

  // ---- helpers ------------------------------------------------------------------------------

  private EventSourcedBehaviorTestKit<Command, Event, State> node(ProvisionerHook hook) {
    NodeEnvironment environment = new NodeEnvironment(SETTINGS, clock, () -> {
      throw new IllegalStateException("no controller key in this test");
    }, NodeEnvironment.Revocations.NONE).withProvisioner(hook);
    return EventSourcedBehaviorTestKit.create(SYSTEM, NodeEntity.create("n-1", environment, Optional.empty()));
  }

  private ProvisionerHook hook(HookScript script, int retries) {
    return new ProvisionerSettings(Optional.of(List.of(script.program())), Optional.empty(), Duration.ofSeconds(60),
        retries, Duration.ofMillis(10), Duration.ofMillis(10)).hook(EXECUTOR);
  }

  private void registerAndQuarantine(EventSourcedBehaviorTestKit<Command, Event, State> node) {
    node.<StatusReply<Registration>>runCommand(r -> new Register("web-1", Map.of(), Duration.ofHours(24), r));
    clock.advance(Duration.ofMinutes(1));
    var quarantined = node.<StatusReply<Done>>runCommand(r -> new Quarantine(QuarantineReason.OPERATOR, "suspected", r));
    assertThat(quarantined.reply().isSuccess()).isTrue();
  }

  private static NodeStatus status(EventSourcedBehaviorTestKit<Command, Event, State> node) {
    return node.<NodeStatus>runCommand(GetStatus::new).reply();
  }

  private static Object roundTrip(Object message) {
    var serialization = org.apache.pekko.serialization.SerializationExtension.get(SYSTEM.classicSystem());
    var serializer = serialization.findSerializerFor(message);
    byte[] bytes = serializer.toBinary(message);
    return serialization.deserialize(bytes, serializer.identifier(),
        org.apache.pekko.serialization.Serializers.manifestFor(serializer, message)).get();
  }

  private static List<Object> events() {
    return PersistenceTestKit.create(SYSTEM).persistedInStorage("node|n-1");
  }
}
