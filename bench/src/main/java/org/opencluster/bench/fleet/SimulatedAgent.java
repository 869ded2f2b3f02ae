package org.opencluster.bench.fleet;

import com.google.protobuf.InvalidProtocolBufferException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.Props;
import org.opencluster.protocol.agent.v1.AgentMessage;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.Ack;
import org.opencluster.protocol.agent.v1.FileOutcome;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.InfoSet;
import org.opencluster.protocol.agent.v1.SecureFile;
import org.opencluster.protocol.agent.v1.StagedFile;
import org.opencluster.protocol.agent.v1.StagedOutcome;
import org.opencluster.protocol.crypto.SealedBoxException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.agent.v1.Heartbeat;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.agent.v1.SignedWelcome;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.session.AgentHandshake;
import org.opencluster.protocol.session.AgentSession;
import org.opencluster.protocol.session.FrameRefusedException;
import org.opencluster.protocol.session.HandshakeException;
import org.opencluster.protocol.session.SecureFileBox;

/**
 * One simulated node agent: its own node key, its own session and heartbeat schedule, speaking the
 * agent protocol (signed Hello, verified Welcome, MAC'd frames) to an edge gateway like the real
 * agent's link does.
 *
 * <p>Without fail-over it keeps to its first edge and records what it sees. With fail-over it
 * knows every edge and moves as the real agent's link does: after {@link #MISSED_ACKS} heartbeats
 * without an acknowledgement, a {@code Refused UNAVAILABLE} or an unanswered Hello, to the next
 * edge after a jittered backoff that doubles per failure (reset by an acknowledgement), the session
 * carried on there; on {@code Refused MOVED} after a random pause (up to 2 s and half a heartbeat,
 * as the real link) to the first edge of
 * {@code move_to} it knows, not counted as a failure. The backoff is bounded by twice the
 * heartbeat interval (the real agent: 10 s at a 5 s heartbeat), so an agent never sleeps through
 * the deadline the controllers give it.
 */
final class SimulatedAgent extends AbstractActorWithTimers {

  /** Begin enrolling (sent once the enrolment window has room for it). */
  record Enrol() {}

  private record EnrolTimedOut(int attempt) {}

  private record Retry(int attempt) {}

  private record Beat() {}

  /**
   * Stop heartbeating, as a host that went silent: the session stays open and nothing more is
   * sent. {@code lastBeat} is completed with when the last heartbeat was sent (unix millis).
   */
  record Silence(CompletableFuture<Long> lastBeat) {}

  /** What this agent is doing, one line, for a scenario's failure report. */
  record Describe(CompletableFuture<String> description) {}

  private static final Duration ENROL_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
  private static final int MAX_PAYLOAD_BYTES = 240 * 1024;
  private static final int TRACKED = 16;
  /** As the real agent's {@code missed-acks-before-failover}. */
  static final int MISSED_ACKS = 2;
  private static final Duration BACKOFF_MIN = Duration.ofMillis(200);
  private static final Duration BACKOFF_MAX = Duration.ofSeconds(10);
  /** As the real agent's link: a redirect waits a random pause up to this, and up to half a heartbeat. */
  private static final Duration MOVE_JITTER_MAX = Duration.ofSeconds(2);

  private record Resume() {}

  private final String nodeId;
  private final int index;
  private final PrivateKey nodeKey;
  private final CertificateValidator controllers;
  private final List<String> edges;
  private final List<ActorSelection> gateways;
  private final boolean failover;
  private final FleetStats stats;
  private final Clock clock = Clock.systemUTC();
  private final long[] sentSequence = new long[TRACKED];
  private final long[] sentNanos = new long[TRACKED];

  private AgentHandshake handshake;
  private AgentSession session;
  private int attempt;
  private long enrolStartedNanos;
  private boolean holdsPermit;
  private boolean everEnrolled;
  private long infoSetVersion;
  private int countedRound;
  private int contentHash;
  private boolean holdsFiles;
  private boolean silenced;
  private long lastBeatMillis;
  private int edgeIndex;
  private int unacknowledged;
  private int failures;
  private long lastAckMillis;

