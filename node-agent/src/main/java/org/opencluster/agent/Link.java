package org.opencluster.agent;

import com.google.protobuf.InvalidProtocolBufferException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.Props;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.opencluster.agent.files.Delivery;
import org.opencluster.agent.files.FileOutcome;
import org.opencluster.agent.files.LockedSecret;
import org.opencluster.agent.files.SecureFiles;
import org.opencluster.agent.files.StagedFiles;
import org.opencluster.agent.files.StagedOutcome;
import org.opencluster.protocol.agent.v1.Ack;
import org.opencluster.protocol.agent.v1.AgentMessage;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.Heartbeat;
import org.opencluster.protocol.agent.v1.HeartbeatAck;
import org.opencluster.protocol.agent.v1.InfoSet;
import org.opencluster.protocol.agent.v1.SecureFile;
import org.opencluster.protocol.agent.v1.Quarantined;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.agent.v1.SignedWelcome;
import org.opencluster.protocol.agent.v1.StagedFile;
import org.opencluster.protocol.crypto.SealedBoxException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.session.AgentHandshake;
import org.opencluster.protocol.session.AgentSession;
import org.opencluster.protocol.session.FrameRefusedException;
import org.opencluster.protocol.session.HandshakeException;

/**
 * The agent's link to the controllers: enrols with a signed Hello to one edge, heartbeats in MAC'd
 * frames, renews its lease from the acknowledgements, and carries on through the next edge when
 * one stops answering (the controllers keep the session, so it does not enrol again). It enrols
 * again only when a controller says the session is unknown. It stops, wiping what it holds, when
 * its lease lapses unrenewed, when it is told it is quarantined or refused, or when the node's
 * lifetime ends.
 *
 * <p>Node information sets arrive after heartbeat acknowledgements: each file's content is opened
 * with this boot's one-off key straight into locked memory, the set is applied by {@link
 * SecureFiles} on a thread of its own (reload commands may take a while), and the outcome is
 * acknowledged. Files outlive a failed-over or re-enrolled session (the lease still holds), and
 * are wiped with everything else when the agent stops.
 *
 * <p>When the node's credential rotation is due, a controller asks for a re-key ({@code Rekey}): the
 * agent enrols again with a Hello proven with the live session's key, sends nothing on that session
 * meanwhile, and on the Welcome switches to the new session keeping every file and staged file; the
 * controller then resends the set sealed to the new key, which applies as unchanged.
 *
 * <p>A set's staged files (the pending versions of rotating secrets) are opened the same way, under
 * their staged names, and held by {@link StagedFiles} in place of the previous set's: never written,
 * no reload command run. The acknowledgement says which are held; they are wiped with the files.
 */
final class Link extends AbstractActorWithTimers {

  /** The Welcome's chain names a controller of this cluster; frames larger than this are refused. */
  static final int MAX_PAYLOAD_BYTES = 240 * 1024;
  private static final Duration LEASE_CHECK_EVERY = Duration.ofMillis(500);
  private static final String AGENT_VERSION = "0.1";
  /** The longest pause before following a redirect (at most half a heartbeat interval). */
  private static final Duration MOVE_JITTER_MAX = Duration.ofSeconds(2);

  private record Enrol() {}

  private record EnrolTimedOut(int attempt) {}

  private record Beat() {}

  private record CheckLease() {}

  private record Resume() {}

  /** A set was applied (on the files thread); its staged files were opened and held before. */
  private record Applied(long version, List<FileOutcome> outcomes, List<StagedOutcome> staged) {}

  private final AgentSettings settings;
  private final PrivateKey nodeKey;
  private final CertificateValidator controllers;
  private final String bootId;
  private final Clock clock;
  private final long startedNanos = System.nanoTime();
  private final CompletableFuture<Agent.Outcome> outcome;
  private final AgentState state;
  private final LoggingAdapter log = Logging.getLogger(getContext().getSystem(), this);
  private final Deque<Instant> reconnects = new ArrayDeque<>();
  private final SecureFiles files;
  private final StagedFiles staged;
  private final ExecutorService applying = Executors.newSingleThreadExecutor(runnable -> {
    Thread thread = new Thread(runnable, "secure-files");
    thread.setDaemon(true);
    return thread;
  });
  private final TreeMap<Integer, InfoSet> parts = new TreeMap<>();
  private long partsVersion;
  private long appliedVersion;

