package org.opencluster.controller.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.files.ContentCipher;
import org.opencluster.controller.files.FileDefinition.Selector;
import org.opencluster.controller.files.SharedSecret;
import org.opencluster.controller.rotation.RotatorSpec;
import org.opencluster.controller.files.TestCatalogs;
import org.opencluster.controller.node.EntityTestSystem;
import org.opencluster.controller.secrets.SecretEntity.Command;
import org.opencluster.controller.secrets.SecretEntity.ConsumerAcked;
import org.opencluster.controller.secrets.SecretEntity.ConsumerAcknowledged;
import org.opencluster.controller.secrets.SecretEntity.Create;
import org.opencluster.controller.secrets.SecretEntity.DistributionEnded;
import org.opencluster.controller.secrets.SecretEntity.Event;
import org.opencluster.controller.secrets.SecretEntity.GetStatus;
import org.opencluster.controller.secrets.SecretEntity.Idle;
import org.opencluster.controller.secrets.SecretEntity.Label;
import org.opencluster.controller.secrets.SecretEntity.PreviousRetired;
import org.opencluster.controller.secrets.SecretEntity.Rotate;
import org.opencluster.controller.secrets.SecretEntity.Rotating;
import org.opencluster.controller.secrets.SecretEntity.RotationFailed;
import org.opencluster.controller.secrets.SecretEntity.RotationFinished;
import org.opencluster.controller.secrets.SecretEntity.RotationStarted;
import org.opencluster.controller.secrets.SecretEntity.SecretStatus;
import org.opencluster.controller.secrets.SecretEntity.SetDone;
import org.opencluster.controller.secrets.SecretEntity.State;
import org.opencluster.controller.secrets.SecretEntity.Step;
import org.opencluster.controller.secrets.SecretEntity.StepRetrying;
import org.opencluster.controller.secrets.SecretEntity.TestDone;
import org.opencluster.controller.secrets.SecretEntity.Timer;
import org.opencluster.controller.secrets.SecretEntity.TimerFired;
import org.opencluster.controller.secrets.SecretEntity.Version;
import org.opencluster.controller.secrets.SecretEntity.VersionInfo;
import org.opencluster.controller.testing.MovableClock;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * The secret entity and its rotation saga, with a real in-process rotator ({@link
 * RecordingRotator}) and a movable clock: timers are fired by the test after it moves the clock.
 * Rotator calls run on the blocking dispatcher; the test waits for the events they end in. The
 * test kit checks that every command, event and state round-trips through the encrypting
 * serializer.
 */
class SecretEntityTest {

  private static final Instant START = Instant.parse("2026-06-01T12:00:00Z");
  private static final SecretSettings SETTINGS = new SecretSettings(Duration.ofMinutes(5), Duration.ofHours(1),
      Duration.ofMinutes(1), Duration.ofMinutes(5), 3, Duration.ofSeconds(5), Duration.ofMinutes(1), 100, 4);
  private static final Selector WEB = new Selector(Set.of(), Map.of("role", "web"), false);
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final EntityTestSystem TEST_SYSTEM = new EntityTestSystem("secret-entity-test");
  /** Each test its own secret: a call left running by an earlier test never writes into a later one's journal. */
  private static final AtomicInteger SECRETS = new AtomicInteger();

  private final ContentCipher cipher = new TestCatalogs().cipher;
  private final RecordingRotator rotator = new RecordingRotator();
  /** What the consumer directory answers; null: it fails. */
  private volatile Set<String> liveConsumers = Set.of();
  /** What the entity published to the catalog, in order. */
  private final List<SharedSecret> publications = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** What the entity told the metrics: "finished" or "failed:STEP", with ":urgent" when urgent. */
  private final List<String> metrics = new java.util.concurrent.CopyOnWriteArrayList<>();
  private MovableClock clock;
  private String name;
  private EventSourcedBehaviorTestKit<Command, Event, State> secret;
  private PersistenceTestKit journal;

  @AfterAll
  static void shutDown() {
    TEST_SYSTEM.close();
  }

  @BeforeEach
  void create() {
    clock = new MovableClock(START);
    name = "db/orders-" + SECRETS.incrementAndGet();
    SecretEnvironment environment = new SecretEnvironment(SETTINGS, clock, cipher, spec -> {
      if (!spec.kind().equals(RecordingRotator.KIND)) {
        throw new IllegalArgumentException("unknown rotator kind '" + spec.kind() + "'");
      }
      return RotatorSource.lease(rotator);
    }, selector -> {
      Set<String> live = liveConsumers;
      return live == null ? CompletableFuture.failedFuture(new IllegalStateException("read model down"))
          : CompletableFuture.completedFuture(live);
    }, published -> {
      publications.add(published);
      return CompletableFuture.completedFuture(Done.getInstance());
    }, Executors.newFixedThreadPool(SETTINGS.maxConcurrentRotatorCalls()), new SecretEnvironment.SecretMetrics() {
      @Override
      public void rotationFinished(boolean urgent, Duration took) {
        metrics.add("finished" + (urgent ? ":urgent" : ""));
      }

      @Override
      public void rotationFailed(boolean urgent, Step step) {
        metrics.add("failed:" + step + (urgent ? ":urgent" : ""));
      }
    });
    secret = EventSourcedBehaviorTestKit.create(TEST_SYSTEM.system(), SecretEntity.create(name, environment));
    journal = secret.persistenceTestKit();
  }