  private SimulatedAgent(String nodeId, int index, PrivateKey nodeKey, CertificateValidator controllers,
      List<String> edges, boolean failover, FleetStats stats) {
    this.nodeId = nodeId;
    this.index = index;
    this.nodeKey = nodeKey;
    this.controllers = controllers;
    this.edges = failover ? List.copyOf(edges) : List.of(edges.get(0));
    this.gateways = this.edges.stream()
        .map(edge -> getContext().actorSelection("pekko://opencluster-edge@" + edge + "/user/gateway")).toList();
    this.failover = failover;
    this.stats = stats;
    this.edgeIndex = failover ? ThreadLocalRandom.current().nextInt(this.edges.size()) : 0;
  }

  /**
   * @param index this agent's place in the fleet (0..N-1), for the per-agent figures in {@code stats}
   * @param edges host:port of the edges, as the registration answered; without {@code failover}
   *     only the first is used
   */
  static Props props(String nodeId, int index, PrivateKey nodeKey, CertificateValidator controllers, List<String> edges,
      boolean failover, FleetStats stats) {
    return Props.create(SimulatedAgent.class,
        () -> new SimulatedAgent(nodeId, index, nodeKey, controllers, edges, failover, stats));
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(Enrol.class, e -> enrol(true))
        .match(EnrolTimedOut.class, this::enrolTimedOut)
        .match(Retry.class, r -> {
          if (r.attempt() == attempt && session == null) {
            enrol(false);
          }
        })
        .match(SignedWelcome.class, this::welcomed)
        .match(Frame.class, this::frame)
        .match(Refused.class, this::refused)
        .match(Beat.class, b -> beat())
        .match(Resume.class, r -> resume())
        .match(Silence.class, this::silence)
        .match(Describe.class, d -> d.description().complete(String.format(java.util.Locale.ROOT,
            "%s: edge %s, session %s, enrolling %s, unacknowledged %d, failures %d, last ack %d ms ago, last beat %d ms ago",
            nodeId, edges.get(edgeIndex), session != null, handshake != null, unacknowledged, failures,
            clock.millis() - lastAckMillis, clock.millis() - lastBeatMillis)))
        .build();
  }

  @Override
  public void postStop() {
    releasePermit();
    if (session != null) {
      session.close();
    }
  }

  private void enrol(boolean withPermit) {
    holdsPermit |= withPermit;
    try {
      handshake = AgentHandshake.begin(nodeId, nodeKey, "fleet-sim", "fleet-" + nodeId + "-" + attempt, clock);
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("node key of " + nodeId + " cannot sign", e);
    }
    attempt++;
    stats.enrolAttempts.increment();
    enrolStartedNanos = System.nanoTime();
    gateway().tell(handshake.hello(), getSelf());
    getTimers().startSingleTimer("enrol", new EnrolTimedOut(attempt), ENROL_TIMEOUT);
  }

  private void enrolTimedOut(EnrolTimedOut timeout) {
    if (timeout.attempt() == attempt && session == null) {
      stats.enrolTimeouts.increment();
      if (failover) {
        failOver(new Retry(attempt));
      } else {
        enrol(false);
      }
    }
  }

  private void welcomed(SignedWelcome welcome) {
    if (handshake == null || session != null) {
      return;
    }
    try {
      session = handshake.complete(welcome, controllers, clock, MAX_PAYLOAD_BYTES);
    } catch (HandshakeException e) {
      stats.refused("welcome-refused: " + e.getMessage());
      handshake = null;
      return;
    }
    handshake = null;
    getTimers().cancel("enrol");
    failures = 0;
    unacknowledged = 0;
    lastAckMillis = clock.millis();
    stats.enrolLatency.record((System.nanoTime() - enrolStartedNanos) / 1_000);
    if (everEnrolled) {
      stats.reEnrolments.increment();
    } else {
      everEnrolled = true;
      stats.enrolled.incrementAndGet();
    }
    releasePermit();
    Duration interval = session.terms().heartbeatInterval();
    Duration phase = Duration.ofMillis(ThreadLocalRandom.current().nextLong(Math.max(1, interval.toMillis())));
    getTimers().startTimerAtFixedRate("beat", new Beat(), phase, interval);
  }

  private void silence(Silence silence) {
    silenced = true;
    getTimers().cancel("beat");
    silence.lastBeat().complete(lastBeatMillis);
  }