  private int edgeIndex;
  /** The edge the Hello in flight went to. */
  private int handshakeEdge;
  private int attempt;
  private int failures;
  private AgentHandshake handshake;
  private AgentSession session;
  private int unacknowledged;
  private Instant leaseExpiresAt;
  private boolean stopped;

  private Link(AgentSettings settings, PrivateKey nodeKey, CertificateValidator controllers, String bootId, Clock clock,
      CompletableFuture<Agent.Outcome> outcome, AgentState state, SecureFiles files) {
    this.settings = settings;
    this.files = files;
    this.staged = StagedFiles.create(settings.files());
    this.nodeKey = nodeKey;
    this.controllers = controllers;
    this.bootId = bootId;
    this.clock = clock;
    this.outcome = outcome;
    this.state = state;
    this.edgeIndex = ThreadLocalRandom.current().nextInt(settings.edges().size());
  }

  static Props props(AgentSettings settings, PrivateKey nodeKey, CertificateValidator controllers, String bootId,
      Clock clock, CompletableFuture<Agent.Outcome> outcome, AgentState state, SecureFiles files) {
    return Props.create(Link.class, () -> new Link(settings, nodeKey, controllers, bootId, clock, outcome, state, files));
  }

  @Override
  public void preStart() {
    getSelf().tell(new Enrol(), getSelf());
    getTimers().startTimerWithFixedDelay("lease", new CheckLease(), LEASE_CHECK_EVERY);
  }

  @Override
  public void postStop() {
    wipe();
    files.close();
    staged.close();
    state.stagedHeld(0);
    applying.shutdown();
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(Enrol.class, e -> enrol())
        .match(EnrolTimedOut.class, this::enrolTimedOut)
        .match(SignedWelcome.class, this::welcomed)
        .match(Refused.class, this::refused)
        .match(Frame.class, this::frame)
        .match(Beat.class, b -> beat())
        .match(Resume.class, r -> resume())
        .match(CheckLease.class, c -> checkLease())
        .match(Applied.class, this::applied)
        .matchAny(message -> log.warning("Ignored a {} from {}", message.getClass().getSimpleName(), getSender()))
        .build();
  }

  // ---- enrolment ----------------------------------------------------------------------------

  private void enrol() {
    if (stopped) {
      return;
    }
    wipe();
    try {
      handshake = AgentHandshake.begin(settings.nodeId(), nodeKey, AGENT_VERSION, bootId, clock);
    } catch (InvalidKeyException e) {
      finish(Agent.Outcome.FAILED, "the node key cannot sign: " + e.getMessage());
      return;
    }
    attempt++;
    handshakeEdge = edgeIndex;
    log.info("Enrolling with {} (attempt {})", edge(), attempt);
    gateway().tell(handshake.hello(), getSelf());
    getTimers().startSingleTimer("enrol", new EnrolTimedOut(attempt), settings.enrolTimeout());
  }

  private void enrolTimedOut(EnrolTimedOut timeout) {
    if (timeout.attempt() == attempt && rekeying()) {
      // The edge did not answer the re-key. Fall back to what a lost session does: drop it and enrol
      // with a plain Hello on the next edge. Safe: that Hello carries no proof, so the controller
      // judges it by the rules for any enrolment (a reusable node of this boot gets a new session;
      // a single-use node is quarantined, as when it loses its session today: it fails closed); no
      // proof is reused; the files stay (enrolling drops the session's keys, not the files), served
      // no longer than the lease. A Welcome for the re-key arriving before then still completes it.
      log.warning("No answer to the re-key from {} within {}; enrolling on the next edge", edge(), settings.enrolTimeout());
      failOver(new Enrol());
    } else if (timeout.attempt() == attempt && session == null && handshake != null) {
      log.warning("No answer from {} within {}; trying the next edge", edge(), settings.enrolTimeout());
      failOver(new Enrol());
    }
  }

