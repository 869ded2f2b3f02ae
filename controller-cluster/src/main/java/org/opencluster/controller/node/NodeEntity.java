package org.opencluster.controller.node;

import com.google.protobuf.ByteString;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
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
import org.opencluster.controller.files.FileCatalog;
import org.opencluster.controller.provisioning.ProvisionerHook;
import org.opencluster.protocol.agent.v1.AgentMessage;
import org.opencluster.protocol.agent.v1.Alert;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.session.FrameRefusedException;

/**
 * One node of the fleet, as the controllers know it: sharded, remembered (so its timers run after
 * a rebalance), event-sourced, every event stored encrypted.
 *
 * <pre>
 * Unregistered --Register--> Registered --first heartbeat--> Active
 *                               |                              | deadline missed / clone / alert / Quarantine
 *                               |                              v
 *                               |                         Quarantined --Release/Retire--> Retired
 *                               `--lifetime ends--> Expired --Retire-----------------------^
 * </pre>
 *
 * It owns the node's finite lifetime (an absolute instant, persisted), its heartbeat deadline (a
 * timer re-armed by each heartbeat; heartbeats are never journaled; after recovery or hand-off the
 * deadline restarts from the recovery time, so a controller fail-over never quarantines a healthy
 * node), its config lease, its credential-rotation schedule, and its agent's session. A heartbeat
 * in a heartbeat bucket this incarnation has not seen is handed to the read model's writer
 * ({@link NodeEnvironment.HeartbeatBuckets}), off the journal.
 *
 * <p>The session: the agent enrols with a Hello signed by the node's key, checked against the
 * node's registered certificate ({@link AgentLink}); the entity answers with a signed Welcome and
 * keeps the session (id, boot id, the agent's one-off key and the frame key) in its encrypted
 * journal, so the session survives a fail-over and the agent carries on through another
 * controller without enrolling again. Every later frame is MAC'd and sequenced. Two live sessions
 * for one node, or a second enrolment of a single-use node, is a cloned host: quarantine. When the
 * node's credential rotation comes due after its session opened, the heartbeat reply asks the
 * agent to re-key: a Hello proven with the live session's key replaces the session in place
 * (files kept, resent on the new session), and is neither a second enrolment nor a clone.
 */