  // ---- the saga -----------------------------------------------------------------------------

  @Test
  void theStatus_namesTheActorSystemTheEntityRunsOn() {
    createSecret(Optional.empty());
    assertThat(status().host()).isEqualTo(TEST_SYSTEM.system().address().toString()).startsWith("pekko://");
  }

  @Test
  void aRotation_goesThroughEveryStep_andMovesTheLabels() {
    createSecret(Optional.empty());
    assertThat(labels(status())).containsExactly(new VersionInfo(1, Label.CURRENT, START));

    SecretStatus started = rotate(Set.of("n-1", "n-2")).getValue();
    assertThat(started.rotation().get().step()).isEqualTo(Step.DISTRIBUTE);
    assertThat(started.versions()).extracting(VersionInfo::number, VersionInfo::label)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(2L, Label.PENDING), org.assertj.core.groups.Tuple.tuple(1L, Label.CURRENT));
    assertThat(started.distribution().get().behind()).containsExactly("n-1", "n-2");

    ack("n-1", 2);
    assertThat(awaitEvent(SecretEntity.ConsumersAcknowledged.class).nodeIds()).as("journaled in a batch")
        .containsExactly("n-1");
    assertThat(status().distribution().get().acknowledged()).isEqualTo(1);
    ack("n-2", 2);
    awaitEvent(DistributionEnded.class);
    awaitEvent(SetDone.class);
    awaitEvent(TestDone.class);
    RotationFinished finished = awaitEvent(RotationFinished.class);
    assertThat(finished.retireAt()).isEqualTo(START.plus(SETTINGS.gracePeriod()));
    SecretStatus afterFinish = status();
    assertThat(afterFinish.rotation().get().step()).isEqualTo(Step.RETIRE);
    assertThat(afterFinish.versions()).extracting(VersionInfo::number, VersionInfo::label)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(2L, Label.CURRENT), org.assertj.core.groups.Tuple.tuple(1L, Label.PREVIOUS));
    assertThat(rotator.seen).containsExactly("set:secret-value-2", "test:secret-value-2");

    clock.advance(SETTINGS.gracePeriod());
    fire(Timer.GRACE_END);
    awaitEvent(PreviousRetired.class);
    SecretStatus done = status();
    assertThat(done.versions()).extracting(VersionInfo::number, VersionInfo::label)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(2L, Label.CURRENT));
    assertThat(done.rotation()).isEmpty();
    assertThat(done.lastFailure()).isEmpty();
    assertThat(rotator.seen).containsExactly("set:secret-value-2", "test:secret-value-2", "retire:secret-value-1");
    assertThat(value(((Idle) secret.getState()).current())).isEqualTo("secret-value-2");
    assertThat(metrics).containsExactly("finished");
  }

  @Test
  void aCrashWhileDistributing_resumes_andEachCallIsMadeOnce() {
    createSecret(Optional.empty());
    rotate(Set.of("n-1"));
    secret.restart();
    assertThat(status().rotation().get().step()).isEqualTo(Step.DISTRIBUTE);
    ack("n-1", 2);
    awaitEvent(RotationFinished.class);
    assertThat(rotator.calls("set")).isEqualTo(1);
    assertThat(rotator.calls("test")).isEqualTo(1);
    assertThat(value(((Rotating) secret.getState()).current())).isEqualTo("secret-value-2");
  }

  @Test
  void aCrashDuringSet_repeatsSetOnceMore_andFinishes() throws Exception {
    createSecret(Optional.empty());
    CountDownLatch set = rotator.hold("set");
    rotate(Set.of());
    rotator.awaitEntered("set");
    secret.restart();
    set.countDown();
    awaitEvent(SetDone.class);
    awaitEvent(RotationFinished.class);
    assertThat(rotator.calls("set")).as("the interrupted call, then one more").isEqualTo(2);
    assertThat(rotator.calls("test")).isEqualTo(1);
    assertThat(rotator.seen).containsExactly("set:secret-value-2", "set:secret-value-2", "test:secret-value-2");
  }

  @Test
  void aCrashDuringTest_repeatsOnlyTest_andFinishes() throws Exception {
    createSecret(Optional.empty());
    CountDownLatch test = rotator.hold("test");
    rotate(Set.of());
    rotator.awaitEntered("test");
    secret.restart();
    assertThat(status().rotation().get().step()).isEqualTo(Step.TEST);
    test.countDown();
    awaitEvent(RotationFinished.class);
    assertThat(rotator.calls("set")).isEqualTo(1);
    assertThat(rotator.calls("test")).isEqualTo(2);
  }

  @Test
  void aCrashAfterFinishing_andDuringRetire_keepsTheGraceDeadline_andRetiresOnce() throws Exception {
    createSecret(Optional.empty());
    rotate(Set.of());
    Instant retireAt = awaitEvent(RotationFinished.class).retireAt();
    clock.advance(Duration.ofMinutes(30));
    secret.restart();
    assertThat(status().rotation().get().retireAt()).as("from the persisted instant, not the restart").contains(retireAt);
    fire(Timer.GRACE_END);
    assertThat(rotator.calls("retire")).as("grace not over").isZero();

    CountDownLatch retire = rotator.hold("retire");
    clock.advance(Duration.ofMinutes(30));
    fire(Timer.GRACE_END);
    rotator.awaitEntered("retire");
    secret.restart();
    retire.countDown();
    awaitEvent(PreviousRetired.class);
    assertThat(rotator.calls("retire")).isEqualTo(2);
    assertThat(rotator.calls("set")).isEqualTo(1);
    assertThat(rotator.calls("test")).isEqualTo(1);
    assertThat(labels(status())).extracting(VersionInfo::number).containsExactly(2L);
  }

  // ---- failures -----------------------------------------------------------------------------

  @Test
  void aFailedSet_rollsBack_andKeepsTheCurrentVersion() {
    createSecret(Optional.empty());
    rotator.failNext("set", 1, false, "permission denied to alter role app_b");
    rotate(Set.of());
    RotationFailed failed = awaitEvent(RotationFailed.class);
    assertThat(failed.step()).isEqualTo(Step.SET);
    SecretStatus status = status();
    assertThat(labels(status)).extracting(VersionInfo::number, VersionInfo::label)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, Label.CURRENT));
    assertThat(status.rotation()).isEmpty();
    assertThat(status.lastFailure()).get().satisfies(f -> {
      assertThat(f.version()).isEqualTo(2);
      assertThat(f.step()).isEqualTo(Step.SET);
      assertThat(f.message()).isEqualTo("permission denied to alter role app_b");
    });
    assertThat(rotator.calls("test")).isZero();
    assertThat(metrics).containsExactly("failed:SET");
    assertThat(value(((Idle) secret.getState()).current())).isEqualTo("secret-value-1");
    assertThat(rotate(Set.of()).isSuccess()).as("the next rotation may start").isTrue();
  }

  @Test
  void aFailedTest_rollsBack_andKeepsTheCurrentVersion() {
    createSecret(Optional.empty());
    rotator.failNext("test", 1, false, "login as app_b refused");
    rotate(Set.of());
    RotationFailed failed = awaitEvent(RotationFailed.class);
    assertThat(failed.step()).isEqualTo(Step.TEST);
    assertThat(status().lastFailure().get().message()).isEqualTo("login as app_b refused");
    assertThat(labels(status())).extracting(VersionInfo::number).containsExactly(1L);
    assertThat(rotator.calls("set")).isEqualTo(1);
    assertThat(value(((Idle) secret.getState()).current())).isEqualTo("secret-value-1");
  }

  @Test
  void aRetryableFailure_isTriedAgainAfterTheBackoff_andTheRotationFinishes() {
    createSecret(Optional.empty());
    rotator.failNext("set", 1, true, "connection refused");
    rotate(Set.of());
    StepRetrying retrying = awaitEvent(StepRetrying.class);
    assertThat(retrying.attempt()).isEqualTo(1);
    assertThat(retrying.retryAt()).isEqualTo(START.plus(SETTINGS.retryBackoff()));
    assertThat(status().rotation().get().attempts()).isEqualTo(1);

    fire(Timer.RETRY);
    assertThat(rotator.calls("set")).as("backoff not over").isEqualTo(1);
    clock.advance(SETTINGS.retryBackoff());
    fire(Timer.RETRY);
    awaitEvent(SetDone.class);
    awaitEvent(RotationFinished.class);
    assertThat(rotator.calls("set")).isEqualTo(2);
    assertThat(status().lastFailure()).isEmpty();
  }

  @Test
  void retryableFailures_beyondMaxAttempts_failTheRotation() {
    createSecret(Optional.empty());
    rotator.failNext("set", SETTINGS.maxAttempts(), true, "connection refused");
    rotate(Set.of());
    assertThat(awaitEvent(StepRetrying.class).attempt()).isEqualTo(1);
    clock.advance(SETTINGS.backoffAfter(1));
    fire(Timer.RETRY);
    StepRetrying second = awaitEvent(StepRetrying.class);
    assertThat(second.attempt()).isEqualTo(2);
    assertThat(second.retryAt()).as("the backoff doubles").isEqualTo(clock.instant().plus(SETTINGS.retryBackoff().multipliedBy(2)));
    clock.advance(SETTINGS.backoffAfter(2));
    fire(Timer.RETRY);
    awaitEvent(RotationFailed.class);
    assertThat(rotator.calls("set")).isEqualTo(SETTINGS.maxAttempts());
    assertThat(status().lastFailure().get().message()).isEqualTo("connection refused");
    assertThat(labels(status())).extracting(VersionInfo::number).containsExactly(1L);
  }

  // ---- distribution -------------------------------------------------------------------------

  @Test
  void aConsumerThatNeverAcks_isReportedBehind_afterTheTimeout_andItsLateAckIsRecorded() {
    createSecret(Optional.empty());
    rotate(Set.of("n-1", "n-2"));
    ack("n-1", 2);
    awaitEvent(SecretEntity.ConsumersAcknowledged.class);
    clock.advance(SETTINGS.distributeTimeout().minusSeconds(1));
    assertThat(secret.runCommand(new TimerFired(Timer.DISTRIBUTE_TIMEOUT)).hasNoEvents()).as("before the deadline").isTrue();
    clock.advance(Duration.ofSeconds(1));
    fire(Timer.DISTRIBUTE_TIMEOUT);
    assertThat(awaitEvent(DistributionEnded.class).behind()).containsExactly("n-2");
    awaitEvent(RotationFinished.class);
    SecretStatus status = status();
    assertThat(status.distribution().get().behind()).containsExactly("n-2");
    assertThat(status.distribution().get().acknowledged()).isEqualTo(1);
    assertThat(status.distribution().get().expected()).isEqualTo(2);

    clock.advance(SETTINGS.gracePeriod());
    fire(Timer.GRACE_END);
    awaitEvent(PreviousRetired.class);
    ack("n-2", 2);
    assertThat(awaitEvent(SecretEntity.ConsumersAcknowledged.class).nodeIds()).containsExactly("n-2");
    assertThat(status().distribution().get().behind()).isEmpty();
  }

  @Test
  void theDistributeDeadline_afterARestart_countsFromTheStart_notFromTheRestart() {
    createSecret(Optional.empty());
    rotate(Set.of("n-1"));
    clock.advance(SETTINGS.distributeTimeout().dividedBy(2));
    secret.restart();
    clock.advance(SETTINGS.distributeTimeout().dividedBy(2));
    fire(Timer.DISTRIBUTE_TIMEOUT);
    assertThat(awaitEvent(DistributionEnded.class).behind()).containsExactly("n-1");
  }

  @Test
  void manyAcknowledgements_areJournaledTogether() {
    createSecret(Optional.empty());
    Set<String> consumers = new java.util.TreeSet<>();
    for (int i = 0; i < 50; i++) {
      consumers.add("n-" + i);
    }
    rotate(consumers);
    consumers.forEach(node -> ack(node, 2));
    List<String> journaled = new java.util.ArrayList<>();
    int batches = 0;
    while (journaled.size() < consumers.size()) {
      journaled.addAll(awaitEvent(SecretEntity.ConsumersAcknowledged.class).nodeIds());
      batches++;
    }
    assertThat(journaled).containsExactlyInAnyOrderElementsOf(consumers);
    assertThat(batches).as("fewer writes than acknowledgements").isLessThan(consumers.size());
    awaitEvent(DistributionEnded.class);
  }

  @Test
  void aGatheredBatchOfAcknowledgements_countsEachExpectedNodeOnce() {
    createSecret(Optional.empty());
    rotate(Set.of("n-1", "n-2", "n-3"));
    secret.runCommand(new SecretEntity.ConsumersAcked(List.of("n-1", "n-2", "n-9", "n-1"), 2, false));
    assertThat(awaitEvent(SecretEntity.ConsumersAcknowledged.class).nodeIds()).as("n-9 is not expected")
        .containsExactly("n-1", "n-2");
    secret.runCommand(new SecretEntity.ConsumersAcked(List.of("n-3"), 1, false));
    secret.runCommand(new SecretEntity.ConsumersAcked(List.of("n-3"), 2, false));
    assertThat(awaitEvent(SecretEntity.ConsumersAcknowledged.class).nodeIds()).containsExactly("n-3");
    awaitEvent(DistributionEnded.class);
  }

  @Test
  void anAckForAnotherVersion_orFromANodeNotExpected_isNotRecorded() {
    createSecret(Optional.empty());
    rotate(Set.of("n-1"));
    assertThat(secret.runCommand(new ConsumerAcked("n-1", 1)).hasNoEvents()).isTrue();
    assertThat(secret.runCommand(new ConsumerAcked("n-9", 2)).hasNoEvents()).isTrue();
    assertThat(status().distribution().get().behind()).containsExactly("n-1");
  }

  // ---- the compromise response ------------------------------------------------------------

  @Test
  void aCompromisedConsumer_startsAnUrgentRotationWithoutIt_andThePreviousVersionIsRevoked() {
    createSecret(Optional.empty());
    liveConsumers = Set.of("n-1", "n-2");
    var noted = secret.<StatusReply<Done>>runCommand(r -> new SecretEntity.Compromised("n-2", r));
    assertThat(noted.reply().isSuccess()).isTrue();
    awaitEvent(SecretEntity.CompromiseNoted.class);
    RotationStarted started = awaitEvent(RotationStarted.class);
    assertThat(started.urgent()).isTrue();
    assertThat(started.compromised()).containsExactly("n-2");
    assertThat(started.consumers()).containsExactly("n-1");
    assertThat(started.trigger()).contains("compromise").contains("n-2");

    ack("n-1", 2);
    RotationFinished finished = awaitEvent(RotationFinished.class);
    assertThat(finished.retireAt()).isEqualTo(START.plus(SETTINGS.compromiseGracePeriod()));
    clock.advance(SETTINGS.compromiseGracePeriod());
    fire(Timer.GRACE_END);
    awaitEvent(PreviousRetired.class);
    assertThat(rotator.seen).containsExactly("set:secret-value-2", "test:secret-value-2", "revoke:secret-value-1");
    assertThat(metrics).containsExactly("finished:urgent");

    var again = secret.<StatusReply<Done>>runCommand(r -> new SecretEntity.Compromised("n-2", r));
    assertThat(again.reply().isSuccess()).isTrue();
    assertThat(again.hasNoEvents()).as("a node already answered for").isTrue();
  }

  @Test
  void anUrgentRotation_revokesAsSoonAsEveryHealthyConsumerServesTheNewVersion() {
    createSecret(Optional.empty());
    liveConsumers = Set.of("n-1", "n-2", "n-3");
    secret.<StatusReply<Done>>runCommand(r -> new SecretEntity.Compromised("n-3", r));
    awaitEvent(RotationStarted.class);
    ack("n-1", 2);
    ack("n-2", 2);
    awaitEvent(RotationFinished.class);

    secret.runCommand(new ConsumerAcked("n-1", 2, true));
    secret.runCommand(new ConsumerAcked("n-3", 2, true)); // the compromised node does not count
    SecretStatus waiting = status();
    assertThat(waiting.rotation().get().step()).as("n-2 still serves the previous version").isEqualTo(Step.RETIRE);
    assertThat(waiting.switched()).isEqualTo(1);
    assertThat(journal.persistedInStorage("secret|" + name)).noneMatch(PreviousRetired.class::isInstance);
    assertThat(rotator.calls("revoke")).as("no revoke was started").isZero();

    secret.runCommand(new ConsumerAcked("n-2", 2, true));
    awaitEvent(PreviousRetired.class); // no clock move: every healthy consumer switched
    assertThat(rotator.seen).containsExactly("set:secret-value-2", "test:secret-value-2", "revoke:secret-value-1");
  }

  @Test
  void aNormalRotation_waitsItsGracePeriod_evenWhenEveryConsumerSwitched() {
    createSecret(Optional.empty());
    rotate(Set.of("n-1"));
    ack("n-1", 2);
    awaitEvent(RotationFinished.class);
    secret.runCommand(new ConsumerAcked("n-1", 2, true));
    assertThat(status().rotation().get().step()).isEqualTo(Step.RETIRE);
    assertThat(status().switched()).isEqualTo(1);
    clock.advance(SETTINGS.gracePeriod());
    fire(Timer.GRACE_END);
    awaitEvent(PreviousRetired.class);
    assertThat(rotator.seen).last().isEqualTo("retire:secret-value-1");
  }

  @Test
  void aCompromiseDuringTheGracePeriod_revokesOnceTheHealthyConsumersSwitched_andRotatesAgain() {
    createSecret(Optional.empty());
    rotate(Set.of("n-1", "n-2"));
    ack("n-1", 2);
    ack("n-2", 2);
    awaitEvent(RotationFinished.class);

    clock.advance(Duration.ofSeconds(5));
    var noted = secret.<StatusReply<Done>>runCommand(r -> new SecretEntity.Compromised("n-2", r));
    assertThat(noted.reply().isSuccess()).isTrue();
    assertThat(awaitEvent(SecretEntity.CompromiseNoted.class).retireBy())
        .contains(clock.instant().plus(SETTINGS.compromiseGracePeriod()));
    assertThat(status().rotation().get().retireAt()).as("the grace period is cut short")
        .contains(clock.instant().plus(SETTINGS.compromiseGracePeriod()));
    secret.runCommand(new ConsumerAcked("n-1", 2, true));
    awaitEvent(PreviousRetired.class); // n-1, the one healthy consumer, switched: no need to wait
    RotationStarted urgent = awaitEvent(RotationStarted.class);
    assertThat(urgent.pending().number()).as("n-2 held version 2, so it is replaced too").isEqualTo(3);
    assertThat(urgent.urgent()).isTrue();
    assertThat(urgent.consumers()).containsExactly("n-1");
    assertThat(rotator.seen).containsExactly("set:secret-value-2", "test:secret-value-2", "revoke:secret-value-1");
  }

  @Test
  void aCompromiseOfTheLastConsumerBehind_endsTheDistribution() {
    createSecret(Optional.empty());
    rotate(Set.of("n-1", "n-2"));
    ack("n-1", 2);
    secret.<StatusReply<Done>>runCommand(r -> new SecretEntity.Compromised("n-2", r));
    awaitEvent(SecretEntity.CompromiseNoted.class);
    assertThat(awaitEvent(DistributionEnded.class).behind()).isEmpty();
    assertThat(awaitEvent(RotationFinished.class).retireAt()).as("a compromise waits: the short grace")
        .isEqualTo(clock.instant().plus(SETTINGS.compromiseGracePeriod()));
    clock.advance(SETTINGS.compromiseGracePeriod());
    fire(Timer.GRACE_END);
    awaitEvent(PreviousRetired.class);
    RotationStarted urgent = awaitEvent(RotationStarted.class);
    assertThat(urgent.urgent()).isTrue();
    assertThat(urgent.consumers()).doesNotContain("n-2");
  }

  @Test
  void aFailedUrgentRotation_leavesTheCompromiseWaiting_andIsTriedAgainAfterTheLongestBackoff() {
    createSecret(Optional.empty());
    liveConsumers = Set.of("n-1", "n-2");
    rotator.failNext("set", 1, false, "permission denied to alter role app_b");
    secret.<StatusReply<Done>>runCommand(r -> new SecretEntity.Compromised("n-2", r));
    assertThat(awaitEvent(RotationStarted.class).urgent()).isTrue();
    ack("n-1", 2);
    awaitEvent(RotationFailed.class);
    SecretStatus failed = status();
    assertThat(failed.compromised()).as("the compromise is not answered yet").containsExactly("n-2");
    assertThat(metrics).containsExactly("failed:SET:urgent");

    clock.advance(SETTINGS.maxRetryBackoff());
    fire(Timer.SCHEDULE);
    RotationStarted again = awaitEvent(RotationStarted.class);
    assertThat(again.urgent()).isTrue();
    assertThat(again.pending().number()).as("a rolled-back version's number is not used again").isEqualTo(3);
    assertThat(again.consumers()).containsExactly("n-1");
  }

  @Test
  void aFailedRevoke_leavesTheCompromiseWaiting_soAnotherUrgentRotationFollows() {
    createSecret(Optional.empty());
    liveConsumers = Set.of("n-1", "n-2");
    rotator.failNext("revoke", SETTINGS.maxAttempts(), false, "must be a member of the role");
    secret.<StatusReply<Done>>runCommand(r -> new SecretEntity.Compromised("n-2", r));
    awaitEvent(RotationStarted.class);
    ack("n-1", 2);
    awaitEvent(RotationFinished.class);
    secret.runCommand(new ConsumerAcked("n-1", 2, true));
    awaitEvent(SecretEntity.RetireFailed.class);
    assertThat(status().compromised()).containsExactly("n-2");

    clock.advance(SETTINGS.maxRetryBackoff());
    fire(Timer.SCHEDULE);
    RotationStarted again = awaitEvent(RotationStarted.class);
    assertThat(again.urgent()).isTrue();
    assertThat(again.compromised()).containsExactly("n-2");
  }

  @Test
  void compromisedOnASecretThatDoesNotExist_isRefusedAsNotFound() {
    var result = secret.<StatusReply<Done>>runCommand(r -> new SecretEntity.Compromised("n-1", r));
    assertThat(result.reply().getError().getMessage()).startsWith(SecretEntity.NOT_FOUND);
    assertThat(result.hasNoEvents()).isTrue();
  }

  // ---- the catalog and the consumers --------------------------------------------------------

  @Test
  void theCatalog_showsTheCurrentVersion_andThePendingOneWhileItIsDistributed() {
    createSecret(Optional.empty());
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> !publications.isEmpty());
    SharedSecret first = publications.get(publications.size() - 1);
    assertThat(first.rotation().orElseThrow().currentVersion()).isEqualTo(1);
    assertThat(first.rotation().get().pending()).isEmpty();
    assertThat(first.rotation().get().consumers()).isEqualTo(WEB);
    assertThat(catalogValue(first.encryptedFields().get("password"), SharedSecret.fieldAssociatedData(name, "password")))
        .isEqualTo("secret-value-1");

    rotate(Set.of("n-1"));
    org.awaitility.Awaitility.await().atMost(WAIT).until(() ->
        publications.get(publications.size() - 1).rotation().get().pending().isPresent());
    SharedSecret.Pending pending = publications.get(publications.size() - 1).rotation().get().pending().get();
    assertThat(pending.version()).isEqualTo(2);
    assertThat(catalogValue(pending.encryptedFields().get("password"),
        SharedSecret.pendingFieldAssociatedData(name, 2, "password"))).isEqualTo("secret-value-2");
    assertThatThrownBy(() -> cipher.decrypt(pending.encryptedFields().get("password").toByteArray(),
        SharedSecret.fieldAssociatedData(name, "password"))).as("a pending value never opens as the current one")
        .isInstanceOf(IllegalStateException.class);

    ack("n-1", 2);
    awaitEvent(RotationFinished.class);
    org.awaitility.Awaitility.await().atMost(WAIT).until(() ->
        publications.get(publications.size() - 1).rotation().get().currentVersion() == 2);
    SharedSecret finished = publications.get(publications.size() - 1);
    assertThat(finished.rotation().get().pending()).isEmpty();
    assertThat(catalogValue(finished.encryptedFields().get("password"), SharedSecret.fieldAssociatedData(name, "password")))
        .isEqualTo("secret-value-2");
  }

  @Test
  void whenTheConsumersCannotBeListed_theRotationIsRefused_andNothingStarts() {
    createSecret(Optional.empty());
    liveConsumers = null;
    var refused = secret.<StatusReply<SecretStatus>>runCommand(r -> new Rotate(r));
    assertThat(refused.reply().getError().getMessage()).contains("could not list the consumers");
    assertThat(refused.hasNoEvents()).isTrue();
    assertThat(status().rotation()).isEmpty();
  }

  // ---- refusals -----------------------------------------------------------------------------

  @Test
  void rotateWhileARotationRuns_isRefused() {
    createSecret(Optional.empty());
    rotate(Set.of("n-1"));
    var again = secret.<StatusReply<SecretStatus>>runCommand(r -> new Rotate(r));
    assertThat(again.reply().getError().getMessage()).contains(SecretEntity.ROTATING).contains("version 2");
    assertThat(again.hasNoEvents()).isTrue();
  }

  @Test
  void rotatingASecretThatDoesNotExist_isRefusedAsNotFound() {
    var result = secret.<StatusReply<SecretStatus>>runCommand(r -> new Rotate(r));
    assertThat(result.reply().getError().getMessage()).startsWith(SecretEntity.NOT_FOUND);
    assertThat(result.hasNoEvents()).isTrue();
    assertThat(status().definition()).isEmpty();
  }

  @Test
  void invalidCreations_areRefused_andStoreNothing() {
    assertCreateRefused(Map.of(), "mysql", Optional.empty(), "unknown rotator kind 'mysql'");
    assertCreateRefused(Map.of("user", "app"), RecordingRotator.KIND, Optional.empty(), "takes the fields [password]");
    assertCreateRefused(Map.of(), RecordingRotator.KIND, Optional.of(SETTINGS.gracePeriod()), "every must be longer");
    createSecret(Optional.empty());
    assertCreateRefused(Map.of(), RecordingRotator.KIND, Optional.empty(), "already exists");
  }

  // ---- the schedule -------------------------------------------------------------------------

  @Test
  void theSchedule_startsARotation_atTheJitteredInstant() {
    Duration every = Duration.ofHours(6);
    createSecret(Optional.of(every));
    Instant due = status().nextRotationAt().orElseThrow();
    assertThat(due).isEqualTo(SETTINGS.nextRotation(name, START, every))
        .isBetween(START.plus(every), START.plus(every).plus(SETTINGS.scheduleJitter()));

    clock.advance(Duration.between(START, due).minusMillis(1));
    assertThat(secret.runCommand(new TimerFired(Timer.SCHEDULE)).hasNoEvents()).as("not yet due").isTrue();
    clock.advance(Duration.ofMillis(1));
    fire(Timer.SCHEDULE);
    assertThat(awaitEvent(RotationStarted.class).trigger()).isEqualTo("schedule");
    awaitEvent(RotationFinished.class);
    assertThat(status().nextRotationAt()).as("no schedule while rotating").isEmpty();
    clock.advance(SETTINGS.gracePeriod());
    fire(Timer.GRACE_END);
    PreviousRetired retired = awaitEvent(PreviousRetired.class);
    assertThat(retired.nextRotationAt()).contains(SETTINGS.nextRotation(name, clock.instant(), every));
  }

  @Test
  void theJitter_dependsOnTheName_andStaysWithinTheSetting() {
    Duration a = SETTINGS.jitter("db/orders", START);
    assertThat(a).isEqualTo(SETTINGS.jitter("db/orders", START)).isBetween(Duration.ZERO, SETTINGS.scheduleJitter());
    assertThat(List.of("db/a", "db/b", "db/c", "db/d").stream().map(n -> SETTINGS.jitter(n, START)).distinct().count())
        .as("secrets on one schedule are spread").isGreaterThan(1);
  }

  @Test
  void theSettings_comeFromReferenceConf_andRefuseWhatTheyCannotMean() {
    SecretSettings defaults = SecretSettings.create(org.opencluster.controller.ControllerConfig.load(
        com.typesafe.config.ConfigFactory.empty()));
    assertThat(defaults.distributeTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(defaults.backoffAfter(20)).isEqualTo(defaults.maxRetryBackoff());
    SecretSettings example = SecretSettings.create(com.typesafe.config.ConfigFactory.parseFile(
        java.nio.file.Path.of("..", "docs", "controller.example.conf").toFile()).withFallback(
        org.opencluster.controller.ControllerConfig.load(com.typesafe.config.ConfigFactory.empty())));
    assertThat(example.gracePeriod()).isEqualTo(Duration.ofHours(1));
    assertThat(defaults.compromiseGracePeriod()).isEqualTo(Duration.ofSeconds(30));
    assertThat(defaults.maxConcurrentRotatorCalls()).isEqualTo(8);
    assertThatThrownBy(() -> new SecretSettings(Duration.ofMinutes(5), Duration.ofHours(1), Duration.ZERO, Duration.ZERO,
        0, Duration.ofSeconds(5), Duration.ofMinutes(1), 50, 4)).hasMessageContaining("max-attempts");
    assertThatThrownBy(() -> new SecretSettings(Duration.ZERO, Duration.ofHours(1), Duration.ZERO, Duration.ZERO, 3,
        Duration.ofSeconds(5), Duration.ofMinutes(1), 50, 4)).hasMessageContaining("distribute-timeout");
    assertThatThrownBy(() -> new SecretSettings(Duration.ofMinutes(5), Duration.ofMinutes(1), Duration.ofHours(1),
        Duration.ZERO, 3, Duration.ofSeconds(5), Duration.ofMinutes(1), 50, 4)).hasMessageContaining("compromise-grace-period");
    assertThatThrownBy(() -> new SecretSettings(Duration.ofMinutes(5), Duration.ofHours(1), Duration.ZERO, Duration.ZERO,
        3, Duration.ofSeconds(5), Duration.ofMinutes(1), 50, 0)).hasMessageContaining("max-concurrent-rotator-calls");
  }

  // ---- no values anywhere -------------------------------------------------------------------

  @Test
  void noFieldValue_appearsInAnyToString_statusOrEvent() {
    SecretBytes initial = SecretBytes.copyOf("secret-value-initial".getBytes(StandardCharsets.UTF_8));
    Create create = new Create(Map.of("password", initial), RotatorSpec.of(RecordingRotator.KIND, Map.of()),
        Optional.empty(), WEB, null);
    assertThat(create.toString()).doesNotContain(RecordingRotator.VALUE_PREFIX);
    assertThat(secret.<StatusReply<SecretStatus>>runCommand(r -> new Create(Map.of("password", initial),
        RotatorSpec.of(RecordingRotator.KIND, Map.of()), Optional.empty(), WEB, r)).reply().isSuccess()).isTrue();
    rotate(Set.of("n-1"));
    ack("n-1", 2);
    awaitEvent(RotationFinished.class);
    clock.advance(SETTINGS.gracePeriod());
    fire(Timer.GRACE_END);
    awaitEvent(PreviousRetired.class);

    assertThat(rotator.seen).contains("retire:secret-value-initial");
    for (Object event : journal.persistedInStorage("secret|" + name)) {
      assertThat(event.toString()).doesNotContain(RecordingRotator.VALUE_PREFIX);
    }
    assertThat(secret.getState().toString()).doesNotContain(RecordingRotator.VALUE_PREFIX);
    assertThat(status().toString()).doesNotContain(RecordingRotator.VALUE_PREFIX);
  }

  @Test
  void aVersionsCiphertext_opensOnlyForItsSecretVersionAndField() {
    createSecret(Optional.empty());
    Version first = ((Idle) secret.getState()).current();
    byte[] record = first.encryptedFields().get("password").toByteArray();
    assertThat(value(first)).isEqualTo("secret-value-1");
    assertThatThrownBy(() -> cipher.decrypt(record, SecretEntity.fieldAssociatedData(name, 2, "password")))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> cipher.decrypt(record, SecretEntity.fieldAssociatedData("db/other", 1, "password")))
        .isInstanceOf(IllegalStateException.class);
  }

  // ---- helpers ------------------------------------------------------------------------------

  private void createSecret(Optional<Duration> every) {
    var created = secret.<StatusReply<SecretStatus>>runCommand(r -> new Create(Map.of(),
        RotatorSpec.of(RecordingRotator.KIND, Map.of()), every, WEB, r));
    assertThat(created.reply().isSuccess()).isTrue();
    awaitEvent(SecretEntity.SecretCreated.class);
  }

  private void assertCreateRefused(Map<String, String> fields, String kind, Optional<Duration> every, String message) {
    Map<String, SecretBytes> values = new java.util.TreeMap<>();
    fields.forEach((field, value) -> values.put(field, SecretBytes.copyOf(value.getBytes(StandardCharsets.UTF_8))));
    var result = secret.<StatusReply<SecretStatus>>runCommand(r -> new Create(values, RotatorSpec.of(kind, Map.of()),
        every, WEB, r));
    assertThat(result.reply().getError().getMessage()).contains(message);
    assertThat(result.hasNoEvents()).isTrue();
  }

  private StatusReply<SecretStatus> rotate(Set<String> consumers) {
    liveConsumers = consumers;
    StatusReply<SecretStatus> reply = secret.<StatusReply<SecretStatus>>runCommand(r -> new Rotate(r)).reply();
    if (reply.isSuccess()) {
      awaitEvent(RotationStarted.class);
    }
    return reply;
  }

  private void ack(String nodeId, long version) {
    secret.runCommand(new ConsumerAcked(nodeId, version));
  }

  private void fire(Timer timer) {
    secret.runCommand(new TimerFired(timer));
  }

  private SecretStatus status() {
    return secret.<SecretStatus>runCommand(GetStatus::new).reply();
  }

  private static List<VersionInfo> labels(SecretStatus status) {
    return status.versions();
  }

  /** The next persisted event of {@code type}, skipping others; waits for rotator calls to end. */
  private <E> E awaitEvent(Class<E> type) {
    while (true) {
      Object next = journal.expectNextPersistedClass("secret|" + name, Object.class, WAIT);
      if (type.isInstance(next)) {
        return type.cast(next);
      }
    }
  }

  private String catalogValue(com.google.protobuf.ByteString record, byte[][] associatedData) {
    try (SecretBytes plaintext = cipher.decrypt(record.toByteArray(), associatedData)) {
      return new String(plaintext.copyBytes(), StandardCharsets.UTF_8);
    }
  }

  private String value(Version version) {
    try (SecretBytes plaintext = cipher.decrypt(version.encryptedFields().get("password").toByteArray(),
        SecretEntity.fieldAssociatedData(name, version.number(), "password"))) {
      return new String(plaintext.copyBytes(), StandardCharsets.UTF_8);
    }
  }
}