  private void welcomed(SignedWelcome welcome) {
    if (handshake == null) {
      log.warning("Ignored a Welcome this agent did not ask for");
      return;
    }
    AgentSession previous = session;
    try {
      session = handshake.complete(welcome, controllers, clock, MAX_PAYLOAD_BYTES);
    } catch (HandshakeException e) {
      // Not the answer to the Hello in flight (a late answer to an earlier one), or not a valid one:
      // either way ignored; the Hello in flight still waits for its own, and its timeout moves on.
      log.warning("Refused a Welcome from {}: {}", edge(), e.getMessage());
      return;
    }
    handshake = null;
    getTimers().cancel("enrol");
    // A Welcome may come after its attempt timed out, with the next attempt waiting: the session is
    // open, so no other enrolment follows, and it goes on through the edge that answered (frames
    // queued for an edge that is down would reach it much later, when it comes back).
    getTimers().cancel("failover");
    edgeIndex = handshakeEdge;
    failures = 0;
    unacknowledged = 0;
    leaseExpiresAt = session.terms().leaseExpiresAt();
    if (previous != null) {
      // A re-key: the files and staged files stay; parts of a set sealed to the old key cannot be
      // opened any more, and the controller sends the whole set again on this session.
      getTimers().cancel("failover");
      previous.close();
      parts.clear();
      partsVersion = 0;
      state.rekeyed(session.controller().toString(), leaseExpiresAt);
      log.info("Re-keyed the session with {} at {}: lease until {}", session.controller(), edge(), leaseExpiresAt);
    } else {
      state.established(session.controller().toString(), leaseExpiresAt);
      log.info("Enrolled with {} at {}: heartbeat every {}, lease until {}", session.controller(), edge(),
          session.terms().heartbeatInterval(), leaseExpiresAt);
    }
    beat();
    getTimers().startTimerWithFixedDelay("beat", new Beat(), session.terms().heartbeatInterval());
  }

  // ---- heartbeats ---------------------------------------------------------------------------

  private void beat() {
    if (session == null || stopped || rekeying()) {
      return;
    }
    if (unacknowledged >= settings.missedAcks()) {
      log.warning("{} heartbeats without an answer from {}; failing over to the next edge", unacknowledged, edge());
      getTimers().cancel("beat");
      failOver(new Resume());
      return;
    }
    Heartbeat heartbeat = Heartbeat.newBuilder()
        .setSentAtUnixMillis(clock.millis())
        .setMonotonicMillis((System.nanoTime() - startedNanos) / 1_000_000)
        .setInfoSetVersion(appliedVersion)
        .setFilesServed(files.served())
        .build();
    gateway().tell(session.channel().seal(AgentMessage.newBuilder().setHeartbeat(heartbeat).build().toByteArray()),
        getSelf());
    unacknowledged++;
    state.heartbeatSent();
  }

  /** On the next edge, the session goes on: heartbeat there at once, then on schedule. */
  private void resume() {
    if (session == null || stopped) {
      getSelf().tell(new Enrol(), getSelf());
      return;
    }
    unacknowledged = 0;
    log.info("Carrying on with {}", edge());
    beat();
    getTimers().startTimerWithFixedDelay("beat", new Beat(), session.terms().heartbeatInterval());
  }

  private void frame(Frame frame) {
    if (session == null) {
      return;
    }
    ControllerMessage message;
    try {
      message = ControllerMessage.parseFrom(session.channel().open(frame));
    } catch (FrameRefusedException | InvalidProtocolBufferException e) {
      log.warning("Refused a frame: {}", e.getMessage());
      return;
    }
    switch (message.getBodyCase()) {
      case HEARTBEAT_ACK -> acknowledged(message.getHeartbeatAck());
      case QUARANTINED -> quarantined(message.getQuarantined());
      case INFO_SET -> infoSet(message.getInfoSet());
      case REKEY -> rekey();
      default -> log.warning("Ignored an empty controller message");
    }
  }