  private void beat() {
    if (session == null || silenced) {
      return;
    }
    if (failover && unacknowledged >= MISSED_ACKS) {
      getTimers().cancel("beat");
      failOver(new Resume());
      return;
    }
    lastBeatMillis = clock.millis();
    Heartbeat heartbeat = Heartbeat.newBuilder().setSentAtUnixMillis(lastBeatMillis).setInfoSetVersion(infoSetVersion).build();
    Frame frame = session.channel().seal(AgentMessage.newBuilder().setHeartbeat(heartbeat).build().toByteArray());
    int slot = (int) (frame.getSequence() % TRACKED);
    sentSequence[slot] = frame.getSequence();
    sentNanos[slot] = System.nanoTime();
    gateway().tell(frame, getSelf());
    unacknowledged++;
    stats.windows.sent(lastBeatMillis);
    if (stats.measuring) {
      stats.heartbeatsSent.increment();
    }
  }

  private void frame(Frame frame) {
    if (session == null || silenced) {
      return;
    }
    ControllerMessage message;
    try {
      message = ControllerMessage.parseFrom(session.channel().open(frame));
    } catch (FrameRefusedException | InvalidProtocolBufferException e) {
      stats.badFrames.increment();
      return;
    }
    switch (message.getBodyCase()) {
      case HEARTBEAT_ACK -> {
        long acked = message.getHeartbeatAck().getAckedSequence();
        int slot = (int) (acked % TRACKED);
        long now = clock.millis();
        long roundTrip = sentSequence[slot] == acked ? (System.nanoTime() - sentNanos[slot]) / 1_000 : -1;
        stats.windows.acknowledged(now, roundTrip, now - lastAckMillis);
        stats.acknowledgedAt(index, now);
        lastAckMillis = now;
        unacknowledged = 0;
        failures = 0;
        if (stats.measuring) {
          stats.acks.increment();
          if (sentSequence[slot] == acked) {
            stats.ackLatency.record((System.nanoTime() - sentNanos[slot]) / 1_000);
          }
        }
      }
      case INFO_SET -> infoSet(message.getInfoSet());
      case QUARANTINED -> {
        stats.quarantined.increment();
        stats.quarantinedAgents.set(index, 1);
        getTimers().cancelAll();
        session.close();
        session = null;
      }
      default -> { }
    }
  }

  /**
   * Opens every file with this boot's key (the real cost on an agent, less the disk), and every
   * staged file (the pending version of a rotating secret) under its staged name, and acknowledges
   * both: a staged file opened is held, as the real agent holds it in locked memory.
   */
  private void infoSet(InfoSet set) {
    Ack.Builder ack = Ack.newBuilder().setInfoSetVersion(set.getVersion());
    int hash = 0;
    for (SecureFile file : set.getFilesList()) {
      FileOutcome.Result result = FileOutcome.Result.APPLIED;
      try (SecretBytes content = session.openSecureFile(file.getName(), file.getVersion(), file.getSealedContent().toByteArray())) {
        stats.filesOpened.increment();
        byte[] bytes = content.copyBytes();
        hash = 31 * hash + java.util.Arrays.hashCode(bytes);
        java.util.Arrays.fill(bytes, (byte) 0);
      } catch (SealedBoxException e) {
        stats.badFrames.increment();
        result = FileOutcome.Result.FAILED;
      }
      ack.addFiles(FileOutcome.newBuilder().setName(file.getName()).setVersion(file.getVersion()).setResult(result));
    }
    for (StagedFile staged : set.getStagedList()) {
      ack.addStaged(stage(staged));
    }
    if (!holdsFiles && set.getFilesCount() > 0) {
      holdsFiles = true;
      stats.holdingFiles.increment();
    }
    infoSetVersion = set.getVersion();
    long now = clock.millis();
    boolean changed = hash != contentHash;
    contentHash = hash;
    if (set.getFilesCount() > 0) {
      stats.contentHashes.set(index, hash);
    }
    if (changed && now >= stats.deliverySince && countedRound != stats.deliveryRound) {
      countedRound = stats.deliveryRound;
      stats.deliveredThisRound.increment();
      stats.lastDeliveryMillis.accumulateAndGet(now, Math::max);
      stats.deliveryMillis.record(now - stats.deliverySince);
    }
    gateway().tell(session.channel().seal(AgentMessage.newBuilder().setAck(ack).build().toByteArray()), getSelf());
  }

