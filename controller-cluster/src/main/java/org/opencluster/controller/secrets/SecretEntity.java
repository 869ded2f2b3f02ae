package org.opencluster.controller.secrets;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.opencluster.controller.files.FileDefinition;
import org.opencluster.controller.rotation.RotationException;
import org.opencluster.controller.rotation.Rotator;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * A shared credential ({@code secret/<name>}): sharded, event-sourced, its versions labelled
 * PENDING, CURRENT and PREVIOUS, each field of each version encrypted under the data key ring with
 * the secret's name, the version number and the field as associated data (and every event and
 * snapshot encrypted again by the encrypting serializer).
 *
 * <p>A rotation is a persisted saga; each step ends in an event, so after a crash the entity
 * resumes at the step it reached and repeats at most the one rotator call that was running (every
 * such call is idempotent):
 *
 * <pre>
 * create     the rotator's next(current) becomes the PENDING version          RotationStarted
 * distribute consumers acknowledge it; after distribute-timeout the saga     ConsumerAcknowledged,
 *            goes on and reports who is behind (a later ack is recorded)     DistributionEnded
 * set        rotator.set(pending)                                             SetDone
 * test       rotator.test(pending)                                            TestDone
 * finish     PENDING becomes CURRENT, CURRENT becomes PREVIOUS               RotationFinished
 * retire     after grace-period: rotator.retire(previous); PREVIOUS dropped  PreviousRetired
 * </pre>
 *
 * A failed set or test rolls back ({@code RotationFailed}): the pending version is dropped, the
 * current one stays, and the failure is kept for the status. A retryable failure is tried again
 * after a backoff ({@code StepRetrying}), up to max-attempts. Rotator calls block: they run on the
 * blocking dispatcher and come back as {@link StepCompleted}. Timers (the schedule, the distribute
 * timeout, the grace period, a retry) are armed from persisted instants, also after recovery.
 */