  /**
   * The controllers ask for a new session in place of this one (the node's credential rotation is
   * due). Until the Welcome, nothing more goes out on this session: no heartbeat, no
   * acknowledgement (the controller resends the set on the new session).
   */
  private void rekey() {
    if (stopped || session == null || handshake != null) {
      return;
    }
    try {
      handshake = AgentHandshake.rekey(session, nodeKey, AGENT_VERSION, bootId, clock);
    } catch (InvalidKeyException e) {
      finish(Agent.Outcome.FAILED, "the node key cannot sign: " + e.getMessage());
      return;
    }
    getTimers().cancel("beat");
    attempt++;
    handshakeEdge = edgeIndex;
    log.info("Re-keying the session with {} at the controllers' request (attempt {})", edge(), attempt);
    gateway().tell(handshake.hello(), getSelf());
    getTimers().startSingleTimer("enrol", new EnrolTimedOut(attempt), settings.enrolTimeout());
  }

  /** A re-key Hello is out: the session is still the live one until its Welcome. */
  private boolean rekeying() {
    return session != null && handshake != null;
  }

  /** The re-key was refused: nothing changed at the controller, so the session goes on. */
  private void abandonRekey() {
    handshake = null;
    getTimers().cancel("enrol");
  }

  // ---- secure files -------------------------------------------------------------------------

  /** A set, or a part of one: once every part is here, its files are opened and applied. */
  private void infoSet(InfoSet set) {
    if (set.getVersion() <= appliedVersion) {
      log.debug("Ignored node information set {}: {} is applied", set.getVersion(), appliedVersion);
      return;
    }
    int count = Math.max(set.getParts(), 1);
    int part = Math.max(set.getPart(), 1);
    if (part > count || count > 64) {
      log.warning("Ignored node information set {}: part {} of {}", set.getVersion(), part, count);
      return;
    }
    if (set.getVersion() != partsVersion) {
      parts.clear();
      partsVersion = set.getVersion();
    }
    parts.put(part, set);
    if (parts.size() < count) {
      return;
    }
    List<SecureFile> received = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    List<StagedFile> pending = new ArrayList<>();
    boolean complete = false;
    for (InfoSet p : parts.values()) {
      received.addAll(p.getFilesList());
      removed.addAll(p.getRemovedFilesList());
      pending.addAll(p.getStagedList());
      complete |= p.getComplete();
    }
    parts.clear();
    long version = set.getVersion();
    List<FileOutcome> refused = new ArrayList<>();
    List<Delivery> deliveries = new ArrayList<>();
    for (SecureFile file : received) {
      Delivery delivery = open(file, refused);
      if (delivery != null) {
        deliveries.add(delivery);
      }
    }
    List<StagedOutcome> stagedOutcomes = staged.replace(pending, session);
    state.stagedHeld(staged.held());
    boolean whole = complete;
    log.info("Applying node information set {}: {} files, {} staged", version, deliveries.size(), staged.held());
    applying.execute(() -> {
      List<FileOutcome> outcomes = new ArrayList<>(refused);
      try {
        outcomes.addAll(files.apply(deliveries, removed, whole));
      } catch (RuntimeException e) {
        log.error("Applying node information set {} failed: {}", version, e.getMessage());
      }
      getSelf().tell(new Applied(version, outcomes, stagedOutcomes), getSelf());
    });
  }