public final class NodeEntity
    extends EventSourcedBehaviorWithEnforcedReplies<NodeEntity.Command, NodeEntity.Event, NodeEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "node");
  /**
   * The events the read model's projection reads carry this tag ({@link #tagsFor}); the others
   * (sessions, generated secrets, rotations) do not, so the projection never decrypts them.
   */
  public static final String TAG = "node";
  /**
   * How every refusal of a command to a node nobody registered ends: the operator API answers it
   * with 404. One text for both sides.
   */
  public static final String NOT_REGISTERED = " is not registered";

  private static final Pattern LABEL_KEY = Pattern.compile("[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?");
  private static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?|");
  private static final int MAX_LABELS = 32;
  /** Timers wake at least this often, so very long lifetimes stay within the scheduler's range. */
  private static final Duration LONGEST_TIMER = Duration.ofDays(1);

  // ---- commands -----------------------------------------------------------------------------

  /** What a node entity accepts. */
  public sealed interface Command
      permits Register, Heartbeat, Quarantine, Retire, Release, GetStatus, Enrol, AgentFrame, TimerFired, Stop, SetLabels,
      ProvisionerHookEnded, ConsumedSecretsNoted {}

  /** May an agent enrol again? */
  public enum Bootstrap {
    /** A restarted agent may enrol again once its previous session has gone silent. */
    REUSABLE,
    /** Secure mode: the node enrols once; a second enrolment is a compromise. */
    SINGLE_USE
  }

  /**
   * Registers the node; refused if it exists, or the name, labels or lifetime are invalid.
   *
   * @param certificate the node certificate (DER) the agent will prove itself with; empty for a
   *     node that never enrols (tests, simulations)
   */
  public record Register(String name, Map<String, String> labels, Duration lifetime, ByteString certificate,
      Bootstrap bootstrap, ActorRef<StatusReply<Registration>> replyTo) implements Command {
    public Register {
      labels = Map.copyOf(labels);
    }

    /** A node without a certificate, reusable. */
    public Register(String name, Map<String, String> labels, Duration lifetime,
        ActorRef<StatusReply<Registration>> replyTo) {
      this(name, labels, lifetime, ByteString.EMPTY, Bootstrap.REUSABLE, replyTo);
    }
  }

  /**
   * The node is alive: re-arms the deadline and renews the lease. Activates a registered node.
   * Between controllers only; agents heartbeat in MAC'd frames ({@link AgentFrame}).
   */
  public record Heartbeat(ActorRef<StatusReply<HeartbeatAccepted>> replyTo) implements Command {}

  /** Deems the node compromised. Idempotent. */
  public record Quarantine(QuarantineReason reason, String detail, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Ends the node's life. Idempotent. */
  public record Retire(String by, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** A quarantined node is retired, so the host can be wiped and provisioned anew. */
  public record Release(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record GetStatus(ActorRef<NodeStatus> replyTo) implements Command {}

  /** From the edge: an agent's SignedHello, as it arrived. */
  public record Enrol(ByteString signedHello, ActorRef<EdgeReply> replyTo) implements Command {}

  /** From the edge: an agent's Frame, as it arrived. */
  public record AgentFrame(ByteString frame, ActorRef<EdgeReply> replyTo) implements Command {}

  /** Sent by the entity's own timers. */
  public record TimerFired(Timer timer) implements Command {}

  /** From the shard, after the entity asked to be passivated: stop this incarnation. */
  public record Stop() implements Command {}

  /**
   * Replaces the node's labels (its secure files follow at the next heartbeat); refused unless the
   * node is registered or active, or if a label is invalid.
   */
  public record SetLabels(Map<String, String> labels, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public SetLabels {
      labels = Map.copyOf(labels);
    }
  }

  /** The entity's timers. */
  public enum Timer {
    HEARTBEAT_DEADLINE,
    LIFETIME_END,
    LEASE_LAPSE,
    CREDENTIAL_ROTATION
  }

  /**
   * Internal: the provisioner hook asked for the quarantine at {@code quarantinedAt} ended, done
   * or, after all its retries, with {@code failure}.
   */
  public record ProvisionerHookEnded(Instant quarantinedAt, Optional<String> failure) implements Command {}

  /**
   * Internal, local only: the rotating secrets a quarantined node consumed were told of its
   * compromise ({@code failure} empty), or some could not be reached; or, with {@code retry}, it is
   * time to tell them again.
   */
  public record ConsumedSecretsNoted(List<String> secrets, Optional<String> failure, boolean retry) implements Command {
    public ConsumedSecretsNoted {
      secrets = List.copyOf(secrets);
    }
  }

  /** Why a node was deemed compromised. */
  public enum QuarantineReason {
    HEARTBEAT_MISSED,
    CLONE_DETECTED,
    INTEGRITY_ALERT,
    OPERATOR
  }

  // ---- replies ------------------------------------------------------------------------------

  public record Registration(String nodeId, Instant registeredAt, Instant lifetimeEndsAt) {}

  public record HeartbeatAccepted(Instant leaseExpiresAt, Duration nextHeartbeatIn) {}

  /**
   * What the edge sends back to the agent: a SignedWelcome, a Refused or a Frame (agent.proto
   * bytes), or nothing.
   */
  public record EdgeReply(Kind kind, ByteString message, List<ByteString> more) {
    public EdgeReply {
      more = List.copyOf(more);
    }

    public EdgeReply(Kind kind, ByteString message) {
      this(kind, message, List.of());
    }

    public enum Kind {
      WELCOME,
      REFUSED,
      FRAME,
      NONE
    }

    static EdgeReply none() {
      return new EdgeReply(Kind.NONE, ByteString.EMPTY);
    }

    static EdgeReply refused(Refused.Reason reason, String detail, boolean retryable) {
      return new EdgeReply(Kind.REFUSED,
          Refused.newBuilder().setReason(reason).setDetail(detail).setRetryable(retryable).build().toByteString());
    }

    static EdgeReply frame(Frame frame) {
      return new EdgeReply(Kind.FRAME, frame.toByteString());
    }

    /** This reply, then {@code frames}. */
    EdgeReply followedBy(List<Frame> frames) {
      return new EdgeReply(kind, message, frames.stream().map(Frame::toByteString).toList());
    }
  }

  /**
   * Where a node stands. Liveness is what this incarnation of the entity has heard.
   *
   * @param provisionerHook a quarantined node's provisioner hook, when one is configured
   * @param consumedSecrets a quarantined node's compromise response for the rotating secrets it
   *     consumed: telling them (RUNNING), told and rotating without it (DONE, with their names), or
   *     FAILED for now (told again after a backoff)
   */
  public record NodeStatus(Stage stage, Optional<NodeFacts> facts, Optional<QuarantineReason> quarantineReason,
      String detail, Optional<Instant> since, Liveness liveness, Optional<SessionInfo> session, List<FileStatus> files,
      Optional<ProvisionerHookStatus> provisionerHook, Optional<ProvisionerHookStatus> consumedSecrets) {

    public NodeStatus {
      files = List.copyOf(files);
    }

    public NodeStatus(Stage stage, Optional<NodeFacts> facts, Optional<QuarantineReason> quarantineReason,
        String detail, Optional<Instant> since, Liveness liveness, Optional<SessionInfo> session, List<FileStatus> files,
        Optional<ProvisionerHookStatus> provisionerHook) {
      this(stage, facts, quarantineReason, detail, since, liveness, session, files, provisionerHook, Optional.empty());
    }

    /** Without a provisioner hook. */
    public NodeStatus(Stage stage, Optional<NodeFacts> facts, Optional<QuarantineReason> quarantineReason,
        String detail, Optional<Instant> since, Liveness liveness, Optional<SessionInfo> session, List<FileStatus> files) {
      this(stage, facts, quarantineReason, detail, since, liveness, session, files, Optional.empty());
    }

    /** Without files. */
    public NodeStatus(Stage stage, Optional<NodeFacts> facts, Optional<QuarantineReason> quarantineReason,
        String detail, Optional<Instant> since, Liveness liveness, Optional<SessionInfo> session) {
      this(stage, facts, quarantineReason, detail, since, liveness, session, List.of());
    }

    /** Without a session. */
    public NodeStatus(Stage stage, Optional<NodeFacts> facts, Optional<QuarantineReason> quarantineReason,
        String detail, Optional<Instant> since, Liveness liveness) {
      this(stage, facts, quarantineReason, detail, since, liveness, Optional.empty());
    }
  }

  /**
   * The provisioner hook of a quarantined node: asked and not answered yet (RUNNING), done
   * (journaled), or FAILED after its retries (asked again at the entity's next recovery), with why.
   */
  public record ProvisionerHookStatus(Result result, String detail) {
    public enum Result {
      RUNNING,
      DONE,
      FAILED
    }
  }

  /**
   * A secure file of the node as this incarnation knows it: sent and not yet acknowledged
   * (PENDING), what the agent reported, or why the controller could not make it. Never content.
   */
  public record FileStatus(String name, long version, Result result, String detail) {
    public enum Result {
      PENDING,
      APPLIED,
      FAILED,
      RELOAD_FAILED
    }
  }

  /**
   * A secret the controllers made for one of the node's generated files.
   *
   * @param definitionVersion the version of the file definition it was made for: a new version
   *     makes a new secret
   * @param value secret; stored only inside encrypted records
   * @param renewAt when to make it again (a certificate, two thirds into its validity); null for never
   */
  public record GeneratedSecret(String file, long definitionVersion, SecretBytes value, Instant generatedAt,
      Instant renewAt) {

    /** A secret kept until its definition changes. */
    public GeneratedSecret(String file, long definitionVersion, SecretBytes value, Instant generatedAt) {
      this(file, definitionVersion, value, generatedAt, null);
    }

    boolean due(long version, Instant now) {
      return definitionVersion != version || renewAt != null && !now.isBefore(renewAt);
    }

    @Override
    public String toString() {
      return "GeneratedSecret[" + file + " v" + definitionVersion + ", value=[secret]]";
    }
  }

  /** The public face of a session: no key. */
  public record SessionInfo(String bootId, Instant openedAt) {}

  /** Heartbeat facts, not journaled: they restart with each incarnation of the entity. */
  public record Liveness(Optional<Instant> lastHeartbeatAt, Optional<Instant> deadlineAt,
      Optional<Instant> leaseExpiresAt) {
    static final Liveness UNKNOWN = new Liveness(Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** The lifecycle stages, as reported. */
  public enum Stage {
    UNREGISTERED,
    REGISTERED,
    ACTIVE,
    QUARANTINED,
    EXPIRED,
    RETIRED
  }

  /**
   * What is known of a registered node. Holds no secret.
   *
   * @param certificate the node certificate, DER; empty if none was registered
   */
  public record NodeFacts(String nodeId, String name, Map<String, String> labels, Instant registeredAt,
      Instant lifetimeEndsAt, Instant nextRotationAt, ByteString certificate, Bootstrap bootstrap,
      java.util.Set<String> consumedSecrets) {
    public NodeFacts {
      labels = Map.copyOf(labels);
      consumedSecrets = java.util.Set.copyOf(consumedSecrets);
    }

    /**
     * A registration's facts (it has consumed no rotating secret yet).
     *
     * @param consumedSecrets (the canonical form) every rotating secret the node was ever a consumer
     *     of while it heartbeat: what a compromise of it must rotate, whatever its labels are now
     */
    public NodeFacts(String nodeId, String name, Map<String, String> labels, Instant registeredAt,
        Instant lifetimeEndsAt, Instant nextRotationAt, ByteString certificate, Bootstrap bootstrap) {
      this(nodeId, name, labels, registeredAt, lifetimeEndsAt, nextRotationAt, certificate, bootstrap,
          java.util.Set.of());
    }

    /** Without a certificate, reusable. */
    public NodeFacts(String nodeId, String name, Map<String, String> labels, Instant registeredAt,
        Instant lifetimeEndsAt, Instant nextRotationAt) {
      this(nodeId, name, labels, registeredAt, lifetimeEndsAt, nextRotationAt, ByteString.EMPTY, Bootstrap.REUSABLE);
    }

    NodeFacts withNextRotation(Instant next) {
      return new NodeFacts(nodeId, name, labels, registeredAt, lifetimeEndsAt, next, certificate, bootstrap,
          consumedSecrets);
    }

    NodeFacts consumed(java.util.Collection<String> secrets) {
      java.util.Set<String> all = new java.util.TreeSet<>(consumedSecrets);
      all.addAll(secrets);
      return new NodeFacts(nodeId, name, labels, registeredAt, lifetimeEndsAt, nextRotationAt, certificate, bootstrap,
          all);
    }

    /** When the registered certificate's validity ends; empty if none was registered (or it does not parse). */
    public Optional<Instant> certificateNotAfter() {
      if (certificate.isEmpty()) {
        return Optional.empty();
      }
      try {
        return Optional.of(AgentLink.certificate(this).getNotAfter().toInstant());
      } catch (java.security.cert.CertificateException e) {
        return Optional.empty();
      }
    }

    NodeFacts withLabels(Map<String, String> newLabels) {
      return new NodeFacts(nodeId, name, newLabels, registeredAt, lifetimeEndsAt, nextRotationAt, certificate, bootstrap,
          consumedSecrets);
    }
  }

  /**
   * An agent's session, as stored (encrypted) so it survives a fail-over.
   *
   * @param sessionId 16 random bytes naming it in every frame
   * @param bootId the host's boot id from the Hello
   * @param agentKey the agent's one-off P-256 key for this boot (public); secure files are sealed
   *     to it
   * @param helloNonce the nonce of the Hello that opened it: the same Hello again is a replay
   * @param helloSentAt when the agent made that Hello: a Hello not newer than it is refused, so an
   *     earlier Hello replayed after the entity moved cannot displace the session
   * @param frameKey the session's frame MAC key; secret, never logged, stored only encrypted
   */
  public record Session(ByteString sessionId, String bootId, ByteString agentKey, ByteString helloNonce,
      Instant helloSentAt, SecretBytes frameKey, Instant openedAt) {
    SessionInfo info() {
      return new SessionInfo(bootId, openedAt);
    }

    @Override
    public String toString() {
      return "Session[boot " + bootId + ", opened " + openedAt + ", key=[secret]]";
    }
  }

  // ---- events -------------------------------------------------------------------------------

  /** What happened to a node; stored encrypted. */
  public sealed interface Event permits NodeRegistered, NodeActivated, NodeQuarantined, NodeExpired, NodeRetired,
      CredentialRotationDue, SessionOpened, SessionClosed, FileSecretsGenerated, NodeLabelsChanged, ProvisionerHookDone,
      ConsumedSecretsAnswered, RotatingSecretsConsumed {}

  public record NodeRegistered(NodeFacts facts) implements Event {}

  public record NodeActivated(Instant at) implements Event {}

  public record NodeQuarantined(QuarantineReason reason, String detail, Instant at) implements Event {}

  public record NodeExpired(Instant at) implements Event {}

  public record NodeRetired(Instant at, String by) implements Event {}

  /** The provisioner hook reported the quarantined node's host recreated: it is not asked again. */
  public record ProvisionerHookDone(Instant at) implements Event {}

  /** The node became a consumer of these rotating secrets (it may read them from now on). */
  public record RotatingSecretsConsumed(List<String> secrets) implements Event {
    public RotatingSecretsConsumed {
      secrets = List.copyOf(secrets);
    }
  }

  /**
   * Every rotating secret the quarantined node consumed (its blast radius: {@code secrets}) noted
   * the compromise and rotates without it; they are not told again.
   */
  public record ConsumedSecretsAnswered(Instant at, List<String> secrets) implements Event {
    public ConsumedSecretsAnswered {
      secrets = List.copyOf(secrets);
    }
  }

  /** A rotation of the node's own credentials came due; the next one is scheduled. */
  public record CredentialRotationDue(Instant dueAt, Instant nextRotationAt) implements Event {}

  /** An agent enrolled: its session, replacing any earlier one. */
  public record SessionOpened(Session session) implements Event {}

  /** The session ended without a new one (the agent is gone). */
  public record SessionClosed(String reason, Instant at) implements Event {}

  /** Secrets were made for the node's generated files; those of files it no longer holds are dropped. */
  public record FileSecretsGenerated(List<GeneratedSecret> secrets, List<String> dropped) implements Event {
    public FileSecretsGenerated {
      secrets = List.copyOf(secrets);
      dropped = List.copyOf(dropped);
    }
  }

  /** An operator replaced the node's labels. */
  public record NodeLabelsChanged(Map<String, String> labels, Instant at) implements Event {
    public NodeLabelsChanged {
      labels = Map.copyOf(labels);
    }
  }

  // ---- state --------------------------------------------------------------------------------

  /** One type per lifecycle stage; stored encrypted in snapshots. */
  public sealed interface State permits Unregistered, Registered, Active, Quarantined, Expired, Retired {
    Stage stage();
  }

  public record Unregistered() implements State {
    @Override
    public Stage stage() {
      return Stage.UNREGISTERED;
    }

    Registered register(NodeRegistered event) {
      return new Registered(event.facts(), Optional.empty());
    }
  }

  /** @param generated the secrets made for the node's generated files, by file name */
  public record Registered(NodeFacts facts, Optional<Session> session, Map<String, GeneratedSecret> generated)
      implements State {
    public Registered {
      generated = Map.copyOf(generated);
    }

    public Registered(NodeFacts facts, Optional<Session> session) {
      this(facts, session, Map.of());
    }

    @Override
    public Stage stage() {
      return Stage.REGISTERED;
    }

    Active activate(NodeActivated event) {
      return new Active(facts, event.at(), session, generated);
    }

    Registered rotationDue(CredentialRotationDue event) {
      return new Registered(facts.withNextRotation(event.nextRotationAt()), session, generated);
    }

    Registered withSession(Optional<Session> newSession) {
      return new Registered(facts, newSession, generated);
    }

    Registered madeSecrets(FileSecretsGenerated event) {
      return new Registered(facts, session, withGenerated(generated, event));
    }

    Registered labelled(NodeLabelsChanged event) {
      return new Registered(facts.withLabels(event.labels()), session, generated);
    }

    Registered consumed(RotatingSecretsConsumed event) {
      return new Registered(facts.consumed(event.secrets()), session, generated);
    }
  }

  /** @param generated the secrets made for the node's generated files, by file name */
  public record Active(NodeFacts facts, Instant activatedAt, Optional<Session> session,
      Map<String, GeneratedSecret> generated) implements State {
    public Active {
      generated = Map.copyOf(generated);
    }

    public Active(NodeFacts facts, Instant activatedAt, Optional<Session> session) {
      this(facts, activatedAt, session, Map.of());
    }

    @Override
    public Stage stage() {
      return Stage.ACTIVE;
    }

    Active rotationDue(CredentialRotationDue event) {
      return new Active(facts.withNextRotation(event.nextRotationAt()), activatedAt, session, generated);
    }

    Active withSession(Optional<Session> newSession) {
      return new Active(facts, activatedAt, newSession, generated);
    }

    Active madeSecrets(FileSecretsGenerated event) {
      return new Active(facts, activatedAt, session, withGenerated(generated, event));
    }

    Active labelled(NodeLabelsChanged event) {
      return new Active(facts.withLabels(event.labels()), activatedAt, session, generated);
    }

    Active consumed(RotatingSecretsConsumed event) {
      return new Active(facts.consumed(event.secrets()), activatedAt, session, generated);
    }
  }

  private static Map<String, GeneratedSecret> withGenerated(Map<String, GeneratedSecret> generated,
      FileSecretsGenerated event) {
    Map<String, GeneratedSecret> next = new java.util.TreeMap<>(generated);
    event.dropped().forEach(next::remove);
    event.secrets().forEach(secret -> next.put(secret.file(), secret));
    return next;
  }

  /**
   * Keeps the session, so the agent can be told, authenticated, that it is quarantined.
   *
   * @param hookDone the provisioner hook reported the host recreated
   * @param secretsAnswered every rotating secret it consumed noted the compromise
   */
  public record Quarantined(NodeFacts facts, QuarantineReason reason, String detail, Instant at,
      Optional<Session> session, boolean hookDone, boolean secretsAnswered) implements State {

    public Quarantined(NodeFacts facts, QuarantineReason reason, String detail, Instant at, Optional<Session> session) {
      this(facts, reason, detail, at, session, false, false);
    }

    @Override
    public Stage stage() {
      return Stage.QUARANTINED;
    }

    Quarantined provisioned(ProvisionerHookDone event) {
      return new Quarantined(facts, reason, detail, at, session, true, secretsAnswered);
    }

    Quarantined answered(ConsumedSecretsAnswered event) {
      return new Quarantined(facts, reason, detail, at, session, hookDone, true);
    }
  }

  public record Expired(NodeFacts facts, Instant at, Optional<Session> session) implements State {
    @Override
    public Stage stage() {
      return Stage.EXPIRED;
    }
  }

  public record Retired(NodeFacts facts, Instant at, String by) implements State {
    @Override
    public Stage stage() {
      return Stage.RETIRED;
    }
  }

  // ---- construction -------------------------------------------------------------------------

  /** Starts the node entities' sharding on this controller. */
  public static void init(ActorSystem<?> system, NodeEnvironment environment) {
    ClusterSharding.get(system).init(
        Entity.of(ENTITY_KEY, context -> create(context.getEntityId(), environment, Optional.of(context.getShard())))
            .withStopMessage(new Stop()));
  }

  /**
   * @param shard where to ask for passivation once the node is retired, so a retired node is no
   *     longer remembered; empty outside sharding (tests), where the entity stays
   */
  public static Behavior<Command> create(String nodeId, NodeEnvironment environment,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(
        timers -> new NodeEntity(nodeId, environment, context, timers, shard)));
  }

  private final String nodeId;
  private final NodeSettings settings;
  private final NodeEnvironment environment;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  private final AgentLink link;
  private final NodeFiles files;
  private Liveness liveness = Liveness.UNKNOWN;
  /** The stage this controller's metrics count the entity in; empty while unregistered or not started. */
  private Optional<Stage> hostedAs = Optional.empty();
  /** The provisioner hook as this incarnation knows it; empty until it asks the hook or recovers a done one. */
  private Optional<ProvisionerHookStatus> hook = Optional.empty();
  /** The compromise response for the consumed rotating secrets, as this incarnation knows it. */
  private Optional<ProvisionerHookStatus> consumedSecrets = Optional.empty();
  private int consumedSecretsAttempts;
  /** The last heartbeat bucket handed to the read model by this incarnation; empty after recovery. */
  private Optional<Instant> lastBucket = Optional.empty();

  private NodeEntity(String nodeId, NodeEnvironment environment, ActorContext<Command> context,
      TimerScheduler<Command> timers, Optional<ActorRef<ClusterSharding.ShardCommand>> shard) {
    super(PersistenceId.of(ENTITY_KEY.name(), nodeId));
    this.nodeId = nodeId;
    this.settings = environment.settings();
    this.environment = environment;
    this.clock = environment.clock();
    this.context = context;
    this.timers = timers;
    this.shard = shard;
    this.link = new AgentLink(nodeId, environment, context.getLog());
    this.files = new NodeFiles(nodeId, environment.files(), context.getLog());
  }

  @Override
  public State emptyState() {
    return new Unregistered();
  }

  /** Only what the read model reads; never an event holding a session or a secret. */
  @Override
  public Set<String> tagsFor(Event event) {
    return event instanceof NodeRegistered || event instanceof NodeActivated || event instanceof NodeQuarantined
        || event instanceof NodeExpired || event instanceof NodeRetired || event instanceof NodeLabelsChanged
        ? Set.of(TAG) : Set.of();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  // ---- commands, by stage -------------------------------------------------------------------

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    // An id nobody registered gets its answer and no incarnation: otherwise anyone who can reach the
    // edge or the API could make the controllers remember (and restart, forever) any id they name.
    builder.forStateType(Unregistered.class)
        .onCommand(Register.class, this::register)
        .onCommand(Heartbeat.class, (state, c) -> answerAndForget(c.replyTo(), notRegistered()))
        .onCommand(Quarantine.class, (state, c) -> answerAndForget(c.replyTo(), notRegistered()))
        .onCommand(Retire.class, (state, c) -> answerAndForget(c.replyTo(), notRegistered()))
        .onCommand(Release.class, (state, c) -> answerAndForget(c.replyTo(), notRegistered()))
        .onCommand(SetLabels.class, (state, c) -> answerAndForget(c.replyTo(), notRegistered()))
        .onCommand(GetStatus.class, (state, c) -> answerAndForget(c.replyTo(), status(state)))
        // The same answers a registered node gives a Hello it cannot verify and a frame of no session.
        .onCommand(Enrol.class, (state, c) -> answerAndForget(c.replyTo(),
            EdgeReply.refused(Refused.Reason.NOT_AUTHENTICATED, "node " + nodeId + " has no registered certificate", false)))
        .onCommand(AgentFrame.class, (state, c) -> answerAndForget(c.replyTo(),
            EdgeReply.refused(Refused.Reason.UNKNOWN_SESSION, "no session: enrol", true)));
    builder.forStateType(Registered.class)
        .onCommand(Register.class, (state, c) -> Effect().reply(c.replyTo(), alreadyRegistered()))
        .onCommand(Heartbeat.class, (state, c) -> activate(state, c.replyTo(), StatusReply::success))
        .onCommand(Quarantine.class, (state, c) -> quarantine(state, c.reason(), c.detail(), c.replyTo()))
        .onCommand(Retire.class, this::retire)
        .onCommand(Release.class, (state, c) -> Effect().reply(c.replyTo(), notQuarantined()))
        .onCommand(SetLabels.class, this::setLabels);
    builder.forStateType(Active.class)
        .onCommand(Register.class, (state, c) -> Effect().reply(c.replyTo(), alreadyRegistered()))
        .onCommand(Heartbeat.class, this::peerHeartbeat)
        .onCommand(Quarantine.class, (state, c) -> quarantine(state, c.reason(), c.detail(), c.replyTo()))
        .onCommand(Retire.class, this::retire)
        .onCommand(Release.class, (state, c) -> Effect().reply(c.replyTo(), notQuarantined()))
        .onCommand(SetLabels.class, this::setLabels);
    builder.forStateType(Quarantined.class)
        .onCommand(Register.class, (state, c) -> Effect().reply(c.replyTo(), alreadyRegistered()))
        .onCommand(Heartbeat.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.error("node " + nodeId + " is quarantined")))
        .onCommand(Quarantine.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(Retire.class, this::retireQuarantined)
        .onCommand(Release.class, (state, c) -> retireQuarantined(state, new Retire("release", c.replyTo())))
        .onCommand(ProvisionerHookEnded.class, this::provisionerHookEnded)
        .onCommand(ConsumedSecretsNoted.class, this::consumedSecretsNoted);
    builder.forStateType(Expired.class)
        .onCommand(Register.class, (state, c) -> Effect().reply(c.replyTo(), alreadyRegistered()))
        .onCommand(Heartbeat.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.error("node " + nodeId + " reached the end of its lifetime")))
        .onCommand(Quarantine.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.error("node " + nodeId + " has expired")))
        .onCommand(Retire.class, this::retire)
        .onCommand(Release.class, (state, c) -> Effect().reply(c.replyTo(), notQuarantined()));
    builder.forStateType(Retired.class)
        .onCommand(Register.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.error("node " + nodeId + " is retired; register the host under a new id")))
        .onCommand(Heartbeat.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.error("node " + nodeId + " is retired")))
        .onCommand(Quarantine.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.error("node " + nodeId + " is retired")))
        .onCommand(Retire.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(Release.class, (state, c) -> Effect().reply(c.replyTo(), StatusReply.ack()));
    builder.forAnyState()
        .onCommand(GetStatus.class, (state, c) -> Effect().reply(c.replyTo(), status(state)))
        .onCommand(Enrol.class, this::enrol)
        .onCommand(AgentFrame.class, this::frame)
        .onCommand(TimerFired.class, this::timerFired)
        .onCommand(Stop.class, (state, c) -> Effect().stop().thenNoReply())
        .onCommand(ProvisionerHookEnded.class, (state, c) -> Effect().noReply())
        .onCommand(ConsumedSecretsNoted.class, (state, c) -> Effect().noReply())
        .onCommand(SetLabels.class, (state, c) -> Effect().reply(c.replyTo(),
            StatusReply.error("node " + nodeId + " is " + stageName(state) + ": its labels no longer change")));
    return builder.build();
  }

  private ReplyEffect<Event, State> register(Unregistered state, Register command) {
    Optional<String> invalid = invalid(command);
    if (invalid.isPresent()) {
      return Effect().reply(command.replyTo(), StatusReply.error(invalid.get()));
    }
    Instant now = clock.instant();
    NodeFacts facts = new NodeFacts(nodeId, command.name(), command.labels(), now, now.plus(command.lifetime()),
        now.plus(settings.credentialRotationInterval()), command.certificate(), command.bootstrap());
    return persist(new NodeRegistered(facts))
        .thenRun(registered -> armLifeTimers(facts))
        .thenReply(command.replyTo(), registered -> StatusReply.success(new Registration(nodeId, facts.registeredAt(), facts.lifetimeEndsAt())));
  }

  private ReplyEffect<Event, State> setLabels(State state, SetLabels command) {
    NodeFacts facts = factsOf(state).orElseThrow();
    Optional<String> invalid = invalidRegistration(facts.name(), command.labels(), Duration.ofSeconds(1), Duration.ofSeconds(1));
    if (invalid.isPresent()) {
      return Effect().reply(command.replyTo(), StatusReply.error(invalid.get()));
    }
    return persist(new NodeLabelsChanged(command.labels(), clock.instant()))
        .thenReply(command.replyTo(), labelled -> StatusReply.ack());
  }

  /** The first heartbeat: the node becomes active. */
  private <R> ReplyEffect<Event, State> activate(Registered state, ActorRef<R> replyTo,
      java.util.function.Function<HeartbeatAccepted, R> reply) {
    Instant now = clock.instant();
    return persist(new NodeActivated(now)).thenReply(replyTo, active -> reply.apply(heartbeatAt(now)));
  }

  /** A heartbeat between controllers: renews the lease; nothing journaled. */
  private ReplyEffect<Event, State> peerHeartbeat(Active state, Heartbeat command) {
    return Effect().reply(command.replyTo(), StatusReply.success(heartbeatAt(clock.instant())));
  }

  private ReplyEffect<Event, State> quarantine(State state, QuarantineReason reason, String detail,
      ActorRef<StatusReply<Done>> replyTo) {
    return persist(new NodeQuarantined(reason, detail, clock.instant()))
        .thenRun(this::afterQuarantine)
        .thenReply(replyTo, quarantined -> StatusReply.ack());
  }

  /**
   * A quarantined node is retired (or released) only once every rotating secret it consumed noted
   * its compromise: retiring it earlier would stop its entity telling them.
   */
  private ReplyEffect<Event, State> retireQuarantined(Quarantined state, Retire command) {
    if (!state.secretsAnswered() && environment.secrets() != NodeEnvironment.SecretConsumers.NONE
        && !consumedSecretsOf(state).map(List::isEmpty).orElse(false)) {
      return Effect().reply(command.replyTo(), StatusReply.error("node " + nodeId + "'s compromise response is still "
          + "telling the rotating secrets it consumed (node status: consumed secrets); try again once that is done"));
    }
    return retire(state, command);
  }

  private ReplyEffect<Event, State> retire(State state, Retire command) {
    return persist(new NodeRetired(clock.instant(), command.by()))
        .thenRun(retired -> {
          cancelTimers();
          link.forget();
          factsOf(retired).ifPresent(this::revoke);
          passivate();
        })
        .thenReply(command.replyTo(), retired -> StatusReply.ack());
  }

  // ---- the agent's session ----------------------------------------------------------------------

  private ReplyEffect<Event, State> enrol(State state, Enrol command) {
    Instant now = clock.instant();
    if (!(state instanceof Registered || state instanceof Active)) {
      return Effect().reply(command.replyTo(),
          EdgeReply.refused(Refused.Reason.NODE_NOT_ACTIVE, "node " + nodeId + " is " + stageName(state), false));
    }
    NodeFacts facts = factsOf(state).orElseThrow();
    if (!now.isBefore(facts.lifetimeEndsAt())) {
      return Effect().reply(command.replyTo(),
          EdgeReply.refused(Refused.Reason.NODE_NOT_ACTIVE, "node " + nodeId + " reached the end of its lifetime", false));
    }
    Optional<Session> previous = sessionOf(state);
    AgentLink.Checked checked = link.checkHello(facts, previous, command.signedHello(), now);
    if (checked.refusal().isPresent()) {
      return Effect().reply(command.replyTo(), checked.refusal().get());
    }
    // A proven re-key is the live session's own agent asking for a new session: no second enrolment.
    Optional<String> clone = checked.rekey() ? Optional.empty() : link.cloneIn(facts, previous, checked.hello(), now);
    if (clone.isPresent()) {
      context.getLog().warn("Node {}: {}; quarantined as a cloned host", nodeId, clone.get());
      return persist(new NodeQuarantined(QuarantineReason.CLONE_DETECTED, clone.get(), now))
          .thenRun(this::afterQuarantine)
          .thenReply(command.replyTo(), q -> EdgeReply.refused(Refused.Reason.NODE_NOT_ACTIVE,
              "node " + nodeId + " is quarantined: " + clone.get(), false));
    }
    AgentLink.Welcomed welcomed;
    try {
      welcomed = link.welcome(checked.hello(), facts, now.plus(settings.leaseDuration()));
    } catch (RuntimeException e) {
      context.getLog().error("Node {}: could not answer an enrolment", nodeId, e);
      return Effect().reply(command.replyTo(),
          EdgeReply.refused(Refused.Reason.UNAVAILABLE, "the controller could not answer; try another", true));
    }
    return persist(new SessionOpened(welcomed.session()))
        .thenRun(opened -> {
          link.opened(welcomed, previous, now, checked.rekey());
          files.sessionOpened();
          if (opened instanceof Active) {
            renewLease(now);
          }
          context.getLog().info(checked.rekey() ? "Node {} re-keyed its session (boot {})" : "Node {} enrolled (boot {})",
              nodeId, welcomed.session().bootId());
        })
        .thenReply(command.replyTo(), opened -> welcomed.reply());
  }

  private ReplyEffect<Event, State> frame(State state, AgentFrame command) {
    Instant now = clock.instant();
    Frame frame;
    try {
      frame = Frame.parseFrom(command.frame());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return Effect().reply(command.replyTo(), EdgeReply.refused(Refused.Reason.MALFORMED, "not a frame", false));
    }
    Optional<Session> session = sessionOf(state);
    if (session.isEmpty()) {
      return Effect().reply(command.replyTo(), state instanceof Registered || state instanceof Active
          ? EdgeReply.refused(Refused.Reason.UNKNOWN_SESSION, "no session: enrol", true)
          : EdgeReply.refused(Refused.Reason.NODE_NOT_ACTIVE, "node " + nodeId + " is " + stageName(state), false));
    }
    if (!session.get().sessionId().equals(frame.getSessionId())) {
      AgentLink.Replaced replaced = state instanceof Registered || state instanceof Active
          ? link.replacedSessionSpeaks(frame, now, session.get().helloSentAt()) : AgentLink.Replaced.NO;
      if (replaced == AgentLink.Replaced.STALE) {
        // Made before the agent enrolled again, and delayed on the way: not a second agent.
        context.getLog().info("Node {}: ignored a frame of its replaced session made before the live session's Hello",
            nodeId);
        return Effect().reply(command.replyTo(), EdgeReply.none());
      }
      if (replaced == AgentLink.Replaced.SPEAKS) {
        if (link.replacedByRekey()) {
          // Sent before its agent re-keyed, and in flight since: the agent no longer speaks that session.
          context.getLog().debug("Node {}: ignored a frame of the session its agent re-keyed", nodeId);
          return Effect().reply(command.replyTo(), EdgeReply.none());
        }
        String detail = "a frame from a replaced session while the new one is live: two agents speak for this node";
        context.getLog().warn("Node {}: {}; quarantined as a cloned host", nodeId, detail);
        return persist(new NodeQuarantined(QuarantineReason.CLONE_DETECTED, detail, now))
            .thenRun(this::afterQuarantine)
            .thenReply(command.replyTo(), q -> EdgeReply.refused(Refused.Reason.NODE_NOT_ACTIVE,
                "node " + nodeId + " is quarantined: " + detail, false));
      }
      return Effect().reply(command.replyTo(), EdgeReply.refused(Refused.Reason.UNKNOWN_SESSION,
          "unknown session: enrol again", state instanceof Registered || state instanceof Active));
    }
    AgentMessage message;
    try {
      message = AgentMessage.parseFrom(link.open(session.get(), frame, now));
    } catch (FrameRefusedException e) {
      context.getLog().warn("Node {}: refused a frame ({}): {}", nodeId, e.reason(), e.getMessage());
      return Effect().reply(command.replyTo(), EdgeReply.refused(
          e.reason() == FrameRefusedException.Reason.BAD_MAC ? Refused.Reason.NOT_AUTHENTICATED : Refused.Reason.MALFORMED,
          e.getMessage(), false));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return Effect().reply(command.replyTo(), EdgeReply.refused(Refused.Reason.MALFORMED, "not an AgentMessage", false));
    }
    if (state instanceof Quarantined q) {
      return Effect().reply(command.replyTo(), link.quarantined(session.get(), q.reason(), q.detail(), q.at()));
    } else if (state instanceof Expired e) {
      return Effect().reply(command.replyTo(), link.lifetimeEnded(session.get(), e.at()));
    }
    return switch (message.getBodyCase()) {
      case HEARTBEAT -> heartbeat(state, session.get(), frame.getSequence(), message.getHeartbeat(), command.replyTo(), now);
      case ACK -> {
        files.acknowledged(message.getAck()).forEach(held ->
            environment.secrets().holds(held.secret(), held.version(), nodeId, held.live()));
        yield Effect().reply(command.replyTo(), EdgeReply.none());
      }
      case ALERT -> alert(session.get(), message.getAlert(), command.replyTo(), now);
      default -> Effect().reply(command.replyTo(), EdgeReply.refused(Refused.Reason.MALFORMED, "empty message", false));
    };
  }

  /**
   * An agent's heartbeat: renews the lease (activating a registered node), makes any secret its
   * files lack, and sends the agent a new InfoSet after the acknowledgement if it is behind.
   */
  private ReplyEffect<Event, State> heartbeat(State state, Session session, long sequence,
      org.opencluster.protocol.agent.v1.Heartbeat heartbeat, ActorRef<EdgeReply> replyTo, Instant now) {
    environment.metrics().heartbeat();
    List<Event> events = new java.util.ArrayList<>();
    if (state instanceof Registered) {
      events.add(new NodeActivated(now));
    }
    FileCatalog.Catalog catalog = files.catalog();
    List<NodeFiles.Wanted> wanted = files.ready()
        ? files.wanted(factsOf(state).orElseThrow(), generatedOf(state), catalog) : List.of();
    FileSecretsGenerated generated = files.ready() ? files.generate(wanted, generatedOf(state), factsOf(state).orElseThrow(), now) : null;
    if (files.ready()) {
      List<String> consumes = NodeFiles.consumed(factsOf(state).orElseThrow(), catalog).stream()
          .filter(secret -> !factsOf(state).orElseThrow().consumedSecrets().contains(secret)).toList();
      if (!consumes.isEmpty()) {
        events.add(new RotatingSecretsConsumed(consumes)); // before it can read them: its blast radius
      }
    }
    files.stagedAgain(catalog, now).forEach(held -> environment.secrets().holds(held.secret(), held.version(), nodeId, false));
    files.heldWithoutFiles(factsOf(state).orElseThrow(), wanted, catalog).forEach(held ->
        environment.secrets().holds(held.secret(), held.version(), nodeId, held.live()));
    if (generated != null) {
      events.add(generated);
    }
    if (events.isEmpty()) {
      return Effect().reply(replyTo, heartbeatReply(state, session, sequence, heartbeat, catalog, wanted, now));
    }
    // New secrets change what the files depend on: the set is worked out again from the updated state.
    return persist(events).thenReply(replyTo, updated -> heartbeatReply(updated, session, sequence, heartbeat,
        catalog, generated == null ? wanted : files.wanted(factsOf(updated).orElseThrow(), generatedOf(updated), catalog), now));
  }

  private EdgeReply heartbeatReply(State state, Session session, long sequence,
      org.opencluster.protocol.agent.v1.Heartbeat heartbeat, FileCatalog.Catalog catalog, List<NodeFiles.Wanted> wanted,
      Instant now) {
    EdgeReply ack = link.heartbeatAck(session, sequence, heartbeatAt(now));
    List<Frame> following = new java.util.ArrayList<>();
    // A set goes out only within this controller's set budget; over it, a later heartbeat brings it.
    if (files.due(wanted, heartbeat.getInfoSetVersion(), now) && environment.files().budget().tryTake()) {
      files.build(session, factsOf(state).orElseThrow(), wanted, generatedOf(state), catalog,
          heartbeat.getInfoSetVersion(), now).forEach(set -> following.add(link.sealFrame(session, set)));
    }
    // Last, after any set: an agent that does not know Rekey ignores it and still has its files.
    link.rekeyRequest(session, factsOf(state).orElseThrow(), now).ifPresent(following::add);
    return following.isEmpty() ? ack : ack.followedBy(following);
  }

  private ReplyEffect<Event, State> alert(Session session, Alert alert, ActorRef<EdgeReply> replyTo, Instant now) {
    String detail = "agent alert " + alert.getKind() + ": " + AgentLink.printable(alert.getSubject()) + " "
        + AgentLink.printable(alert.getDetail());
    if (alert.getSeverity() != Alert.Severity.CRITICAL) {
      context.getLog().warn("Node {}: {}", nodeId, detail);
      return Effect().reply(replyTo, EdgeReply.none());
    }
    context.getLog().warn("Node {}: critical {}; quarantined", nodeId, detail);
    return persist(new NodeQuarantined(QuarantineReason.INTEGRITY_ALERT, detail, now))
        .thenRun(this::afterQuarantine)
        .thenReply(replyTo, q -> link.quarantined(session, QuarantineReason.INTEGRITY_ALERT, detail, now));
  }

  // ---- timers -------------------------------------------------------------------------------

  private ReplyEffect<Event, State> timerFired(State state, TimerFired command) {
    Instant now = clock.instant();
    return switch (command.timer()) {
      case HEARTBEAT_DEADLINE -> deadlineFired(state, now);
      case LIFETIME_END -> lifetimeEnded(state, now);
      case LEASE_LAPSE -> {
        liveness = new Liveness(liveness.lastHeartbeatAt(), liveness.deadlineAt(), Optional.empty());
        yield Effect().noReply();
      }
      case CREDENTIAL_ROTATION -> rotationDue(state, now);
    };
  }

  /**
   * The deadline timer woke. If the clock says the deadline has not come (the timer ran early,
   * or the wall clock was stepped back), it is armed again for the rest: never dropped.
   *
   * <p>If the controller cluster changed while the node was silent (a controller left, joined,
   * was lost or came back: agents and shards move then, and a controller's overload or hand-off
   * may have held the node's heartbeats), the deadline restarts from the change, as it does after
   * a recovery, but never beyond twice the deadline after its last heartbeat: a node silent that
   * long is quarantined however the cluster changed.
   */
  private ReplyEffect<Event, State> deadlineFired(State state, Instant now) {
    if (!(state instanceof Active) || liveness.deadlineAt().isEmpty()) {
      return Effect().noReply();
    }
    Instant deadline = liveness.deadlineAt().get();
    if (now.isBefore(deadline)) {
      armAt(Timer.HEARTBEAT_DEADLINE, deadline);
      return Effect().noReply();
    }
    Optional<Instant> restarted = restartedByClusterChange(now);
    if (restarted.isPresent()) {
      context.getLog().info("Node {}: silent since {} while the controller cluster changed; its heartbeat deadline "
          + "restarts from the change, to {}", nodeId, liveness.lastHeartbeatAt().orElseThrow(), restarted.get());
      liveness = new Liveness(liveness.lastHeartbeatAt(), restarted, liveness.leaseExpiresAt());
      armAt(Timer.HEARTBEAT_DEADLINE, restarted.get());
      return Effect().noReply();
    }
    String detail = "no heartbeat since "
        + liveness.lastHeartbeatAt().map(Instant::toString).orElse("the controller took over");
    context.getLog().warn("Node {}: its heartbeat deadline passed ({}); quarantined as compromised", nodeId, detail);
    return persist(new NodeQuarantined(QuarantineReason.HEARTBEAT_MISSED, detail, now))
        .thenRun(this::afterQuarantine).thenNoReply();
  }

  /**
   * The deadline a change of the controller cluster during the node's silence gives it: the last
   * change plus one deadline, capped at twice the deadline after the silence began; empty when
   * there was no such change or that time has passed too.
   */
  private Optional<Instant> restartedByClusterChange(Instant now) {
    Optional<Instant> change = environment.clusterChanges().lastChange();
    if (liveness.lastHeartbeatAt().isEmpty() || change.isEmpty()
        || !change.get().isAfter(liveness.lastHeartbeatAt().get())) {
      // No heartbeat since this incarnation recovered: its deadline restarted from the recovery already.
      return Optional.empty();
    }
    Instant since = liveness.lastHeartbeatAt().get();
    Instant fromChange = change.get().plus(settings.heartbeatDeadline());
    Instant cap = since.plus(settings.heartbeatDeadline().multipliedBy(2));
    Instant restarted = fromChange.isBefore(cap) ? fromChange : cap;
    return now.isBefore(restarted) ? Optional.of(restarted) : Optional.empty();
  }

  private ReplyEffect<Event, State> lifetimeEnded(State state, Instant now) {
    Optional<NodeFacts> facts = factsOf(state);
    if (!(state instanceof Registered || state instanceof Active) || facts.isEmpty()) {
      return Effect().noReply();
    }
    if (now.isBefore(facts.get().lifetimeEndsAt())) {
      armAt(Timer.LIFETIME_END, facts.get().lifetimeEndsAt());
      return Effect().noReply();
    }
    return persist(new NodeExpired(now)).thenRun(expired -> cancelTimers()).thenNoReply();
  }

  private ReplyEffect<Event, State> rotationDue(State state, Instant now) {
    Optional<NodeFacts> facts = factsOf(state);
    if (!(state instanceof Registered || state instanceof Active) || facts.isEmpty()) {
      return Effect().noReply();
    }
    if (now.isBefore(facts.get().nextRotationAt())) {
      armAt(Timer.CREDENTIAL_ROTATION, facts.get().nextRotationAt());
      return Effect().noReply();
    }
    Instant next = now.plus(settings.credentialRotationInterval());
    return persist(new CredentialRotationDue(now, next))
        .thenRun(updated -> armAt(Timer.CREDENTIAL_ROTATION, next))
        .thenNoReply();
  }

  // ---- events -------------------------------------------------------------------------------

  @Override
  public EventHandler<State, Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder.forStateType(Unregistered.class).onEvent(NodeRegistered.class, Unregistered::register);
    builder.forStateType(Registered.class)
        .onEvent(NodeActivated.class, Registered::activate)
        .onEvent(CredentialRotationDue.class, Registered::rotationDue)
        .onEvent(SessionOpened.class, (state, e) -> state.withSession(Optional.of(e.session())))
        .onEvent(SessionClosed.class, (state, e) -> state.withSession(Optional.empty()))
        .onEvent(FileSecretsGenerated.class, Registered::madeSecrets)
        .onEvent(NodeLabelsChanged.class, Registered::labelled)
        .onEvent(RotatingSecretsConsumed.class, Registered::consumed)
        .onEvent(NodeQuarantined.class, (state, e) -> new Quarantined(state.facts(), e.reason(), e.detail(), e.at(), state.session()))
        .onEvent(NodeExpired.class, (state, e) -> new Expired(state.facts(), e.at(), state.session()))
        .onEvent(NodeRetired.class, (state, e) -> new Retired(state.facts(), e.at(), e.by()));
    builder.forStateType(Active.class)
        .onEvent(CredentialRotationDue.class, Active::rotationDue)
        .onEvent(SessionOpened.class, (state, e) -> state.withSession(Optional.of(e.session())))
        .onEvent(SessionClosed.class, (state, e) -> state.withSession(Optional.empty()))
        .onEvent(FileSecretsGenerated.class, Active::madeSecrets)
        .onEvent(NodeLabelsChanged.class, Active::labelled)
        .onEvent(RotatingSecretsConsumed.class, Active::consumed)
        .onEvent(NodeQuarantined.class, (state, e) -> new Quarantined(state.facts(), e.reason(), e.detail(), e.at(), state.session()))
        .onEvent(NodeExpired.class, (state, e) -> new Expired(state.facts(), e.at(), state.session()))
        .onEvent(NodeRetired.class, (state, e) -> new Retired(state.facts(), e.at(), e.by()));
    builder.forStateType(Quarantined.class)
        .onEvent(ProvisionerHookDone.class, Quarantined::provisioned)
        .onEvent(ConsumedSecretsAnswered.class, Quarantined::answered)
        .onEvent(NodeRetired.class, (state, e) -> new Retired(state.facts(), e.at(), e.by()));
    builder.forStateType(Expired.class)
        .onEvent(NodeRetired.class, (state, e) -> new Retired(state.facts(), e.at(), e.by()));
    return builder.build();
  }

  // ---- signals ------------------------------------------------------------------------------

  /**
   * After recovery (a restart, a rebalance, a fail-over) the timers are armed again. The heartbeat
   * deadline starts from now: the node has had no chance to reach this controller yet. A kept
   * session is taken over: frames made before now less the allowed clock skew are refused. A
   * quarantined node whose provisioner hook has not reported done asks it again (at most once
   * more per recovery: the hook must be idempotent).
   */
  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), state -> {
      requireOwnHistory(state);
      hostAs(state);
      Instant now = clock.instant();
      link.recovered(now);
      if (state instanceof Registered registered) {
        armLifeTimers(registered.facts());
      } else if (state instanceof Active active) {
        armLifeTimers(active.facts());
        liveness = new Liveness(Optional.empty(), Optional.of(now.plus(settings.heartbeatDeadline())), Optional.empty());
        timers.startSingleTimer(Timer.HEARTBEAT_DEADLINE, new TimerFired(Timer.HEARTBEAT_DEADLINE), settings.heartbeatDeadline());
      } else if (state instanceof Quarantined quarantined) {
        factsOf(state).ifPresent(this::revoke);
        askProvisioner(quarantined);
        tellConsumedSecrets(quarantined);
      } else if (state instanceof Retired) {
        passivate();
      }
    }).onSignal(PostStop.class, (state, stopped) -> hostAs(new Unregistered())).build();
  }

  /**
   * Stored records are encrypted and authenticated, but not bound to the entity or the position
   * they were written at. The facts (in the registration event and every snapshot) name the node
   * they were registered for, so a history copied here from another node stops this entity's
   * recovery, loudly. Later events carry no node id: removing the newest events, or repeating one,
   * is not detected here (docs/threat-model.md, known limits).
   */
  private void requireOwnHistory(State state) {
    factsOf(state).filter(facts -> !facts.nodeId().equals(nodeId)).ifPresent(facts -> {
      context.getLog().error("Node {}: its stored history belongs to node {}: it was copied from another node's "
          + "journal. Recovery stops; restore the journal from a trusted backup.", nodeId, facts.nodeId());
      throw new IllegalStateException("node " + nodeId + ": stored history belongs to node " + facts.nodeId());
    });
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** Persists {@code event}, timing the journal write and following the hosted stage for the metrics. */
  private EffectBuilder<Event, State> persist(Event event) {
    return persist(List.of(event));
  }

  private EffectBuilder<Event, State> persist(List<Event> events) {
    long started = System.nanoTime();
    return Effect().persist(events).thenRun(persisted -> {
      environment.metrics().journalWritten(Duration.ofNanos(System.nanoTime() - started));
      hostAs(persisted);
    });
  }

  private void hostAs(State state) {
    Optional<Stage> stage = state instanceof Unregistered ? Optional.empty() : Optional.of(state.stage());
    if (!stage.equals(hostedAs)) {
      environment.metrics().hosted(hostedAs, stage);
      hostedAs = stage;
    }
  }

  /**
   * A heartbeat was accepted: the lease is renewed and, if it is in a later heartbeat bucket than
   * the last this incarnation saw, the bucket goes to the read model's writer (never the journal).
   */
  private HeartbeatAccepted heartbeatAt(Instant now) {
    Instant bucket = settings.heartbeatBucketOf(now);
    if (lastBucket.isEmpty() || bucket.isAfter(lastBucket.get())) {
      lastBucket = Optional.of(bucket);
      environment.heartbeatBuckets().entered(nodeId, bucket);
    }
    return renewLease(now);
  }

  private HeartbeatAccepted renewLease(Instant now) {
    Instant deadline = now.plus(settings.heartbeatDeadline());
    Instant lease = now.plus(settings.leaseDuration());
    liveness = new Liveness(Optional.of(now), Optional.of(deadline), Optional.of(lease));
    timers.startSingleTimer(Timer.HEARTBEAT_DEADLINE, new TimerFired(Timer.HEARTBEAT_DEADLINE), settings.heartbeatDeadline());
    timers.startSingleTimer(Timer.LEASE_LAPSE, new TimerFired(Timer.LEASE_LAPSE), settings.leaseDuration());
    return new HeartbeatAccepted(lease, settings.heartbeatInterval());
  }

  /** A quarantined node: no more timers, its certificate is refused at every handshake, and the audit log says why. */
  private void afterQuarantine(State quarantined) {
    if (quarantined instanceof Quarantined q) {
      environment.metrics().quarantined(q.reason());
    }
    cancelTimers();
    if (quarantined instanceof Quarantined q) {
      environment.audit().record("node.quarantine", "node/" + nodeId, "quarantined",
          q.reason().name().toLowerCase(java.util.Locale.ROOT) + (q.detail().isEmpty() ? "" : ": " + q.detail()));
    }
    factsOf(quarantined).ifPresent(this::revoke);
    if (quarantined instanceof Quarantined q) {
      askProvisioner(q);
      tellConsumedSecrets(q);
    }
  }

  /**
   * The compromise response's rotations: tells every rotating secret the quarantined node consumed
   * (whose consumers select it: what it could read) that it is compromised, off this thread, unless
   * they were all told already. Until this controller has read the catalog, or while a secret
   * cannot be reached, it tries again after a backoff (1 s doubling to a minute), indefinitely: a
   * compromise must not be left half answered.
   */
  private void tellConsumedSecrets(Quarantined quarantined) {
    if (quarantined.secretsAnswered()) {
      consumedSecrets = Optional.of(new ProvisionerHookStatus(ProvisionerHookStatus.Result.DONE, ""));
      return;
    }
    if (consumedSecrets.filter(s -> s.result() == ProvisionerHookStatus.Result.RUNNING).isPresent()) {
      return;
    }
    if (environment.secrets() == NodeEnvironment.SecretConsumers.NONE) {
      return; // no rotating secrets on this controller (tools, tests)
    }
    Optional<List<String>> consumed = consumedSecretsOf(quarantined);
    if (consumed.isEmpty()) {
      retryConsumedSecrets("this controller has not read the file catalog yet");
      return;
    }
    List<String> secrets = consumed.get();
    consumedSecrets = Optional.of(new ProvisionerHookStatus(ProvisionerHookStatus.Result.RUNNING,
        "telling " + secrets.size() + " rotating secrets"));
    java.util.concurrent.CompletableFuture<?>[] told = secrets.stream()
        .map(secret -> environment.secrets().compromised(secret, nodeId).toCompletableFuture())
        .toArray(java.util.concurrent.CompletableFuture[]::new);
    context.pipeToSelf(java.util.concurrent.CompletableFuture.allOf(told), (done, error) -> new ConsumedSecretsNoted(
        secrets, error == null ? Optional.empty() : Optional.of(String.valueOf(rootCause(error).getMessage())), false));
  }

  /**
   * The rotating secrets a quarantined node could read: those it was ever a consumer of, and those
   * whose consumers select it now; empty until this controller has read the catalog.
   */
  private Optional<List<String>> consumedSecretsOf(Quarantined quarantined) {
    if (!files.ready()) {
      return Optional.empty();
    }
    java.util.Set<String> union = new java.util.TreeSet<>(quarantined.facts().consumedSecrets());
    union.addAll(NodeFiles.consumed(quarantined.facts(), files.catalog()));
    union.retainAll(files.catalog().secrets().keySet()); // a secret no longer in the catalog has no entity to tell
    return Optional.of(List.copyOf(union));
  }

  private void retryConsumedSecrets(String why) {
    consumedSecretsAttempts++;
    consumedSecrets = Optional.of(new ProvisionerHookStatus(ProvisionerHookStatus.Result.FAILED, why));
    long seconds = Math.min(60, 1L << Math.min(6, consumedSecretsAttempts - 1));
    timers.startSingleTimer("consumed-secrets", new ConsumedSecretsNoted(List.of(), Optional.empty(), true),
        Duration.ofSeconds(seconds));
  }

  private ReplyEffect<Event, State> consumedSecretsNoted(Quarantined state, ConsumedSecretsNoted noted) {
    if (noted.retry()) {
      return Effect().none().thenRun(s -> tellConsumedSecrets((Quarantined) s)).thenNoReply();
    }
    if (noted.failure().isPresent()) {
      context.getLog().error("Node {}: not every rotating secret it consumed could be told of its compromise ({}); "
          + "trying again", nodeId, noted.failure().get());
      retryConsumedSecrets("not every secret could be told: " + noted.failure().get());
      return Effect().noReply();
    }
    consumedSecrets = Optional.of(new ProvisionerHookStatus(ProvisionerHookStatus.Result.DONE,
        String.join(", ", noted.secrets())));
    if (state.secretsAnswered()) {
      return Effect().noReply();
    }
    context.getLog().warn("Node {}: {} rotating secrets it consumed rotate without it: {}", nodeId,
        noted.secrets().size(), noted.secrets());
    return persist(new ConsumedSecretsAnswered(clock.instant(), noted.secrets()))
        .thenRun(done -> environment.audit().record("node.compromise-rotation", "node/" + nodeId, "requested",
            noted.secrets().isEmpty() ? "it consumed no rotating secret" : "rotating " + String.join(", ", noted.secrets())))
        .thenNoReply();
  }

  /**
   * Asks the provisioner hook, off this thread, to recreate the quarantined node's host, unless it
   * reported done already, none is configured, or this incarnation already asked.
   */
  private void askProvisioner(Quarantined quarantined) {
    ProvisionerHook provisioner = environment.provisioner();
    if (!provisioner.configured()) {
      return;
    }
    if (quarantined.hookDone()) {
      hook = Optional.of(new ProvisionerHookStatus(ProvisionerHookStatus.Result.DONE, ""));
      return;
    }
    if (hook.filter(h -> h.result() == ProvisionerHookStatus.Result.RUNNING).isPresent()) {
      return;
    }
    hook = Optional.of(new ProvisionerHookStatus(ProvisionerHookStatus.Result.RUNNING, "asked " + provisioner));
    String reason = quarantined.reason().name().toLowerCase(java.util.Locale.ROOT);
    java.util.concurrent.CompletionStage<Done> asked;
    try {
      asked = provisioner.recreate(nodeId, reason, quarantined.at());
    } catch (RuntimeException e) {
      asked = java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    context.pipeToSelf(asked, (done, error) -> new ProvisionerHookEnded(quarantined.at(),
        error == null ? Optional.empty() : Optional.of(String.valueOf(rootCause(error).getMessage()))));
  }

  /** The hook ended: done is journaled once; a failure is reported and left for the next recovery. */
  private ReplyEffect<Event, State> provisionerHookEnded(Quarantined state, ProvisionerHookEnded ended) {
    if (ended.failure().isPresent()) {
      hook = Optional.of(new ProvisionerHookStatus(ProvisionerHookStatus.Result.FAILED, ended.failure().get()));
      context.getLog().error("Node {}: the provisioner hook failed: {}; it is asked again when the node's entity "
          + "next recovers", nodeId, ended.failure().get());
      environment.audit().record("node.provisioner", "node/" + nodeId, "failed", ended.failure().get());
      return Effect().noReply();
    }
    hook = Optional.of(new ProvisionerHookStatus(ProvisionerHookStatus.Result.DONE, ""));
    if (state.hookDone()) {
      return Effect().noReply();
    }
    return persist(new ProvisionerHookDone(clock.instant()))
        .thenRun(done -> environment.audit().record("node.provisioner", "node/" + nodeId, "done",
            "host recreation reported done"))
        .thenNoReply();
  }

  private static Throwable rootCause(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof java.util.concurrent.CompletionException
        || cause instanceof java.util.concurrent.ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  private void revoke(NodeFacts facts) {
    if (!facts.certificate().isEmpty()) {
      try {
        environment.revocations().revoke(AgentLink.certificate(facts));
      } catch (RuntimeException | java.security.cert.CertificateException e) {
        context.getLog().error("Node {}: could not put its certificate on the deny list", nodeId, e);
      }
    }
  }

  private void armLifeTimers(NodeFacts facts) {
    armAt(Timer.LIFETIME_END, facts.lifetimeEndsAt());
    armAt(Timer.CREDENTIAL_ROTATION, facts.nextRotationAt());
  }

  /** Arms {@code timer} for {@code at}, or for a day from now if that is further; it re-arms on waking early. */
  private void armAt(Timer timer, Instant at) {
    Duration delay = Duration.between(clock.instant(), at);
    if (delay.isNegative()) {
      delay = Duration.ZERO;
    }
    timers.startSingleTimer(timer, new TimerFired(timer), delay.compareTo(LONGEST_TIMER) > 0 ? LONGEST_TIMER : delay);
  }

  private <R> ReplyEffect<Event, State> answerAndForget(ActorRef<R> replyTo, R reply) {
    return Effect().none().thenRun(state -> passivate()).thenReply(replyTo, state -> reply);
  }

  /** A retired or unregistered node needs no incarnation: ask the shard to stop it and forget it. */
  private void passivate() {
    shard.ifPresent(s -> s.tell(new ClusterSharding.Passivate<>(context.getSelf())));
  }

  private void cancelTimers() {
    timers.cancelAll();
    liveness = Liveness.UNKNOWN;
  }

  private NodeStatus status(State state) {
    Optional<QuarantineReason> reason = Optional.empty();
    String detail = "";
    Optional<Instant> since = Optional.empty();
    if (state instanceof Registered r) {
      since = Optional.of(r.facts().registeredAt());
    } else if (state instanceof Active a) {
      since = Optional.of(a.activatedAt());
    } else if (state instanceof Quarantined q) {
      reason = Optional.of(q.reason());
      detail = q.detail();
      since = Optional.of(q.at());
    } else if (state instanceof Expired e) {
      since = Optional.of(e.at());
    } else if (state instanceof Retired r) {
      detail = "retired by " + r.by();
      since = Optional.of(r.at());
    }
    return new NodeStatus(state.stage(), factsOf(state), reason, detail, since, liveness,
        sessionOf(state).map(Session::info), state instanceof Registered || state instanceof Active ? files.statuses() : List.of(),
        state instanceof Quarantined ? hook : Optional.empty(),
        state instanceof Quarantined ? consumedSecrets : Optional.empty());
  }

  static Optional<NodeFacts> factsOf(State state) {
    if (state instanceof Registered r) {
      return Optional.of(r.facts());
    } else if (state instanceof Active a) {
      return Optional.of(a.facts());
    } else if (state instanceof Quarantined q) {
      return Optional.of(q.facts());
    } else if (state instanceof Expired e) {
      return Optional.of(e.facts());
    } else if (state instanceof Retired r) {
      return Optional.of(r.facts());
    }
    return Optional.empty();
  }

  static Map<String, GeneratedSecret> generatedOf(State state) {
    if (state instanceof Registered r) {
      return r.generated();
    } else if (state instanceof Active a) {
      return a.generated();
    }
    return Map.of();
  }

  static Optional<Session> sessionOf(State state) {
    if (state instanceof Registered r) {
      return r.session();
    } else if (state instanceof Active a) {
      return a.session();
    } else if (state instanceof Quarantined q) {
      return q.session();
    } else if (state instanceof Expired e) {
      return e.session();
    }
    return Optional.empty();
  }

  private static String stageName(State state) {
    return state.stage().name().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * Why a registration with these facts would be refused, if it would: for callers that must check
   * before doing something irreversible (the registrar, before it signs a certificate).
   */
  public static Optional<String> invalidRegistration(String name, Map<String, String> labels, Duration lifetime,
      Duration maxLifetime) {
    if (!Identity.isValidName(name)) {
      return Optional.of("invalid node name '" + name + "': 1..63 characters of a-z, 0-9, '.', '_', '-'");
    }
    if (labels.size() > MAX_LABELS) {
      return Optional.of("at most " + MAX_LABELS + " labels, got " + labels.size());
    }
    for (Map.Entry<String, String> label : labels.entrySet()) {
      Optional<String> invalid = invalidLabel(label.getKey(), label.getValue());
      if (invalid.isPresent()) {
        return invalid;
      }
    }
    if (lifetime.isNegative() || lifetime.isZero()) {
      return Optional.of("lifetime must be positive");
    }
    if (lifetime.compareTo(maxLifetime) > 0) {
      return Optional.of("lifetime " + lifetime + " exceeds the maximum of " + maxLifetime);
    }
    return Optional.empty();
  }

  /** Why a node could never carry the label {@code key=value}, if it could not (a search for it finds nothing). */
  public static Optional<String> invalidLabel(String key, String value) {
    if (!LABEL_KEY.matcher(key).matches()) {
      return Optional.of("invalid label key '" + key + "': lower-case letters, digits, '.', '_', '/', '-'");
    }
    if (!LABEL_VALUE.matcher(value).matches()) {
      return Optional.of("invalid value for label '" + key + "': up to 63 letters, digits, '.', '_', '-'");
    }
    return Optional.empty();
  }

  private Optional<String> invalid(Register command) {
    Optional<String> invalid = invalidRegistration(command.name(), command.labels(), command.lifetime(),
        settings.maxLifetime());
    if (invalid.isPresent()) {
      return invalid;
    }
    if (!command.certificate().isEmpty()) {
      Optional<String> certificate = AgentLink.checkCertificate(command.certificate(), nodeId);
      if (certificate.isPresent()) {
        return certificate;
      }
    }
    return Optional.empty();
  }

  private <T> StatusReply<T> notRegistered() {
    return StatusReply.error("node " + nodeId + NOT_REGISTERED);
  }

  private <T> StatusReply<T> alreadyRegistered() {
    return StatusReply.error("node " + nodeId + " is already registered");
  }

  private <T> StatusReply<T> notQuarantined() {
    return StatusReply.error("node " + nodeId + " is not quarantined: only a quarantined node is released; retire it instead");
  }
}