  private StagedOutcome stage(StagedFile staged) {
    SecureFile file = staged.getFile();
    StagedOutcome.Builder outcome = StagedOutcome.newBuilder().setSecret(staged.getSecret())
        .setSecretVersion(staged.getSecretVersion()).setFile(file.getName());
    String name = SecureFileBox.stagedName(staged.getSecret(), staged.getSecretVersion(), file.getName());
    try (SecretBytes content = session.openSecureFile(name, file.getVersion(), file.getSealedContent().toByteArray())) {
      stats.stagedOpened.increment();
      return outcome.setHeld(true).build();
    } catch (SealedBoxException e) {
      stats.badFrames.increment();
      return outcome.setHeld(false).setDetail("does not open under its staged name").build();
    }
  }

  private void refused(Refused refused) {
    stats.refused(refused.getReason().name());
    if (refused.getReason() == Refused.Reason.UNKNOWN_SESSION && session != null) {
      getTimers().cancel("beat");
      session.close();
      session = null;
      enrol(false);
    } else if (failover && refused.getReason() == Refused.Reason.MOVED) {
      moved(refused.getMoveToList());
    } else if (failover && refused.getReason() == Refused.Reason.UNAVAILABLE) {
      if (getTimers().isTimerActive("failover")) {
        // A late refusal of an earlier frame (the edge's ask timed out) while this agent already
        // waits to move on: it neither moves it again nor postpones the move. (The real agent's
        // Link restarts its timer here; with a heartbeat shorter than the edge's ask timeout, a
        // stream of such refusals can keep it from ever resuming: see the scenario README.)
        stats.staleRefusals.increment();
      } else if (session != null) {
        getTimers().cancel("beat");
        failOver(new Resume());
      } else if (handshake != null) {
        getTimers().cancel("enrol");
        failOver(new Retry(attempt));
      }
    } else if (session == null && handshake != null) {
      // refused while enrolling (the edge busy or starting): try again shortly
      getTimers().startSingleTimer("enrol", new Retry(attempt), RETRY_AFTER);
    }
  }

  /** The edge hands this agent on: the first edge of {@code moveTo} it knows (else the next), at once. */
  private void moved(List<String> moveTo) {
    int next = moveTo.stream().mapToInt(edges::indexOf).filter(i -> i >= 0).findFirst()
        .orElse((edgeIndex + 1) % edges.size());
    edgeIndex = next;
    stats.redirects.increment();
    // As node-agent's Link: so that the agents of a leaving edge do not all arrive at once elsewhere.
    long bound = Math.min(MOVE_JITTER_MAX.toMillis(),
        session == null ? MOVE_JITTER_MAX.toMillis() : session.terms().heartbeatInterval().toMillis() / 2);
    Duration jitter = Duration.ofMillis(ThreadLocalRandom.current().nextLong(1, Math.max(2, bound + 1)));
    if (session != null) {
      getTimers().cancel("beat");
      getTimers().startSingleTimer("failover", new Resume(), jitter);
    } else if (handshake != null) {
      getTimers().startSingleTimer("enrol", new Retry(attempt), jitter);
    }
  }

  /** On the next edge, the session goes on: a heartbeat there at once, then on schedule. */
  private void resume() {
    if (silenced) {
      return;
    }
    if (session == null) {
      enrol(false);
      return;
    }
    unacknowledged = 0;
    beat();
    getTimers().startTimerAtFixedRate("beat", new Beat(), session.terms().heartbeatInterval());
  }

  /** The next edge after a pause that doubles with each failure (+-20% jitter), bounded by twice the heartbeat. */
  private void failOver(Object then) {
    edgeIndex = (edgeIndex + 1) % edges.size();
    failures++;
    stats.failovers.increment();
    long max = BACKOFF_MAX.toMillis();
    if (session != null) {
      max = Math.min(max, 2 * session.terms().heartbeatInterval().toMillis());
    }
    long base = Math.min(max, BACKOFF_MIN.toMillis() << Math.min(failures - 1, 20));
    long jittered = (long) (base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
    getTimers().startSingleTimer("failover", then, Duration.ofMillis(Math.max(1, jittered)));
  }

  private ActorSelection gateway() {
    return gateways.get(edgeIndex);
  }

  private void releasePermit() {
    if (holdsPermit) {
      holdsPermit = false;
      stats.enrolWindow.release();
    }
  }
}