  /** The file with its content opened into locked memory, or null (and why, in {@code refused}). */
  private Delivery open(SecureFile file, List<FileOutcome> refused) {
    Delivery.Kind kind = switch (file.getDelivery()) {
      case TMPFS -> Delivery.Kind.TMPFS;
      case FIFO -> Delivery.Kind.FIFO;
      default -> null;
    };
    if (kind == null) {
      refused.add(new FileOutcome(file.getName(), file.getVersion(), FileOutcome.Result.FAILED,
          "unknown delivery mode " + file.getDeliveryValue()));
      return null;
    }
    Path path;
    try {
      path = Path.of(file.getPath());
    } catch (RuntimeException e) {
      refused.add(new FileOutcome(file.getName(), file.getVersion(), FileOutcome.Result.FAILED, "not a path"));
      return null;
    }
    LockedSecret locked;
    try (SecretBytes content = session.openSecureFile(file.getName(), file.getVersion(), file.getSealedContent().toByteArray())) {
      locked = LockedSecret.copyOf(content);
    } catch (SealedBoxException e) {
      log.warning("Secure file {} v{} refused: {}", file.getName(), file.getVersion(), e.getMessage());
      refused.add(new FileOutcome(file.getName(), file.getVersion(), FileOutcome.Result.FAILED,
          "its content does not open with this boot's key: " + e.getMessage()));
      return null;
    } catch (RuntimeException e) {
      refused.add(new FileOutcome(file.getName(), file.getVersion(), FileOutcome.Result.FAILED,
          "its content could not be put in locked memory: " + e.getMessage()));
      return null;
    }
    return new Delivery(file.getName(), file.getVersion(), path, file.getOwner(), file.getGroup(), file.getMode(), kind,
        file.getReloadCommandList(), locked);
  }

  private void applied(Applied applied) {
    if (stopped) {
      return;
    }
    appliedVersion = Math.max(appliedVersion, applied.version());
    for (FileOutcome outcome : applied.outcomes()) {
      if (outcome.result() == FileOutcome.Result.FAILED || outcome.result() == FileOutcome.Result.RELOAD_FAILED) {
        log.warning("Secure file {} v{}: {} ({})", outcome.name(), outcome.version(), outcome.result(), outcome.detail());
      }
    }
    for (StagedOutcome outcome : applied.staged()) {
      if (!outcome.held()) {
        log.warning("Staged file {} of {} v{} not held: {}", outcome.file(), outcome.secret(), outcome.secretVersion(),
            outcome.detail());
      }
    }
    state.filesServed(files.served(), appliedVersion);
    if (session == null || rekeying()) {
      return;
    }
    Ack.Builder ack = Ack.newBuilder().setInfoSetVersion(applied.version());
    for (FileOutcome outcome : applied.outcomes()) {
      ack.addFiles(org.opencluster.protocol.agent.v1.FileOutcome.newBuilder().setName(outcome.name())
          .setVersion(outcome.version()).setDetail(outcome.detail())
          .setResult(switch (outcome.result()) {
            case APPLIED, UNCHANGED -> org.opencluster.protocol.agent.v1.FileOutcome.Result.APPLIED;
            case RELOAD_FAILED -> org.opencluster.protocol.agent.v1.FileOutcome.Result.RELOAD_FAILED;
            case FAILED -> org.opencluster.protocol.agent.v1.FileOutcome.Result.FAILED;
          }));
    }
    for (StagedOutcome outcome : applied.staged()) {
      ack.addStaged(org.opencluster.protocol.agent.v1.StagedOutcome.newBuilder().setSecret(outcome.secret())
          .setSecretVersion(outcome.secretVersion()).setFile(outcome.file()).setHeld(outcome.held())
          .setDetail(outcome.detail()));
    }
    gateway().tell(session.channel().seal(AgentMessage.newBuilder().setAck(ack).build().toByteArray()), getSelf());
    log.info("Applied node information set {}: {} files served", applied.version(), files.served());
  }

  private void acknowledged(HeartbeatAck ack) {
    unacknowledged = 0;
    failures = 0;
    leaseExpiresAt = Instant.ofEpochMilli(ack.getLeaseExpiresAtUnixMillis());
    state.acknowledged(leaseExpiresAt);
  }