public final class SecretEntity
    extends EventSourcedBehaviorWithEnforcedReplies<SecretEntity.Command, SecretEntity.Event, SecretEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "secret");
  /** Refusals that mean "not there" start with this (the API will answer 404). */
  public static final String NOT_FOUND = "no such secret ";
  /** Refusals of a Rotate while one runs contain this (the API will answer 409). */
  public static final String ROTATING = "a rotation is running";

  /** Timers wake at least this often, so long schedules stay within the scheduler's range. */
  private static final Duration LONGEST_TIMER = Duration.ofDays(1);

  // ---- commands -----------------------------------------------------------------------------

  public sealed interface Command permits Create, Rotate, ConsumerAcked, GetStatus, TimerFired, StepCompleted {}

  /**
   * Creates the secret; refused if it exists, the rotator is unknown, or the fields are not the
   * rotator's.
   *
   * @param fields the first version's values (kept encrypted; the caller still owns and wipes
   *     them); empty: the rotator makes them
   * @param every how often it rotates on its own; empty: only when asked
   * @param consumers the nodes that read it, as a selector (opaque here)
   */
  public record Create(Map<String, SecretBytes> fields, String rotator, Optional<Duration> every, String consumers,
      ActorRef<StatusReply<SecretStatus>> replyTo) implements Command {
    public Create {
      fields = Map.copyOf(fields);
    }

    @Override
    public String toString() {
      return "Create[fields " + new TreeSet<>(fields.keySet()) + ", values=[secret], rotator " + rotator + ", every "
          + every.map(Duration::toString).orElse("-") + ", consumers " + consumers + "]";
    }
  }

  /** Starts a rotation; refused while one runs. @param consumers the node ids expected to acknowledge */
  public record Rotate(Set<String> consumers, ActorRef<StatusReply<SecretStatus>> replyTo) implements Command {
    public Rotate {
      consumers = Set.copyOf(consumers);
    }
  }

  /** Node {@code nodeId} holds version {@code version} of the secret. */
  public record ConsumerAcked(String nodeId, long version) implements Command {}

  public record GetStatus(ActorRef<SecretStatus> replyTo) implements Command {}

  /** Sent by the entity's own timers. */
  public record TimerFired(Timer timer) implements Command {}

  /** Sent by the entity to itself when a rotator call it started has ended. */
  public record StepCompleted(Step step, long version, Optional<String> failure, boolean retryable) implements Command {}

  public enum Timer {
    SCHEDULE,
    DISTRIBUTE_TIMEOUT,
    RETRY,
    GRACE_END
  }

  /** The saga's steps that wait: create and finish happen at once, in one event each. */
  public enum Step {
    DISTRIBUTE,
    SET,
    TEST,
    RETIRE
  }

  public enum Label {
    PENDING,
    CURRENT,
    PREVIOUS
  }

  // ---- replies ------------------------------------------------------------------------------

  /** Where a secret stands. Never a value. */
  public record SecretStatus(String name, Optional<Definition> definition, List<VersionInfo> versions,
      Optional<Progress> rotation, Optional<Distribution> distribution, Optional<Failure> lastFailure,
      Optional<Instant> nextRotationAt) {
    public SecretStatus {
      versions = List.copyOf(versions);
    }
  }

  public record VersionInfo(long number, Label label, Instant createdAt) {}

  /**
   * The running rotation.
   *
   * @param attempts retryable failures of the current step so far
   * @param retryAt when the current step is tried again, after a retryable failure
   * @param retireAt when the previous version is retired (step RETIRE)
   */
  public record Progress(long version, Step step, Instant startedAt, String trigger, int attempts,
      Optional<Instant> retryAt, Optional<Instant> retireAt) {}

  /** The newest version's delivery: who was expected to acknowledge it, and who did. */
  public record Distribution(long version, Set<String> expected, Map<String, Instant> acknowledged) {
    public Distribution {
      expected = Set.copyOf(expected);
      acknowledged = Map.copyOf(acknowledged);
    }

    /** The expected consumers that have not acknowledged, sorted. */
    public List<String> behind() {
      return new TreeSet<>(expected).stream().filter(node -> !acknowledged.containsKey(node)).toList();
    }

    boolean complete() {
      return acknowledged.keySet().containsAll(expected);
    }

    Distribution acked(String nodeId, Instant at) {
      Map<String, Instant> next = new TreeMap<>(acknowledged);
      next.put(nodeId, at);
      return new Distribution(version, expected, next);
    }
  }

  /** Why a rotation (or a retirement) failed: the rotator's message, never a secret. */
  public record Failure(long version, Step step, String message, Instant at) {}

  // ---- events -------------------------------------------------------------------------------

  public sealed interface Event permits SecretCreated, RotationStarted, ConsumerAcknowledged, DistributionEnded, SetDone,
      TestDone, StepRetrying, RotationFailed, RotationFinished, PreviousRetired, RetireFailed {}

  public record SecretCreated(Definition definition, Version first, Optional<Instant> nextRotationAt) implements Event {}

  /** The create step: the pending version, and who must acknowledge it by when. */
  public record RotationStarted(Version pending, Set<String> consumers, String trigger, Instant at,
      Instant distributeDeadline) implements Event {
    public RotationStarted {
      consumers = Set.copyOf(consumers);
    }
  }

  public record ConsumerAcknowledged(String nodeId, long version, Instant at) implements Event {}

  /** The saga goes on to set; {@code behind} had not acknowledged. */
  public record DistributionEnded(Instant at, Set<String> behind) implements Event {
    public DistributionEnded {
      behind = Set.copyOf(behind);
    }
  }

  public record SetDone(Instant at) implements Event {}

  public record TestDone(Instant at) implements Event {}

  /** A step failed retryably for the {@code attempt}th time; it is tried again at {@code retryAt}. */
  public record StepRetrying(Step step, int attempt, String failure, Instant at, Instant retryAt) implements Event {}

  /** Rolled back: the pending version is dropped, the current one stays. */
  public record RotationFailed(Step step, String failure, Instant at, Optional<Instant> nextRotationAt)
      implements Event {}

  /** Pending became current, current became previous (retired at {@code retireAt}). */
  public record RotationFinished(Instant at, Instant retireAt) implements Event {}

  public record PreviousRetired(Instant at, Optional<Instant> nextRotationAt) implements Event {}

  /** The previous version could not be retired; it is dropped here, and the failure reported. */
  public record RetireFailed(String failure, Instant at, Optional<Instant> nextRotationAt) implements Event {}

  // ---- state --------------------------------------------------------------------------------

  /** What a secret is: no value. */
  public record Definition(String name, String rotator, Set<String> fields, Optional<Duration> every, String consumers,
      Instant createdAt) {
    public Definition {
      fields = Set.copyOf(fields);
    }
  }

  /** One version; each field's value encrypted under the data key ring ({@link #fieldAssociatedData}). */
  public record Version(long number, Map<String, ByteString> encryptedFields, Instant createdAt) {
    public Version {
      encryptedFields = Map.copyOf(new TreeMap<>(encryptedFields));
    }

    @Override
    public String toString() {
      return "Version[" + number + ", fields " + new TreeSet<>(encryptedFields.keySet()) + ", values=[encrypted]]";
    }
  }

  /**
   * A running rotation, from create to retire.
   *
   * @param pending the new version until it is finished
   * @param retireAt set once finished: when the previous version is retired
   */
  public record Saga(long version, Step step, Instant startedAt, String trigger, Instant distributeDeadline,
      Optional<Version> pending, int attempts, Optional<Instant> retryAt, Optional<Instant> retireAt) {

    Saga at(Step next) {
      return new Saga(version, next, startedAt, trigger, distributeDeadline, pending, 0, Optional.empty(), retireAt);
    }

    Saga retrying(StepRetrying event) {
      return new Saga(version, step, startedAt, trigger, distributeDeadline, pending, event.attempt(),
          Optional.of(event.retryAt()), retireAt);
    }

    Saga finished(RotationFinished event) {
      return new Saga(version, Step.RETIRE, startedAt, trigger, distributeDeadline, Optional.empty(), 0, Optional.empty(),
          Optional.of(event.retireAt()));
    }
  }

  /** One type per stage; stored encrypted in snapshots. */
  public sealed interface State permits Absent, Idle, Rotating {}

  public record Absent() implements State {
    Idle create(SecretCreated event) {
      return new Idle(event.definition(), event.first(), Optional.empty(), Optional.empty(), event.nextRotationAt());
    }
  }

  /** No rotation runs. @param distribution the current version's, if it was rotated in */
  public record Idle(Definition definition, Version current, Optional<Distribution> distribution,
      Optional<Failure> lastFailure, Optional<Instant> nextRotationAt) implements State {

    Rotating start(RotationStarted event) {
      Saga saga = new Saga(event.pending().number(), Step.DISTRIBUTE, event.at(), event.trigger(),
          event.distributeDeadline(), Optional.of(event.pending()), 0, Optional.empty(), Optional.empty());
      return new Rotating(definition, current, Optional.empty(), saga,
          new Distribution(event.pending().number(), event.consumers(), Map.of()), lastFailure);
    }

    Idle acked(ConsumerAcknowledged event) {
      return new Idle(definition, current, distribution.map(d -> d.acked(event.nodeId(), event.at())), lastFailure,
          nextRotationAt);
    }
  }

  /** A rotation runs. @param previous set once it finished, until retired */
  public record Rotating(Definition definition, Version current, Optional<Version> previous, Saga saga,
      Distribution distribution, Optional<Failure> lastFailure) implements State {

    Rotating withSaga(Saga next) {
      return new Rotating(definition, current, previous, next, distribution, lastFailure);
    }

    Rotating acked(ConsumerAcknowledged event) {
      return new Rotating(definition, current, previous, saga, distribution.acked(event.nodeId(), event.at()), lastFailure);
    }

    Rotating finished(RotationFinished event) {
      return new Rotating(definition, saga.pending().orElseThrow(), Optional.of(current), saga.finished(event),
          distribution, lastFailure);
    }

    Idle failed(RotationFailed event) {
      return new Idle(definition, current, Optional.empty(),
          Optional.of(new Failure(saga.version(), event.step(), event.failure(), event.at())), event.nextRotationAt());
    }

    Idle retired(PreviousRetired event) {
      return new Idle(definition, current, Optional.of(distribution), lastFailure, event.nextRotationAt());
    }

    Idle retireFailed(RetireFailed event) {
      return new Idle(definition, current, Optional.of(distribution),
          Optional.of(new Failure(saga.version() - 1, Step.RETIRE, event.failure(), event.at())), event.nextRotationAt());
    }
  }

  // ---- construction -------------------------------------------------------------------------

  /** Starts the secret entities' sharding on this controller. */
  public static void init(ActorSystem<?> system, SecretEnvironment environment) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, context -> create(context.getEntityId(), environment)));
  }

  public static EntityRef<Command> ref(ActorSystem<?> system, String name) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_KEY, name);
  }

  public static Behavior<Command> create(String name, SecretEnvironment environment) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> new SecretEntity(name, environment, context, timers)));
  }

  /** Associated data for one field of one version of secret {@code name}. */
  public static byte[][] fieldAssociatedData(String name, long version, String field) {
    return new byte[][] {utf8("opencluster/secret-version-field/v1"), utf8(name), utf8(Long.toString(version)),
        utf8(field)};
  }

  private final String name;
  private final SecretEnvironment environment;
  private final SecretSettings settings;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Executor blocking;
  /** The rotator call this incarnation has running (step, version); not persisted. */
  private Optional<StepCompleted> inFlight = Optional.empty();

  private SecretEntity(String name, SecretEnvironment environment, ActorContext<Command> context,
      TimerScheduler<Command> timers) {
    super(PersistenceId.of(ENTITY_KEY.name(), name));
    this.name = name;
    this.environment = environment;
    this.settings = environment.settings();
    this.clock = environment.clock();
    this.context = context;
    this.timers = timers;
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
  }

  @Override
  public State emptyState() {
    return new Absent();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  // ---- commands, by stage -------------------------------------------------------------------

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder.forStateType(Absent.class)
        .onCommand(Create.class, this::create)
        .onCommand(Rotate.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.error(NOT_FOUND + "'" + printable() + "'")));
    builder.forStateType(Idle.class)
        .onCommand(Rotate.class, (state, c) -> start(state, c.consumers(), "operator", c.replyTo()))
        .onCommand(ConsumerAcked.class, this::lateAck)
        .onCommand(TimerFired.class, this::scheduleFired);
    builder.forStateType(Rotating.class)
        .onCommand(Rotate.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.error(ROTATING + " for secret '"
            + printable() + "' (version " + state.saga().version() + ", step " + state.saga().step() + ")")))
        .onCommand(ConsumerAcked.class, this::ack)
        .onCommand(TimerFired.class, this::sagaTimerFired)
        .onCommand(StepCompleted.class, this::stepCompleted);
    builder.forAnyState()
        .onCommand(Create.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.error("secret '" + printable() + "' already exists")))
        .onCommand(GetStatus.class, (state, c) -> Effect().reply(c.replyTo(), status(state)))
        .onCommand(ConsumerAcked.class, (state, c) -> Effect().noReply())
        .onCommand(TimerFired.class, (state, c) -> Effect().noReply())
        .onCommand(StepCompleted.class, (state, c) -> Effect().noReply());
    return builder.build();
  }

  private ReplyEffect<Event, State> create(Absent state, Create command) {
    Optional<Rotator> rotator = environment.rotators().apply(command.rotator());
    Optional<String> invalid = FileDefinition.invalidName(name);
    if (invalid.isEmpty() && rotator.isEmpty()) {
      invalid = Optional.of("no rotator of kind '" + FileDefinition.printable(command.rotator()) + "'");
    }
    if (invalid.isEmpty() && !command.fields().isEmpty() && !command.fields().keySet().equals(rotator.get().fields())) {
      invalid = Optional.of("rotator '" + command.rotator() + "' takes the fields " + new TreeSet<>(rotator.get().fields())
          + ", not " + new TreeSet<>(command.fields().keySet()));
    }
    if (invalid.isEmpty() && command.every().isPresent()
        && command.every().get().compareTo(settings.distributeTimeout().plus(settings.gracePeriod())) <= 0) {
      invalid = Optional.of("every must be longer than distribute-timeout plus grace-period ("
          + settings.distributeTimeout().plus(settings.gracePeriod()) + "): a rotation runs until its previous version retires");
    }
    if (invalid.isPresent()) {
      return Effect().reply(command.replyTo(), StatusReply.error(invalid.get()));
    }
    Instant now = clock.instant();
    Version first;
    if (command.fields().isEmpty()) {
      Map<String, SecretBytes> made = rotator.get().next(Map.of());
      try {
        invalid = wrongFields(rotator.get(), made);
        first = invalid.isPresent() ? null : seal(1, made, now);
      } finally {
        wipe(made);
      }
    } else {
      first = seal(1, command.fields(), now);
    }
    if (invalid.isPresent()) {
      return Effect().reply(command.replyTo(), StatusReply.error(invalid.get()));
    }
    Definition definition = new Definition(name, command.rotator(), rotator.get().fields(), command.every(),
        command.consumers(), now);
    return Effect().persist(new SecretCreated(definition, first, nextRotation(definition, now)))
        .thenRun(this::drive)
        .thenReply(command.replyTo(), created -> StatusReply.success(status(created)));
  }

  /** The create step: the rotator makes the pending version from the current one. */
  private ReplyEffect<Event, State> start(Idle state, Set<String> consumers, String trigger,
      ActorRef<StatusReply<SecretStatus>> replyTo) {
    Optional<Rotator> rotator = environment.rotators().apply(state.definition().rotator());
    if (rotator.isEmpty()) {
      return replyOrNot(Effect().none(), replyTo,
          StatusReply.error("no rotator of kind '" + state.definition().rotator() + "' on this controller"));
    }
    Instant now = clock.instant();
    long number = state.current().number() + 1;
    Version pending;
    Optional<String> invalid;
    Map<String, SecretBytes> current = open(state.current());
    try {
      Map<String, SecretBytes> made = rotator.get().next(current);
      try {
        invalid = wrongFields(rotator.get(), made);
        pending = invalid.isPresent() ? null : seal(number, made, now);
      } finally {
        wipe(made);
      }
    } finally {
      wipe(current);
    }
    if (invalid.isPresent()) {
      return replyOrNot(Effect().none(), replyTo, StatusReply.error(invalid.get()));
    }
    List<Event> events = new ArrayList<>();
    events.add(new RotationStarted(pending, consumers, trigger, now, now.plus(settings.distributeTimeout())));
    if (consumers.isEmpty()) {
      events.add(new DistributionEnded(now, Set.of()));
    }
    context.getLog().info("Secret {}: rotation to version {} started ({}), {} consumers", name, number, trigger,
        consumers.size());
    return replyOrNot(Effect().persist(events).thenRun(this::drive), replyTo, null);
  }

  private ReplyEffect<Event, State> replyOrNot(EffectBuilder<Event, State> effect,
      ActorRef<StatusReply<SecretStatus>> replyTo, StatusReply<SecretStatus> refusal) {
    if (replyTo == null) {
      if (refusal != null) {
        context.getLog().warn("Secret {}: scheduled rotation not started: {}", name, refusal.getError().getMessage());
      }
      return effect.thenNoReply();
    }
    return effect.thenReply(replyTo, state -> refusal != null ? refusal : StatusReply.success(status(state)));
  }

  private ReplyEffect<Event, State> ack(Rotating state, ConsumerAcked command) {
    Distribution distribution = state.distribution();
    if (!recordable(distribution, command)) {
      return Effect().noReply();
    }
    List<Event> events = new ArrayList<>();
    Instant now = clock.instant();
    events.add(new ConsumerAcknowledged(command.nodeId(), command.version(), now));
    if (state.saga().step() == Step.DISTRIBUTE && distribution.acked(command.nodeId(), now).complete()) {
      events.add(new DistributionEnded(now, Set.of()));
    }
    return Effect().persist(events).thenRun(this::drive).thenNoReply();
  }

  /** After the rotation: a consumer that was behind catches up. */
  private ReplyEffect<Event, State> lateAck(Idle state, ConsumerAcked command) {
    if (state.distribution().isEmpty() || !recordable(state.distribution().get(), command)) {
      return Effect().noReply();
    }
    return Effect().persist(new ConsumerAcknowledged(command.nodeId(), command.version(), clock.instant())).thenNoReply();
  }

  /** Only an expected consumer's first ack of the version being distributed counts. */
  private static boolean recordable(Distribution distribution, ConsumerAcked command) {
    return distribution.version() == command.version() && distribution.expected().contains(command.nodeId())
        && !distribution.acknowledged().containsKey(command.nodeId());
  }

  // ---- timers -------------------------------------------------------------------------------

  private ReplyEffect<Event, State> scheduleFired(Idle state, TimerFired command) {
    if (command.timer() != Timer.SCHEDULE || state.nextRotationAt().isEmpty()
        || clock.instant().isBefore(state.nextRotationAt().get())) {
      return Effect().none().thenRun(this::drive).thenNoReply();
    }
    Set<String> consumers = state.distribution().map(Distribution::expected).orElse(Set.of());
    return start(state, consumers, "schedule", null);
  }

  private ReplyEffect<Event, State> sagaTimerFired(Rotating state, TimerFired command) {
    Saga saga = state.saga();
    Instant now = clock.instant();
    if (command.timer() == Timer.DISTRIBUTE_TIMEOUT && saga.step() == Step.DISTRIBUTE
        && !now.isBefore(saga.distributeDeadline())) {
      List<String> behind = state.distribution().behind();
      context.getLog().warn("Secret {}: {} of {} consumers had not acknowledged version {} by the deadline; going on",
          name, behind.size(), state.distribution().expected().size(), saga.version());
      return Effect().persist(new DistributionEnded(now, Set.copyOf(behind))).thenRun(this::drive).thenNoReply();
    }
    return Effect().none().thenRun(this::drive).thenNoReply();
  }

  // ---- rotator calls ------------------------------------------------------------------------

  private ReplyEffect<Event, State> stepCompleted(Rotating state, StepCompleted done) {
    Saga saga = state.saga();
    if (done.version() != saga.version() || done.step() != saga.step()) {
      return Effect().noReply();
    }
    inFlight = Optional.empty();
    Instant now = clock.instant();
    if (done.failure().isEmpty()) {
      return switch (done.step()) {
        case SET -> Effect().persist(new SetDone(now)).thenRun(this::drive).thenNoReply();
        case TEST -> Effect().persist(List.of(new TestDone(now), new RotationFinished(now, now.plus(settings.gracePeriod()))))
            .thenRun(this::drive).thenNoReply();
        case RETIRE -> Effect().persist(new PreviousRetired(now, nextRotation(state.definition(), now)))
            .thenRun(this::drive).thenNoReply();
        case DISTRIBUTE -> Effect().noReply();
      };
    }
    String failure = done.failure().get();
    int attempt = saga.attempts() + 1;
    if (done.retryable() && attempt < settings.maxAttempts()) {
      Instant retryAt = now.plus(settings.backoffAfter(attempt));
      context.getLog().warn("Secret {}: {} of version {} failed (attempt {} of {}), again at {}: {}", name,
          done.step(), saga.version(), attempt, settings.maxAttempts(), retryAt, failure);
      return Effect().persist(new StepRetrying(done.step(), attempt, failure, now, retryAt)).thenRun(this::drive)
          .thenNoReply();
    }
    Optional<Instant> next = nextRotation(state.definition(), now);
    if (done.step() == Step.RETIRE) {
      context.getLog().error("Secret {}: could not retire version {}: {}", name, saga.version() - 1, failure);
      return Effect().persist(new RetireFailed(failure, now, next)).thenRun(this::drive).thenNoReply();
    }
    context.getLog().error("Secret {}: rotation to version {} failed at {} and was rolled back: {}", name,
        saga.version(), done.step(), failure);
    return Effect().persist(new RotationFailed(done.step(), failure, now, next)).thenRun(this::drive).thenNoReply();
  }

  /**
   * Moves the saga on from what is persisted: arms the timer it waits for, or starts the rotator
   * call of its step (unless this incarnation has it running). Called after every event and after
   * recovery.
   */
  private void drive(State state) {
    Instant now = clock.instant();
    if (state instanceof Idle idle) {
      timers.cancelAll();
      idle.nextRotationAt().ifPresent(at -> armAt(Timer.SCHEDULE, at));
      return;
    }
    if (!(state instanceof Rotating rotating)) {
      return;
    }
    Saga saga = rotating.saga();
    timers.cancel(Timer.SCHEDULE);
    if (saga.step() == Step.DISTRIBUTE) {
      armAt(Timer.DISTRIBUTE_TIMEOUT, saga.distributeDeadline());
    } else if (saga.step() == Step.RETIRE && now.isBefore(saga.retireAt().orElseThrow())) {
      armAt(Timer.GRACE_END, saga.retireAt().get());
    } else if (saga.retryAt().isPresent() && now.isBefore(saga.retryAt().get())) {
      armAt(Timer.RETRY, saga.retryAt().get());
    } else {
      call(rotating, saga.step());
    }
  }

  /** Runs the step's rotator call on the blocking dispatcher; its end comes back as StepCompleted. */
  private void call(Rotating state, Step step) {
    long version = state.saga().version();
    StepCompleted running = new StepCompleted(step, version, Optional.empty(), false);
    if (inFlight.equals(Optional.of(running))) {
      return;
    }
    inFlight = Optional.of(running);
    Optional<Rotator> found = environment.rotators().apply(state.definition().rotator());
    Version values = step == Step.RETIRE ? state.previous().orElseThrow() : state.saga().pending().orElseThrow();
    CompletableFuture<Void> call = CompletableFuture.runAsync(() -> {
      Rotator rotator = found.orElseThrow(() -> new CompletionException(new RotationException(
          "no rotator of kind '" + state.definition().rotator() + "' on this controller", false)));
      Map<String, SecretBytes> plaintext = open(values);
      try {
        switch (step) {
          case SET -> rotator.set(plaintext);
          case TEST -> rotator.test(plaintext);
          case RETIRE -> rotator.retire(plaintext);
          case DISTRIBUTE -> throw new IllegalArgumentException("distribute calls no rotator");
        }
      } catch (RotationException e) {
        throw new CompletionException(e);
      } finally {
        wipe(plaintext);
      }
    }, blocking);
    context.pipeToSelf(call, (ok, error) -> error == null ? running : failed(step, version, error));
  }

  /** A rotator's message is shown; anything else it threw is named by type only (its message may hold a value). */
  private StepCompleted failed(Step step, long version, Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof RotationException e) {
      return new StepCompleted(step, version, Optional.of(String.valueOf(e.getMessage())), e.retryable());
    }
    context.getLog().error("Secret {}: the rotator's {} threw {}", name, step, cause.getClass().getName());
    return new StepCompleted(step, version, Optional.of(step.name().toLowerCase(java.util.Locale.ROOT)
        + " failed unexpectedly (" + cause.getClass().getSimpleName() + ")"), false);
  }

  // ---- events -------------------------------------------------------------------------------

  @Override
  public EventHandler<State, Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder.forStateType(Absent.class).onEvent(SecretCreated.class, Absent::create);
    builder.forStateType(Idle.class)
        .onEvent(RotationStarted.class, Idle::start)
        .onEvent(ConsumerAcknowledged.class, Idle::acked);
    builder.forStateType(Rotating.class)
        .onEvent(ConsumerAcknowledged.class, Rotating::acked)
        .onEvent(DistributionEnded.class, (state, e) -> state.withSaga(state.saga().at(Step.SET)))
        .onEvent(SetDone.class, (state, e) -> state.withSaga(state.saga().at(Step.TEST)))
        .onEvent(TestDone.class, (state, e) -> state)
        .onEvent(StepRetrying.class, (state, e) -> state.withSaga(state.saga().retrying(e)))
        .onEvent(RotationFinished.class, Rotating::finished)
        .onEvent(RotationFailed.class, Rotating::failed)
        .onEvent(PreviousRetired.class, Rotating::retired)
        .onEvent(RetireFailed.class, Rotating::retireFailed);
    return builder.build();
  }

  /** After recovery (a restart, a rebalance, a fail-over) the saga resumes where its events left it. */
  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::drive).build();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private Optional<Instant> nextRotation(Definition definition, Instant from) {
    return definition.every().map(every -> settings.nextRotation(name, from, every));
  }

  private static Optional<String> wrongFields(Rotator rotator, Map<String, SecretBytes> made) {
    if (made.keySet().equals(rotator.fields())) {
      return Optional.empty();
    }
    return Optional.of("rotator '" + rotator.kind() + "' made the fields " + new TreeSet<>(made.keySet()) + ", not "
        + new TreeSet<>(rotator.fields()));
  }

  private Version seal(long number, Map<String, SecretBytes> values, Instant at) {
    Map<String, ByteString> encrypted = new TreeMap<>();
    values.forEach((field, value) -> encrypted.put(field,
        ByteString.copyFrom(environment.cipher().encrypt(value, fieldAssociatedData(name, number, field)))));
    return new Version(number, encrypted, at);
  }

  /** The version's values; the caller wipes them. */
  private Map<String, SecretBytes> open(Version version) {
    Map<String, SecretBytes> values = new TreeMap<>();
    try {
      version.encryptedFields().forEach((field, record) -> values.put(field,
          environment.cipher().decrypt(record.toByteArray(), fieldAssociatedData(name, version.number(), field))));
    } catch (RuntimeException e) {
      wipe(values);
      throw e;
    }
    return values;
  }

  private static void wipe(Map<String, SecretBytes> values) {
    values.values().forEach(SecretBytes::close);
  }

  /** Arms {@code timer} for {@code at}, or for a day from now if that is further; it re-arms on waking early. */
  private void armAt(Timer timer, Instant at) {
    Duration delay = Duration.between(clock.instant(), at);
    if (delay.isNegative()) {
      delay = Duration.ZERO;
    }
    timers.startSingleTimer(timer, new TimerFired(timer), delay.compareTo(LONGEST_TIMER) > 0 ? LONGEST_TIMER : delay);
  }

  private SecretStatus status(State state) {
    if (state instanceof Idle idle) {
      return new SecretStatus(name, Optional.of(idle.definition()),
          List.of(new VersionInfo(idle.current().number(), Label.CURRENT, idle.current().createdAt())), Optional.empty(),
          idle.distribution(), idle.lastFailure(), idle.nextRotationAt());
    } else if (state instanceof Rotating rotating) {
      Saga saga = rotating.saga();
      List<VersionInfo> versions = new ArrayList<>();
      saga.pending().ifPresent(p -> versions.add(new VersionInfo(p.number(), Label.PENDING, p.createdAt())));
      versions.add(new VersionInfo(rotating.current().number(), Label.CURRENT, rotating.current().createdAt()));
      rotating.previous().ifPresent(p -> versions.add(new VersionInfo(p.number(), Label.PREVIOUS, p.createdAt())));
      return new SecretStatus(name, Optional.of(rotating.definition()), versions,
          Optional.of(new Progress(saga.version(), saga.step(), saga.startedAt(), saga.trigger(), saga.attempts(),
              saga.retryAt(), saga.retireAt())),
          Optional.of(rotating.distribution()), rotating.lastFailure(), Optional.empty());
    }
    return new SecretStatus(name, Optional.empty(), List.of(), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty());
  }

  private String printable() {
    return FileDefinition.printable(name);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
