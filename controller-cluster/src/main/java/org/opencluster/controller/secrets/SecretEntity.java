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
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
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
import org.opencluster.controller.files.FileDefinition.Selector;
import org.opencluster.controller.files.SharedSecret;
import org.opencluster.controller.rotation.RotationException;
import org.opencluster.controller.rotation.Rotator;
import org.opencluster.controller.rotation.RotatorSpec;
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
  /** The refusal of a Create of a secret that exists contains this (the API answers 409). */
  public static final String EXISTS = "already exists";

  /** Acknowledgements wait at most this long to be journaled together. */
  private static final Duration ACK_BATCH_DELAY = Duration.ofMillis(100);
  /** ... and at most this many. */
  private static final int ACK_BATCH_MAX = 1000;
  /** The longest wait for the consumers of a rotation to be listed. */
  private static final Duration LIST_TIMEOUT = Duration.ofSeconds(30);
  /** Timers wake at least this often, so long schedules stay within the scheduler's range. */
  private static final Duration LONGEST_TIMER = Duration.ofDays(1);

  // ---- commands -----------------------------------------------------------------------------

  public sealed interface Command permits Create, Rotate, Compromised, ConsumerAcked, ConsumersAcked, GetStatus,
      TimerFired, StepCompleted, ConsumersListed, Published {}

  /** Many nodes hold version {@code version}, staged or {@code live}: a controller's acknowledgements, gathered. */
  public record ConsumersAcked(List<String> nodeIds, long version, boolean live) implements Command {
    public ConsumersAcked {
      nodeIds = List.copyOf(nodeIds);
    }
  }

  /**
   * Creates the secret; refused if it exists, the rotator is unknown or refuses its parameters, or
   * the fields are not the rotator's.
   *
   * @param fields the first version's values (kept encrypted; the caller still owns and wipes
   *     them); empty: the rotator makes them
   * @param every how often it rotates on its own; empty: only when asked
   * @param consumers the nodes that may read it and must acknowledge each new version
   */
  public record Create(Map<String, SecretBytes> fields, RotatorSpec rotator, Optional<Duration> every,
      Selector consumers, ActorRef<StatusReply<SecretStatus>> replyTo) implements Command {
    public Create {
      fields = Map.copyOf(fields);
    }

    @Override
    public String toString() {
      return "Create[fields " + new TreeSet<>(fields.keySet()) + ", values=[secret], rotator " + rotator.kind()
          + ", every " + every.map(Duration::toString).orElse("-") + ", consumers " + consumers + "]";
    }
  }

  /** Starts a rotation; refused while one runs. The consumers expected are the live nodes the definition selects. */
  public record Rotate(ActorRef<StatusReply<SecretStatus>> replyTo) implements Command {}

  /**
   * Node {@code nodeId}, which could read this secret, is deemed compromised: the secret is rotated
   * without it, and the version it held stops working (revoked, not kept for a grace period).
   * Idempotent: a node already answered for is acknowledged at once.
   */
  public record Compromised(String nodeId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Node {@code nodeId} holds version {@code version} of the secret: staged in its agent's memory,
   * or, when {@code live}, in the files it serves (it switched to it).
   */
  public record ConsumerAcked(String nodeId, long version, boolean live) implements Command {
    /** Staged (not yet live). */
    public ConsumerAcked(String nodeId, long version) {
      this(nodeId, version, false);
    }
  }

  public record GetStatus(ActorRef<SecretStatus> replyTo) implements Command {}

  /** Sent by the entity's own timers. */
  public record TimerFired(Timer timer) implements Command {}

  /** Sent by the entity to itself when a rotator call it started has ended. */
  public record StepCompleted(Step step, long version, Optional<String> failure, boolean retryable) implements Command {}

  /** Sent by the entity to itself with the consumers of a rotation it is starting (local only). */
  public record ConsumersListed(String trigger, Optional<Set<String>> nodes, Optional<String> failure,
      ActorRef<StatusReply<SecretStatus>> replyTo) implements Command {}

  /** Sent by the entity to itself when the catalog took (or refused) a publication (local only). */
  public record Published(Publication publication, Optional<String> failure) implements Command {}

  public enum Timer {
    SCHEDULE,
    DISTRIBUTE_TIMEOUT,
    RETRY,
    GRACE_END,
    PUBLISH,
    FLUSH_ACKS
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

  /** Which versions the catalog shows: the current one and, while distributed, the pending one (0: none). */
  public record Publication(long current, long pending) {}

  // ---- replies ------------------------------------------------------------------------------

  /**
   * Where a secret stands. Never a value.
   *
   * @param compromised nodes deemed compromised whose rotation has not started yet
   * @param published the versions the catalog shows, as far as this incarnation knows
   * @param host the address of the cluster member this entity runs on (which controller holds the saga)
   * @param switched after a rotation finished, how many expected consumers serve the new version in
   *     their files, as far as this incarnation heard
   */
  public record SecretStatus(String name, Optional<Definition> definition, List<VersionInfo> versions,
      Optional<Progress> rotation, Optional<DistributionSummary> distribution, Optional<Failure> lastFailure,
      Optional<Instant> nextRotationAt, List<String> compromised, Optional<Publication> published, String host,
      int switched) {
    public SecretStatus {
      versions = List.copyOf(versions);
      compromised = List.copyOf(compromised);
    }
  }

  public record VersionInfo(long number, Label label, Instant createdAt) {}

  /**
   * The running rotation.
   *
   * @param attempts retryable failures of the current step so far
   * @param retryAt when the current step is tried again, after a retryable failure
   * @param retireAt when the previous version is retired (step RETIRE)
   * @param urgent it answers a compromise: the previous version is revoked, after the short grace
   */
  public record Progress(long version, Step step, Instant startedAt, String trigger, int attempts,
      Optional<Instant> retryAt, Optional<Instant> retireAt, boolean urgent) {}

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

    /** Copies the whole map: for a batch, {@link #ackedAll} (one copy). */
    Distribution acked(String nodeId, Instant at) {
      return ackedAll(List.of(nodeId), at);
    }

    Distribution ackedAll(List<String> nodeIds, Instant at) {
      Map<String, Instant> next = new java.util.HashMap<>(acknowledged);
      nodeIds.forEach(node -> next.put(node, at));
      return new Distribution(version, expected, next);
    }

    Distribution without(String nodeId) {
      Set<String> next = new TreeSet<>(expected);
      next.remove(nodeId);
      return new Distribution(version, next, acknowledged);
    }
  }

  /**
   * What a status says of a distribution: counts, and the first {@value #BEHIND_SHOWN} consumers
   * behind (an answer of the API names no more; the count is always given). Not the whole lists: at 10,000 consumers they outgrow a cluster message (Artery's
   * 256 KiB frame), and the status of a secret whose entity runs on another controller was then
   * never answered.
   *
   * @param behind the first of the expected consumers that have not acknowledged, sorted
   * @param behindCount how many have not
   */
  public record DistributionSummary(long version, int expected, int acknowledged, List<String> behind,
      int behindCount) {
    public static final int BEHIND_SHOWN = 100;

    public DistributionSummary {
      behind = List.copyOf(behind);
    }

    static DistributionSummary of(Distribution d) {
      List<String> behind = d.behind();
      int acknowledged = (int) d.acknowledged().keySet().stream().filter(d.expected()::contains).count();
      return new DistributionSummary(d.version(), d.expected().size(), acknowledged,
          behind.subList(0, Math.min(BEHIND_SHOWN, behind.size())), behind.size());
    }
  }

  /** Why a rotation (or a retirement) failed: the rotator's message, never a secret. */
  public record Failure(long version, Step step, String message, Instant at) {}

  // ---- events -------------------------------------------------------------------------------

  public sealed interface Event permits SecretCreated, RotationStarted, ConsumerAcknowledged, ConsumersAcknowledged,
      DistributionEnded, SetDone, TestDone, StepRetrying, RotationFailed, RotationFinished, PreviousRetired, RetireFailed,
      CompromiseNoted {}

  public record SecretCreated(Definition definition, Version first, Optional<Instant> nextRotationAt) implements Event {}

  /**
   * The create step: the pending version, and who must acknowledge it by when.
   *
   * @param urgent it answers the compromise of {@code compromised}
   */
  public record RotationStarted(Version pending, Set<String> consumers, String trigger, Instant at,
      Instant distributeDeadline, boolean urgent, List<String> compromised) implements Event {
    public RotationStarted {
      consumers = Set.copyOf(consumers);
      compromised = List.copyOf(compromised);
    }
  }

  public record ConsumerAcknowledged(String nodeId, long version, Instant at) implements Event {}

  /** Consumers {@code nodeIds} hold version {@code version} (a batch of acknowledgements). */
  public record ConsumersAcknowledged(long version, List<String> nodeIds, Instant at) implements Event {
    public ConsumersAcknowledged {
      nodeIds = List.copyOf(nodeIds);
    }
  }

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

  /**
   * Node {@code nodeId} could read this secret and is deemed compromised; an urgent rotation follows.
   *
   * @param retireBy set when a finished rotation waits for its grace period: the previous version is
   *     revoked by then at the latest (the compromised node may hold it)
   */
  public record CompromiseNoted(String nodeId, Instant at, Optional<Instant> retireBy) implements Event {}

  // ---- state --------------------------------------------------------------------------------

  /** What a secret is: no value. */
  public record Definition(String name, RotatorSpec rotator, Set<String> fields, Optional<Duration> every,
      Selector consumers, Instant createdAt) {
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
   * The compromised nodes this secret answered for.
   *
   * @param handled the most recent {@value #REMEMBERED} nodes noted (a repeat is acknowledged at once)
   * @param waiting noted, and no rotation started since
   */
  public record Compromises(List<String> handled, List<String> waiting) {
    static final int REMEMBERED = 1024;
    static final Compromises NONE = new Compromises(List.of(), List.of());

    public Compromises {
      handled = List.copyOf(handled);
      waiting = List.copyOf(waiting);
    }

    Compromises noted(String nodeId) {
      List<String> nextHandled = new ArrayList<>(handled);
      nextHandled.add(nodeId);
      while (nextHandled.size() > REMEMBERED) {
        nextHandled.remove(0);
      }
      List<String> nextWaiting = new ArrayList<>(waiting);
      nextWaiting.add(nodeId);
      return new Compromises(nextHandled, nextWaiting);
    }

    Compromises started(List<String> answered) {
      List<String> nextWaiting = new ArrayList<>(waiting);
      nextWaiting.removeAll(answered);
      return new Compromises(handled, nextWaiting);
    }

    /** The urgent rotation answering {@code unanswered} failed: they wait again. */
    Compromises requeued(List<String> unanswered) {
      List<String> nextWaiting = new ArrayList<>(waiting);
      unanswered.stream().filter(node -> !nextWaiting.contains(node)).forEach(nextWaiting::add);
      return new Compromises(handled, nextWaiting);
    }
  }

  /**
   * A running rotation, from create to retire.
   *
   * @param pending the new version until it is finished
   * @param retireAt set once finished: when the previous version is retired
   * @param urgent it answers a compromise: the previous version is revoked
   */
  public record Saga(long version, Step step, Instant startedAt, String trigger, Instant distributeDeadline,
      Optional<Version> pending, int attempts, Optional<Instant> retryAt, Optional<Instant> retireAt, boolean urgent,
      List<String> compromised) {

    public Saga {
      compromised = List.copyOf(compromised);
    }

    Saga at(Step next) {
      return new Saga(version, next, startedAt, trigger, distributeDeadline, pending, 0, Optional.empty(), retireAt,
          urgent, compromised);
    }

    Saga retrying(StepRetrying event) {
      return new Saga(version, step, startedAt, trigger, distributeDeadline, pending, event.attempt(),
          Optional.of(event.retryAt()), retireAt, urgent, compromised);
    }

    Saga finished(RotationFinished event) {
      return new Saga(version, Step.RETIRE, startedAt, trigger, distributeDeadline, Optional.empty(), 0, Optional.empty(),
          Optional.of(event.retireAt()), urgent, compromised);
    }

    Saga retiringBy(Instant at) {
      return new Saga(version, step, startedAt, trigger, distributeDeadline, pending, attempts, retryAt,
          Optional.of(at), urgent, compromised);
    }
  }

  /** One type per stage; stored encrypted in snapshots. */
  public sealed interface State permits Absent, Idle, Rotating {}

  public record Absent() implements State {
    Idle create(SecretCreated event) {
      return new Idle(event.definition(), event.first(), Optional.empty(), Optional.empty(), event.nextRotationAt(),
          Compromises.NONE);
    }
  }

  /** No rotation runs. @param distribution the current version's, if it was rotated in */
  public record Idle(Definition definition, Version current, Optional<Distribution> distribution,
      Optional<Failure> lastFailure, Optional<Instant> nextRotationAt, Compromises compromises) implements State {

    Rotating start(RotationStarted event) {
      Saga saga = new Saga(event.pending().number(), Step.DISTRIBUTE, event.at(), event.trigger(),
          event.distributeDeadline(), Optional.of(event.pending()), 0, Optional.empty(), Optional.empty(),
          event.urgent(), event.compromised());
      return new Rotating(definition, current, Optional.empty(), saga,
          new Distribution(event.pending().number(), event.consumers(), Map.of()), lastFailure,
          compromises.started(event.compromised()));
    }

    Idle acked(ConsumerAcknowledged event) {
      return new Idle(definition, current, distribution.map(d -> d.acked(event.nodeId(), event.at())), lastFailure,
          nextRotationAt, compromises);
    }

    Idle acked(ConsumersAcknowledged event) {
      return new Idle(definition, current, distribution.map(d -> d.ackedAll(event.nodeIds(), event.at())), lastFailure,
          nextRotationAt, compromises);
    }

    Idle noted(CompromiseNoted event) {
      return new Idle(definition, current, distribution, lastFailure, nextRotationAt,
          compromises.noted(event.nodeId()));
    }
  }

  /** A rotation runs. @param previous set once it finished, until retired */
  public record Rotating(Definition definition, Version current, Optional<Version> previous, Saga saga,
      Distribution distribution, Optional<Failure> lastFailure, Compromises compromises) implements State {

    Rotating withSaga(Saga next) {
      return new Rotating(definition, current, previous, next, distribution, lastFailure, compromises);
    }

    Rotating acked(ConsumerAcknowledged event) {
      return new Rotating(definition, current, previous, saga, distribution.acked(event.nodeId(), event.at()),
          lastFailure, compromises);
    }

    Rotating acked(ConsumersAcknowledged event) {
      return new Rotating(definition, current, previous, saga, distribution.ackedAll(event.nodeIds(), event.at()),
          lastFailure, compromises);
    }

    Rotating noted(CompromiseNoted event) {
      Saga next = saga;
      if (event.retireBy().isPresent() && saga.retireAt().isPresent()
          && event.retireBy().get().isBefore(saga.retireAt().get())) {
        next = saga.retiringBy(event.retireBy().get());
      }
      return new Rotating(definition, current, previous, next, distribution.without(event.nodeId()), lastFailure,
          compromises.noted(event.nodeId()));
    }

    Rotating finished(RotationFinished event) {
      return new Rotating(definition, saga.pending().orElseThrow(), Optional.of(current), saga.finished(event),
          distribution, lastFailure, compromises);
    }

    /** Rolled back; the compromises this rotation answered wait for the next one. */
    Idle failed(RotationFailed event) {
      return new Idle(definition, current, Optional.empty(),
          Optional.of(new Failure(saga.version(), event.step(), event.failure(), event.at())), event.nextRotationAt(),
          compromises.requeued(saga.compromised()));
    }

    Idle retired(PreviousRetired event) {
      return new Idle(definition, current, Optional.of(distribution), lastFailure, event.nextRotationAt(), compromises);
    }

    /** The previous version may still work: the compromises this rotation answered wait for the next one. */
    Idle retireFailed(RetireFailed event) {
      return new Idle(definition, current, Optional.of(distribution),
          Optional.of(new Failure(saga.version() - 1, Step.RETIRE, event.failure(), event.at())), event.nextRotationAt(),
          compromises.requeued(saga.compromised()));
    }
  }

  // ---- construction -------------------------------------------------------------------------

  /** Starts the secret entities' sharding on this controller. */
  public static void init(ActorSystem<?> system, SecretEnvironment environment) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY,
        context -> create(context.getEntityId(), environment, Optional.of(context.getShard()))));
  }

  public static EntityRef<Command> ref(ActorSystem<?> system, String name) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_KEY, name);
  }

  public static Behavior<Command> create(String name, SecretEnvironment environment) {
    return create(name, environment, Optional.empty());
  }

  /**
   * @param shard where to ask for passivation when no such secret exists, so asking about a name
   *     never leaves a remembered entity behind; empty outside sharding (tests)
   */
  public static Behavior<Command> create(String name, SecretEnvironment environment,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(
        timers -> new SecretEntity(name, environment, context, timers, shard)));
  }

  /** Associated data for one field of one version of secret {@code name}. */
  public static byte[][] fieldAssociatedData(String name, long version, String field) {
    return new byte[][] {utf8("opencluster/secret-version-field/v1"), utf8(name), utf8(Long.toString(version)),
        utf8(field)};
  }

  private final String name;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  private final SecretEnvironment environment;
  private final SecretSettings settings;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  /** The rotator call this incarnation has running (step, version); not persisted. */
  private Optional<StepCompleted> inFlight = Optional.empty();
  private boolean inFlightRevokes;
  /** A revoke is owed after the plain retire now running. */
  private boolean revokeAfterRetire;
  /** Acknowledgements of version {@code queuedVersion} not journaled yet (lost in a crash: sent again with the next set). */
  private final Set<String> queuedAcks = new java.util.HashSet<>();
  private long queuedVersion;
  /** A rotation's consumers are being listed (not persisted: a crash forgets an unstarted rotation). */
  private boolean starting;
  /** A rotation that could not start (its consumers not listed, the rotator refused) is not tried before this. */
  private Instant startNotBefore = Instant.EPOCH;
  /**
   * The consumers that serve the newest version in their files (reported live), for the version
   * {@code switchedVersion}; not persisted: after a recovery the grace period alone decides.
   */
  private long switchedVersion;
  private final Set<String> switched = new java.util.HashSet<>();
  /** What the catalog took from this incarnation, and what it is being sent. */
  private Optional<Publication> published = Optional.empty();
  private Optional<Publication> publishing = Optional.empty();

  private SecretEntity(String name, SecretEnvironment environment, ActorContext<Command> context,
      TimerScheduler<Command> timers, Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    super(PersistenceId.of(ENTITY_KEY.name(), name));
    this.shard = shard;
    this.name = name;
    this.environment = environment;
    this.settings = environment.settings();
    this.clock = environment.clock();
    this.context = context;
    this.timers = timers;
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
        .onCommand(Rotate.class, (state, c) -> answerAndForget(c.replyTo(), StatusReply.error(notFound())))
        .onCommand(Compromised.class, (state, c) -> answerAndForget(c.replyTo(), StatusReply.error(notFound())))
        .onCommand(GetStatus.class, (state, c) -> answerAndForget(c.replyTo(), status(state)))
        .onAnyCommand(c -> Effect().none().thenRun(absent -> passivate()).thenNoReply());
    builder.forStateType(Idle.class)
        .onCommand(Rotate.class, this::rotate)
        .onCommand(ConsumersListed.class, this::listed)
        .onCommand(Compromised.class, (state, c) -> compromised(state, state.compromises(), c))
        .onCommand(ConsumerAcked.class, this::lateAck)
        .onCommand(ConsumersAcked.class, (state, batch) -> acks(state, batch))
        .onCommand(TimerFired.class, this::idleTimerFired);
    builder.forStateType(Rotating.class)
        .onCommand(Rotate.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.error(ROTATING + " for secret '"
            + printable() + "' (version " + state.saga().version() + ", step " + state.saga().step() + ")")))
        .onCommand(Compromised.class, (state, c) -> compromised(state, state.compromises(), c))
        .onCommand(ConsumerAcked.class, this::ack)
        .onCommand(ConsumersAcked.class, (state, batch) -> acks(state, batch))
        .onCommand(TimerFired.class, this::sagaTimerFired)
        .onCommand(StepCompleted.class, this::stepCompleted);
    builder.forAnyState()
        .onCommand(Create.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.error("secret '" + printable() + "' " + EXISTS)))
        .onCommand(GetStatus.class, (state, c) -> Effect().reply(c.replyTo(), status(state)))
        .onCommand(Published.class, this::published)
        .onCommand(ConsumersListed.class, (state, c) -> {
          starting = false;
          return replyOrNot(Effect().none(), c.replyTo(), StatusReply.error(ROTATING + " for secret '" + printable() + "'"));
        })
        .onCommand(ConsumerAcked.class, (state, c) -> Effect().noReply())
        .onCommand(TimerFired.class, (state, c) -> Effect().none().thenRun(this::drive).thenNoReply())
        .onCommand(StepCompleted.class, (state, c) -> Effect().noReply());
    return builder.build();
  }

  private ReplyEffect<Event, State> create(Absent state, Create command) {
    Optional<String> invalid = FileDefinition.invalidName(name);
    if (invalid.isPresent()) {
      return answerAndForget(command.replyTo(), StatusReply.error(invalid.get()));
    }
    if (!command.consumers().all() && command.consumers().nodes().isEmpty() && command.consumers().labels().isEmpty()) {
      return answerAndForget(command.replyTo(), StatusReply.error(
          "consumers select nothing: name labels (role=web), nodes, or all nodes"));
    }
    if (command.every().isPresent()
        && command.every().get().compareTo(settings.distributeTimeout().plus(settings.gracePeriod())) <= 0) {
      return answerAndForget(command.replyTo(), StatusReply.error("every must be longer than distribute-timeout plus "
          + "grace-period (" + settings.distributeTimeout().plus(settings.gracePeriod())
          + "): a rotation runs until its previous version retires"));
    }
    Instant now = clock.instant();
    Version first;
    Set<String> fields;
    try (RotatorSource.Lease lease = environment.rotators().open(command.rotator())) {
      Rotator rotator = lease.rotator();
      fields = rotator.fields();
      if (!command.fields().isEmpty() && !command.fields().keySet().equals(fields)) {
        return answerAndForget(command.replyTo(), StatusReply.error("rotator '" + rotator.kind() + "' takes the fields "
            + new TreeSet<>(fields) + ", not " + new TreeSet<>(command.fields().keySet())));
      }
      if (command.fields().isEmpty()) {
        Map<String, SecretBytes> made = rotator.next(Map.of());
        try {
          invalid = wrongFields(rotator, made);
          first = invalid.isPresent() ? null : seal(1, made, now);
        } finally {
          wipe(made);
        }
      } else {
        first = seal(1, command.fields(), now);
      }
    } catch (IllegalArgumentException e) {
      return answerAndForget(command.replyTo(), StatusReply.error(e.getMessage()));
    }
    if (invalid.isPresent()) {
      return answerAndForget(command.replyTo(), StatusReply.error(invalid.get()));
    }
    Definition definition = new Definition(name, command.rotator(), fields, command.every(), command.consumers(), now);
    context.getLog().info("Secret {}: created (rotator {}, consumers {})", name, command.rotator().kind(),
        command.consumers());
    return Effect().persist(new SecretCreated(definition, first, nextRotation(definition, now)))
        .thenRun(this::drive)
        .thenReply(command.replyTo(), created -> StatusReply.success(status(created)));
  }

  private ReplyEffect<Event, State> rotate(Idle state, Rotate command) {
    if (starting) {
      return Effect().reply(command.replyTo(), StatusReply.error(ROTATING + " for secret '" + printable()
          + "' (starting: its consumers are being listed)"));
    }
    listConsumers(state, "operator", command.replyTo());
    return Effect().noReply();
  }

  /** Asks for the live consumers; the answer comes back as ConsumersListed. */
  private void listConsumers(Idle state, String trigger, ActorRef<StatusReply<SecretStatus>> replyTo) {
    starting = true;
    context.pipeToSelf(environment.consumers().liveNodes(state.definition().consumers()).toCompletableFuture()
            .orTimeout(LIST_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS),
        (nodes, error) -> error == null ? new ConsumersListed(trigger, Optional.of(Set.copyOf(nodes)), Optional.empty(), replyTo)
            : new ConsumersListed(trigger, Optional.empty(), Optional.of("could not list the consumers ("
                + error.getClass().getSimpleName() + "); try again"), replyTo));
  }

  private ReplyEffect<Event, State> listed(Idle state, ConsumersListed listed) {
    starting = false;
    if (listed.nodes().isEmpty()) {
      context.getLog().warn("Secret {}: {} rotation not started: {}", name, listed.trigger(), listed.failure().orElse(""));
      startNotBefore = clock.instant().plus(settings.retryBackoff());
      return replyOrNot(Effect().none().thenRun(this::drive), listed.replyTo(),
          StatusReply.error(listed.failure().orElse("no consumers")));
    }
    Set<String> consumers = new TreeSet<>(listed.nodes().get());
    consumers.removeAll(state.compromises().handled());
    return start(state, consumers, listed.trigger(), listed.replyTo());
  }

  /** The create step: the rotator makes the pending version from the current one. */
  private ReplyEffect<Event, State> start(Idle state, Set<String> consumers, String trigger,
      ActorRef<StatusReply<SecretStatus>> replyTo) {
    Instant now = clock.instant();
    // A number is never used twice: a rolled-back version keeps its number (acks, the catalog and
    // 'rotate --wait' tell versions apart by it).
    long number = Math.max(state.current().number(), state.lastFailure().map(Failure::version).orElse(0L)) + 1;
    Version pending;
    Optional<String> invalid;
    Map<String, SecretBytes> current = open(state.current());
    try (RotatorSource.Lease lease = environment.rotators().open(state.definition().rotator())) {
      Map<String, SecretBytes> made = lease.rotator().next(current);
      try {
        invalid = wrongFields(lease.rotator(), made);
        pending = invalid.isPresent() ? null : seal(number, made, now);
      } finally {
        wipe(made);
      }
    } catch (IllegalArgumentException e) {
      invalid = Optional.of("the rotator refused: " + e.getMessage());
      pending = null;
    } finally {
      wipe(current);
    }
    if (invalid.isPresent()) {
      startNotBefore = now.plus(settings.maxRetryBackoff());
      return replyOrNot(Effect().none().thenRun(this::drive), replyTo, StatusReply.error(invalid.get()));
    }
    List<String> compromised = state.compromises().waiting();
    boolean urgent = !compromised.isEmpty();
    String why = urgent ? "compromise of " + String.join(", ", compromised) : trigger;
    List<Event> events = new ArrayList<>();
    events.add(new RotationStarted(pending, consumers, why, now, now.plus(settings.distributeTimeout()), urgent,
        compromised));
    if (consumers.isEmpty()) {
      events.add(new DistributionEnded(now, Set.of()));
    }
    context.getLog().info("Secret {}: rotation to version {} started ({}), {} consumers", name, number, why,
        consumers.size());
    return replyOrNot(Effect().persist(events).thenRun(this::drive), replyTo, null);
  }

  private ReplyEffect<Event, State> replyOrNot(EffectBuilder<Event, State> effect,
      ActorRef<StatusReply<SecretStatus>> replyTo, StatusReply<SecretStatus> refusal) {
    if (replyTo == null) {
      if (refusal != null) {
        context.getLog().warn("Secret {}: rotation not started: {}", name, refusal.getError().getMessage());
      }
      return effect.thenNoReply();
    }
    return effect.thenReply(replyTo, state -> refusal != null ? refusal : StatusReply.success(status(state)));
  }

  private ReplyEffect<Event, State> compromised(State state, Compromises compromises, Compromised command) {
    if (compromises.handled().contains(command.nodeId())) {
      return Effect().reply(command.replyTo(), StatusReply.ack());
    }
    context.getLog().warn("Secret {}: node {}, a consumer, is deemed compromised; an urgent rotation follows", name,
        command.nodeId());
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>();
    Optional<Instant> retireBy = state instanceof Rotating rotating && rotating.saga().step() == Step.RETIRE
        ? Optional.of(now.plus(settings.compromiseGracePeriod())) : Optional.empty();
    events.add(new CompromiseNoted(command.nodeId(), now, retireBy));
    if (state instanceof Rotating rotating && rotating.saga().step() == Step.DISTRIBUTE
        && !rotating.distribution().complete() && rotating.distribution().without(command.nodeId()).complete()) {
      events.add(new DistributionEnded(now, Set.of())); // it was the last one the saga waited for
    }
    return Effect().persist(events).thenRun(this::drive).thenReply(command.replyTo(), s -> StatusReply.ack());
  }

  /**
   * A consumer holds a version. Acknowledgements are journaled in batches (one event per {@link
   * #ACK_BATCH_DELAY}, or at once when {@link #ACK_BATCH_MAX} are queued): a fleet's worth arrive
   * together, and one write each would queue them behind the journal.
   */
  private ReplyEffect<Event, State> ack(Rotating state, ConsumerAcked command) {
    boolean switchedNow = command.live() && state.saga().step() == Step.RETIRE
        && command.version() == state.saga().version() && switched(state.saga().version()).add(command.nodeId());
    if (!recordable(state.distribution(), command) || queuedAcks.contains(command.nodeId())) {
      return switchedNow ? Effect().none().thenRun(this::drive).thenNoReply() : Effect().noReply();
    }
    return queue(command);
  }

  /** A gathered batch: each node as if its ConsumerAcked came alone, journaled in the same batches. */
  private ReplyEffect<Event, State> acks(State state, ConsumersAcked batch) {
    boolean switchedAny = false;
    boolean queued = false;
    Optional<Distribution> distribution = state instanceof Rotating r ? Optional.of(r.distribution())
        : state instanceof Idle i ? i.distribution() : Optional.empty();
    for (String node : batch.nodeIds()) {
      ConsumerAcked one = new ConsumerAcked(node, batch.version(), batch.live());
      if (state instanceof Rotating rotating && batch.live() && rotating.saga().step() == Step.RETIRE
          && batch.version() == rotating.saga().version() && switched(rotating.saga().version()).add(node)) {
        switchedAny = true;
      }
      if (distribution.isPresent() && recordable(distribution.get(), one) && !queuedAcks.contains(node)) {
        if (queuedAcks.isEmpty() || queuedVersion != batch.version()) {
          queuedAcks.clear();
          queuedVersion = batch.version();
        }
        queued |= queuedAcks.add(node);
      }
    }
    if (queued && queuedAcks.size() >= ACK_BATCH_MAX) {
      return Effect().none().thenRun(this::flushAcks).thenNoReply();
    }
    if (queued && !timers.isTimerActive(Timer.FLUSH_ACKS)) {
      timers.startSingleTimer(Timer.FLUSH_ACKS, new TimerFired(Timer.FLUSH_ACKS), ACK_BATCH_DELAY);
    }
    return switchedAny ? Effect().none().thenRun(this::drive).thenNoReply() : Effect().noReply();
  }

  /** After the rotation: a consumer that was behind catches up. */
  private ReplyEffect<Event, State> lateAck(Idle state, ConsumerAcked command) {
    if (state.distribution().isEmpty() || !recordable(state.distribution().get(), command)
        || queuedAcks.contains(command.nodeId())) {
      return Effect().noReply();
    }
    return queue(command);
  }

  private ReplyEffect<Event, State> queue(ConsumerAcked command) {
    if (queuedAcks.isEmpty() || queuedVersion != command.version()) {
      queuedAcks.clear();
      queuedVersion = command.version();
    }
    queuedAcks.add(command.nodeId());
    if (queuedAcks.size() >= ACK_BATCH_MAX) {
      return Effect().none().thenRun(this::flushAcks).thenNoReply();
    }
    if (!timers.isTimerActive(Timer.FLUSH_ACKS)) {
      timers.startSingleTimer(Timer.FLUSH_ACKS, new TimerFired(Timer.FLUSH_ACKS), ACK_BATCH_DELAY);
    }
    return Effect().noReply();
  }

  /** Journals the queued acknowledgements that still count, in one event (and ends the distribution if complete). */
  private void flushAcks(State state) {
    context.getSelf().tell(new TimerFired(Timer.FLUSH_ACKS));
  }

  private ReplyEffect<Event, State> flushed(State state) {
    timers.cancel(Timer.FLUSH_ACKS);
    Optional<Distribution> distribution = state instanceof Rotating r ? Optional.of(r.distribution())
        : state instanceof Idle i ? i.distribution() : Optional.empty();
    List<String> nodes = distribution.map(d -> queuedAcks.stream()
        .filter(node -> recordable(d, new ConsumerAcked(node, queuedVersion))).sorted().toList()).orElse(List.of());
    long version = queuedVersion;
    queuedAcks.clear();
    if (nodes.isEmpty()) {
      return Effect().none().thenRun(this::drive).thenNoReply();
    }
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>();
    events.add(new ConsumersAcknowledged(version, nodes, now));
    if (state instanceof Rotating rotating && rotating.saga().step() == Step.DISTRIBUTE) {
      // The batch at once: a copy of the map per node cost a whole core at 10,000 consumers (flight recording).
      Distribution after = rotating.distribution().ackedAll(nodes, now);
      if (after.complete()) {
        events.add(new DistributionEnded(now, Set.of()));
      }
    }
    return Effect().persist(events).thenRun(this::drive).thenNoReply();
  }

  /** Only an expected consumer's first ack of the version being distributed counts. */
  private static boolean recordable(Distribution distribution, ConsumerAcked command) {
    return distribution.version() == command.version() && distribution.expected().contains(command.nodeId())
        && !distribution.acknowledged().containsKey(command.nodeId());
  }

  // ---- timers -------------------------------------------------------------------------------

  private ReplyEffect<Event, State> idleTimerFired(Idle state, TimerFired command) {
    if (command.timer() == Timer.FLUSH_ACKS) {
      return flushed(state);
    }
    if (command.timer() != Timer.SCHEDULE || starting || state.nextRotationAt().isEmpty()
        || clock.instant().isBefore(state.nextRotationAt().get()) || clock.instant().isBefore(startNotBefore)
        || !state.compromises().waiting().isEmpty()) {
      return Effect().none().thenRun(this::drive).thenNoReply();
    }
    listConsumers(state, "schedule", null);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> sagaTimerFired(Rotating state, TimerFired command) {
    if (command.timer() == Timer.FLUSH_ACKS) {
      return flushed(state);
    }
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
    if (done.failure().isEmpty() && done.step() == Step.RETIRE && revokeAfterRetire) {
      revokeAfterRetire = false;
      return Effect().none().thenRun(this::drive).thenNoReply(); // the owed revoke, before the version is dropped
    }
    if (done.failure().isEmpty()) {
      // After a compromise (answered by this rotation, or noted while it ran) the previous version
      // is revoked once every healthy consumer serves the new one, or after the short grace.
      Duration grace = saga.urgent() || !state.compromises().waiting().isEmpty() ? settings.compromiseGracePeriod()
          : settings.gracePeriod();
      return switch (done.step()) {
        case SET -> Effect().persist(new SetDone(now)).thenRun(this::drive).thenNoReply();
        case TEST -> Effect().persist(List.of(new TestDone(now), new RotationFinished(now, now.plus(grace))))
            .thenRun(finished -> {
              environment.metrics().rotationFinished(saga.urgent(), Duration.between(saga.startedAt(), now));
              drive(finished);
            }).thenNoReply();
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
    return Effect().persist(new RotationFailed(done.step(), failure, now, next)).thenRun(failed -> {
      environment.metrics().rotationFailed(saga.urgent(), done.step());
      drive(failed);
    }).thenNoReply();
  }

  /**
   * Moves the saga on from what is persisted: publishes the versions consumers should see, arms the
   * timer it waits for, or starts the rotator call of its step (unless this incarnation has it
   * running), or starts the urgent rotation a compromise asks for. Called after every event and
   * after recovery.
   */
  private void drive(State state) {
    publish(state);
    Instant now = clock.instant();
    if (state instanceof Idle idle) {
      timers.cancelAll();
      if (!queuedAcks.isEmpty()) {
        timers.startSingleTimer(Timer.FLUSH_ACKS, new TimerFired(Timer.FLUSH_ACKS), ACK_BATCH_DELAY);
      }
      if (starting) {
        return; // ConsumersListed drives again
      }
      if (!idle.compromises().waiting().isEmpty()) {
        // An urgent rotation that failed is tried again after the longest backoff, not in a loop.
        Instant notBefore = idle.lastFailure().map(f -> f.at().plus(settings.maxRetryBackoff())).orElse(Instant.EPOCH);
        notBefore = notBefore.isAfter(startNotBefore) ? notBefore : startNotBefore;
        if (now.isBefore(notBefore)) {
          armAt(Timer.SCHEDULE, notBefore);
        } else {
          listConsumers(idle, "compromise", null);
        }
        return;
      }
      idle.nextRotationAt().ifPresent(at -> armAt(Timer.SCHEDULE, at.isBefore(startNotBefore) ? startNotBefore : at));
      return;
    }
    if (!(state instanceof Rotating rotating)) {
      return;
    }
    Saga saga = rotating.saga();
    timers.cancel(Timer.SCHEDULE);
    boolean compromiseWaits = !rotating.compromises().waiting().isEmpty();
    boolean revoke = saga.urgent() || compromiseWaits;
    if ((saga.step() == Step.SET || saga.step() == Step.RETIRE) && !published.equals(publication(rotating))) {
      // The target system changes only once the consumers can read what they need from the
      // catalog: the pending version before set, the new current before the previous is retired.
      return; // Published drives again
    }
    if (saga.step() == Step.DISTRIBUTE) {
      armAt(Timer.DISTRIBUTE_TIMEOUT, saga.distributeDeadline());
    } else if (saga.step() == Step.RETIRE && now.isBefore(saga.retireAt().orElseThrow())
        && !(revoke && allSwitched(rotating))) {
      armAt(Timer.GRACE_END, saga.retireAt().get());
    } else if (saga.retryAt().isPresent() && now.isBefore(saga.retryAt().get())) {
      armAt(Timer.RETRY, saga.retryAt().get());
    } else {
      call(rotating, saga.step(), revoke);
    }
  }

  /**
   * Whether every healthy consumer serves the new version: then a version to revoke (after a
   * compromise) need not wait for the rest of its grace period.
   */
  private boolean allSwitched(Rotating state) {
    Set<String> healthy = new java.util.HashSet<>(state.distribution().expected());
    healthy.removeAll(state.compromises().handled());
    return switched(state.saga().version()).containsAll(healthy);
  }

  /** The consumers reported live on {@code version} (the set is emptied when the version moves on). */
  private Set<String> switched(long version) {
    if (switchedVersion != version) {
      switchedVersion = version;
      switched.clear();
    }
    return switched;
  }

  /** Runs the step's rotator call on the rotator executor; its end comes back as StepCompleted. */
  private void call(Rotating state, Step step, boolean revoke) {
    long version = state.saga().version();
    StepCompleted running = new StepCompleted(step, version, Optional.empty(), false);
    if (inFlight.equals(Optional.of(running)) && (!revoke || inFlightRevokes)) {
      return;
    }
    if (inFlight.equals(Optional.of(running))) {
      // A compromise was noted while a plain retire runs: revoke once it ends.
      revokeAfterRetire = true;
      return;
    }
    inFlight = Optional.of(running);
    inFlightRevokes = revoke;
    RotatorSource rotators = environment.rotators();
    RotatorSpec spec = state.definition().rotator();
    Version values = step == Step.RETIRE ? state.previous().orElseThrow() : state.saga().pending().orElseThrow();
    CompletableFuture<Void> call = CompletableFuture.runAsync(() -> {
      Map<String, SecretBytes> plaintext = open(values);
      try (RotatorSource.Lease lease = rotators.open(spec)) {
        Rotator rotator = lease.rotator();
        switch (step) {
          case SET -> rotator.set(plaintext);
          case TEST -> rotator.test(plaintext);
          case RETIRE -> {
            if (revoke) {
              rotator.revoke(plaintext);
            } else {
              rotator.retire(plaintext);
            }
          }
          case DISTRIBUTE -> throw new IllegalArgumentException("distribute calls no rotator");
        }
      } catch (RotationException e) {
        throw new CompletionException(e);
      } catch (IllegalArgumentException e) {
        throw new CompletionException(new RotationException("the rotator refused: " + e.getMessage(), false));
      } finally {
        wipe(plaintext);
      }
    }, environment.rotatorCalls());
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

  // ---- the catalog --------------------------------------------------------------------------

  /**
   * Publishes the versions consumers should see now, unless the catalog already took them from this
   * incarnation or they are on their way. A failure is tried again after retry-backoff.
   */
  private void publish(State state) {
    Optional<Publication> wanted = publication(state);
    if (wanted.isEmpty() || wanted.equals(published) || publishing.isPresent()) {
      return; // one publication at a time, so they reach the catalog in order; its answer publishes again
    }
    SharedSecret secret;
    if (state instanceof Idle idle) {
      secret = catalogForm(idle.definition(), idle.current(), Optional.empty());
    } else {
      Rotating rotating = (Rotating) state;
      secret = catalogForm(rotating.definition(), rotating.current(), rotating.saga().pending());
    }
    Publication publication = wanted.get();
    publishing = wanted;
    context.pipeToSelf(environment.catalog().publish(secret), (done, error) -> new Published(publication,
        error == null ? Optional.empty() : Optional.of(String.valueOf(error.getMessage()))));
  }

  private ReplyEffect<Event, State> published(State state, Published command) {
    if (!publishing.equals(Optional.of(command.publication()))) {
      return Effect().noReply();
    }
    publishing = Optional.empty();
    if (command.failure().isPresent()) {
      context.getLog().warn("Secret {}: the catalog did not take versions {}: {}; trying again", name,
          command.publication(), command.failure().get());
      timers.startSingleTimer(Timer.PUBLISH, new TimerFired(Timer.PUBLISH), settings.retryBackoff());
      return Effect().noReply();
    }
    published = Optional.of(command.publication());
    return Effect().none().thenRun(this::drive).thenNoReply();
  }

  private static Optional<Publication> publication(State state) {
    if (state instanceof Idle idle) {
      return Optional.of(new Publication(idle.current().number(), 0));
    } else if (state instanceof Rotating rotating) {
      return Optional.of(new Publication(rotating.current().number(),
          rotating.saga().pending().map(Version::number).orElse(0L)));
    }
    return Optional.empty();
  }

  /** The catalog's form: the current version's fields re-encrypted for the catalog, and the pending one's. */
  private SharedSecret catalogForm(Definition definition, Version current, Optional<Version> pending) {
    Map<String, ByteString> fields = reencrypt(current, field -> SharedSecret.fieldAssociatedData(name, field));
    Optional<SharedSecret.Pending> staged = pending.map(p -> new SharedSecret.Pending(p.number(),
        reencrypt(p, field -> SharedSecret.pendingFieldAssociatedData(name, p.number(), field))));
    return new SharedSecret(name, 0, fields, current.createdAt(),
        Optional.of(new SharedSecret.Rotation(current.number(), staged, definition.consumers())));
  }

  private Map<String, ByteString> reencrypt(Version version, java.util.function.Function<String, byte[][]> associatedData) {
    Map<String, SecretBytes> values = open(version);
    try {
      Map<String, ByteString> out = new TreeMap<>();
      values.forEach((field, value) -> out.put(field,
          ByteString.copyFrom(environment.cipher().encrypt(value, associatedData.apply(field)))));
      return out;
    } finally {
      wipe(values);
    }
  }

  // ---- events -------------------------------------------------------------------------------

  @Override
  public EventHandler<State, Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder.forStateType(Absent.class).onEvent(SecretCreated.class, Absent::create);
    builder.forStateType(Idle.class)
        .onEvent(RotationStarted.class, Idle::start)
        .onEvent(ConsumerAcknowledged.class, (state, e) -> state.acked(e))
        .onEvent(ConsumersAcknowledged.class, (state, e) -> state.acked(e))
        .onEvent(CompromiseNoted.class, Idle::noted);
    builder.forStateType(Rotating.class)
        .onEvent(ConsumerAcknowledged.class, (state, e) -> state.acked(e))
        .onEvent(ConsumersAcknowledged.class, (state, e) -> state.acked(e))
        .onEvent(CompromiseNoted.class, Rotating::noted)
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
          idle.distribution().map(DistributionSummary::of), idle.lastFailure(), idle.nextRotationAt(),
          idle.compromises().waiting(), published,
          host(), 0);
    } else if (state instanceof Rotating rotating) {
      Saga saga = rotating.saga();
      List<VersionInfo> versions = new ArrayList<>();
      saga.pending().ifPresent(p -> versions.add(new VersionInfo(p.number(), Label.PENDING, p.createdAt())));
      versions.add(new VersionInfo(rotating.current().number(), Label.CURRENT, rotating.current().createdAt()));
      rotating.previous().ifPresent(p -> versions.add(new VersionInfo(p.number(), Label.PREVIOUS, p.createdAt())));
      return new SecretStatus(name, Optional.of(rotating.definition()), versions,
          Optional.of(new Progress(saga.version(), saga.step(), saga.startedAt(), saga.trigger(), saga.attempts(),
              saga.retryAt(), saga.retireAt(), saga.urgent())),
          Optional.of(DistributionSummary.of(rotating.distribution())), rotating.lastFailure(), Optional.empty(),
          rotating.compromises().waiting(), published, host(), saga.step() != Step.RETIRE ? 0
              : (int) switched(saga.version()).stream().filter(rotating.distribution().expected()::contains).count());
    }
    return new SecretStatus(name, Optional.empty(), List.of(), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), List.of(), Optional.empty(), host(), 0);
  }

  /** This actor system's address: in a cluster, the member's ({@code Cluster.selfMember().address()}). */
  private String host() {
    return context.getSystem().address().toString();
  }

  /** Answers, then asks the shard to stop this incarnation and forget it (no such secret). */
  private <R> ReplyEffect<Event, State> answerAndForget(ActorRef<R> replyTo, R reply) {
    return Effect().none().thenRun(state -> passivate()).thenReply(replyTo, state -> reply);
  }

  private void passivate() {
    shard.ifPresent(s -> s.tell(new ClusterSharding.Passivate<>(context.getSelf())));
  }

  private String notFound() {
    return NOT_FOUND + "'" + printable() + "'";
  }

  private String printable() {
    return FileDefinition.printable(name);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