  private void quarantined(Quarantined quarantined) {
    Agent.Outcome why = quarantined.getReason() == Quarantined.Reason.LIFETIME_ENDED
        ? Agent.Outcome.LIFETIME_ENDED : Agent.Outcome.QUARANTINED;
    finish(why, "the controllers say this node is " + (why == Agent.Outcome.QUARANTINED ? "quarantined" : "at the end of "
        + "its lifetime") + " (" + quarantined.getReason() + ": " + quarantined.getDetail() + ")");
  }

  private void refused(Refused refused) {
    if (!refused.getSessionId().isEmpty() && (session == null
        || !java.util.Arrays.equals(session.channel().sessionId(), refused.getSessionId().toByteArray()))) {
      // The answer to another session's frame (an earlier session's, or anyone's frame sent with this
      // agent's address as the reply address): not about this session.
      log.info("Ignored a {} refusal of another session's frame", refused.getReason());
      state.ignoredForeignRefusal();
      return;
    }
    switch (refused.getReason()) {
      case UNKNOWN_SESSION -> {
        log.warning("{} does not know this agent's session; enrolling again", edge());
        getTimers().cancel("beat");
        wipe();
        getSelf().tell(new Enrol(), getSelf());
      }
      case NODE_NOT_ACTIVE -> finish(Agent.Outcome.REFUSED, "the controllers refuse this node: " + refused.getDetail());
      case MOVED -> moved(refused);
      case UNAVAILABLE -> {
        if (getTimers().isTimerActive("failover")) {
          // Late answers to frames sent before the fail-over began (the edge refuses each one whose
          // entity did not answer in time): the move is already under way; restarting its timer at
          // every one could postpone it past the heartbeat deadline.
          log.debug("{} is not serving ({}); already failing over", edge(), refused.getDetail());
          return;
        }
        log.warning("{} is not serving: {}", edge(), refused.getDetail());
        getTimers().cancel("beat");
        if (rekeying()) {
          abandonRekey();
        }
        failOver(session == null ? new Enrol() : new Resume());
      }
      default -> {
        log.warning("{} refused a message ({}): {}", edge(), refused.getReason(), refused.getDetail());
        if (rekeying()) {
          abandonRekey();
          resume();
        } else if (session == null) {
          handshake = null;
          failOver(new Enrol());
        }
      }
    }
  }

  /**
   * The redirect: the edge is leaving, or has more than its share of agents. The session carries
   * on through the first named edge this agent knows (its bundle's list; any other name is ignored,
   * so an edge cannot send it somewhere new), else through the next edge, after a short jitter so a
   * whole fleet told at once does not arrive at once. Not a failure: the backoff does not grow, but
   * the reconnection bound still holds. Ignored while a move is under way, when sent by an edge the
   * agent has left or naming the edge it is at; a re-key under way is abandoned (asked again later).
   */
  private void moved(Refused refused) {
    if (stopped || getTimers().isTimerActive("failover")) {
      return; // a move or fail-over is already under way: one redirect per move
    }
    String current = edge().host() + ":" + edge().port();
    if ((!refused.getFrom().isEmpty() && !refused.getFrom().equals(current))
        || refused.getMoveToList().contains(current)) {
      log.debug("Ignored a redirect from {} to {}: this agent is at {}", refused.getFrom(), refused.getMoveToList(),
          current);
      return; // sent by an edge this agent has since left, or to where it already is
    }
    if (rekeying()) {
      // The edge is leaving: its answer to the re-key would be the redirect too. The live session
      // goes on through the next edge, and the controllers ask for the re-key again there.
      abandonRekey();
    }
    if (settings.edges().size() < 2) {
      log.info("{} asks this agent to move ({}), but it knows no other edge; staying", edge(), refused.getDetail());
      return;
    }
    int target = -1;
    for (String named : refused.getMoveToList()) {
      for (int i = 0; i < settings.edges().size() && target < 0; i++) {
        AgentSettings.Edge edge = settings.edges().get(i);
        if (i != edgeIndex && named.equals(edge.host() + ":" + edge.port())) {
          target = i;
        }
      }
      if (target >= 0) {
        break;
      }
    }
    AgentSettings.Edge from = edge();
    edgeIndex = target >= 0 ? target : (edgeIndex + 1) % settings.edges().size();
    getTimers().cancel("beat");
    Object then = session == null ? new Enrol() : new Resume();
    if (session == null && handshake != null) {
      handshake = null;
      getTimers().cancel("enrol");
    }
    long jitter = ThreadLocalRandom.current().nextLong(Math.max(1, Math.min(MOVE_JITTER_MAX.toMillis(),
        session == null ? MOVE_JITTER_MAX.toMillis() : session.terms().heartbeatInterval().toMillis() / 2)));
    log.info("{} redirected this agent ({}): carrying on through {}", from, refused.getDetail(), edge());
    state.redirected();
    reconnectAfter(jitter, then);
  }

  // ---- lease, lifetime, stopping ----------------------------------------------------------------

  private void checkLease() {
    if (stopped || leaseExpiresAt == null) {
      return;
    }
    Instant now = clock.instant();
    if (session != null && !now.isBefore(session.terms().lifetimeEndsAt())) {
      finish(Agent.Outcome.LIFETIME_ENDED, "the node's lifetime ended at " + session.terms().lifetimeEndsAt());
    } else if (!now.isBefore(leaseExpiresAt)) {
      finish(Agent.Outcome.LEASE_LAPSED, "the config lease lapsed at " + leaseExpiresAt + " without renewal");
    }
  }

  /** Tries the next edge after a pause that grows with each failure, with jitter, and never faster than the bound. */
  private void failOver(Object then) {
    edgeIndex = (edgeIndex + 1) % settings.edges().size();
    failures++;
    long base = Math.min(settings.backoffMax().toMillis(),
        settings.backoffMin().toMillis() << Math.min(failures - 1, 20));
    long jittered = (long) (base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
    state.failedOver();
    reconnectAfter(jittered, then);
  }

  /**
   * Sends {@code then} to itself after {@code pauseMillis}, or later if that would make more than
   * {@code max-reconnects-per-minute} reconnections in a minute (fail-overs and redirects alike).
   */
  private void reconnectAfter(long pauseMillis, Object then) {
    Instant now = clock.instant();
    while (!reconnects.isEmpty() && reconnects.peekFirst().isBefore(now.minus(Duration.ofMinutes(1)))) {
      reconnects.removeFirst();
    }
    long pause = pauseMillis;
    if (reconnects.size() >= settings.maxReconnectsPerMinute()) {
      pause = Math.max(pause, Duration.between(now, reconnects.peekFirst().plus(Duration.ofMinutes(1))).toMillis());
    }
    reconnects.addLast(now.plusMillis(pause));
    getTimers().startSingleTimer("failover", then, Duration.ofMillis(Math.max(pause, 1)));
  }

  private void finish(Agent.Outcome why, String detail) {
    if (stopped) {
      return;
    }
    stopped = true;
    if (why == Agent.Outcome.FAILED) {
      log.error("Stopping: {}", detail);
    } else {
      log.warning("Stopping and wiping what this agent holds: {}", detail);
    }
    getTimers().cancelAll();
    wipe();
    files.close();
    staged.close();
    state.stagedHeld(0);
    outcome.complete(why);
    getContext().stop(getSelf());
  }

  /** Drops the session key and the one-off key of this boot. */
  private void wipe() {
    if (session != null) {
      session.close();
      session = null;
    }
    handshake = null;
    state.wiped();
  }

  private ActorSelection gateway() {
    AgentSettings.Edge edge = settings.edges().get(edgeIndex);
    return getContext().actorSelection("pekko://opencluster-edge@" + edge.host() + ":" + edge.port() + "/user/gateway");
  }

  private AgentSettings.Edge edge() {
    return settings.edges().get(edgeIndex);
  }
}
