package org.opencluster.agent;

import com.google.protobuf.InvalidProtocolBufferException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.Props;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.opencluster.protocol.agent.v1.AgentMessage;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.Heartbeat;
import org.opencluster.protocol.agent.v1.HeartbeatAck;
import org.opencluster.protocol.agent.v1.Quarantined;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.agent.v1.SignedWelcome;
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
 */
final class Link extends AbstractActorWithTimers {

  /** The Welcome's chain names a controller of this cluster; frames larger than this are refused. */
  static final int MAX_PAYLOAD_BYTES = 240 * 1024;
  private static final Duration LEASE_CHECK_EVERY = Duration.ofMillis(500);
  private static final String AGENT_VERSION = "0.1";

  private record Enrol() {}

  private record EnrolTimedOut(int attempt) {}

  private record Beat() {}

  private record CheckLease() {}

  private record Resume() {}

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

  private int edgeIndex;
  private int attempt;
  private int failures;
  private AgentHandshake handshake;
  private AgentSession session;
  private int unacknowledged;
  private Instant leaseExpiresAt;
  private boolean stopped;

  private Link(AgentSettings settings, PrivateKey nodeKey, CertificateValidator controllers, String bootId, Clock clock,
      CompletableFuture<Agent.Outcome> outcome, AgentState state) {
    this.settings = settings;
    this.nodeKey = nodeKey;
    this.controllers = controllers;
    this.bootId = bootId;
    this.clock = clock;
    this.outcome = outcome;
    this.state = state;
    this.edgeIndex = ThreadLocalRandom.current().nextInt(settings.edges().size());
  }

  static Props props(AgentSettings settings, PrivateKey nodeKey, CertificateValidator controllers, String bootId,
      Clock clock, CompletableFuture<Agent.Outcome> outcome, AgentState state) {
    return Props.create(Link.class, () -> new Link(settings, nodeKey, controllers, bootId, clock, outcome, state));
  }

  @Override
  public void preStart() {
    getSelf().tell(new Enrol(), getSelf());
    getTimers().startTimerWithFixedDelay("lease", new CheckLease(), LEASE_CHECK_EVERY);
  }

  @Override
  public void postStop() {
    wipe();
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
    log.info("Enrolling with {} (attempt {})", edge(), attempt);
    gateway().tell(handshake.hello(), getSelf());
    getTimers().startSingleTimer("enrol", new EnrolTimedOut(attempt), settings.enrolTimeout());
  }

  private void enrolTimedOut(EnrolTimedOut timeout) {
    if (timeout.attempt() == attempt && session == null && handshake != null) {
      log.warning("No answer from {} within {}; trying the next edge", edge(), settings.enrolTimeout());
      failOver(new Enrol());
    }
  }

  private void welcomed(SignedWelcome welcome) {
    if (handshake == null || session != null) {
      log.warning("Ignored a Welcome this agent did not ask for");
      return;
    }
    try {
      session = handshake.complete(welcome, controllers, clock, MAX_PAYLOAD_BYTES);
    } catch (HandshakeException e) {
      log.warning("Refused a Welcome from {}: {}", edge(), e.getMessage());
      handshake = null;
      failOver(new Enrol());
      return;
    }
    handshake = null;
    getTimers().cancel("enrol");
    failures = 0;
    leaseExpiresAt = session.terms().leaseExpiresAt();
    state.established(session.controller().toString(), leaseExpiresAt);
    log.info("Enrolled with {} at {}: heartbeat every {}, lease until {}", session.controller(), edge(),
        session.terms().heartbeatInterval(), leaseExpiresAt);
    beat();
    getTimers().startTimerWithFixedDelay("beat", new Beat(), session.terms().heartbeatInterval());
  }

  // ---- heartbeats ---------------------------------------------------------------------------

  private void beat() {
    if (session == null || stopped) {
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
      case INFO_SET -> log.info("Received node information set version {} (delivery arrives with the secure-files "
          + "issue)", message.getInfoSet().getVersion());
      default -> log.warning("Ignored an empty controller message");
    }
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
    switch (refused.getReason()) {
      case UNKNOWN_SESSION -> {
        log.warning("{} does not know this agent's session; enrolling again", edge());
        getTimers().cancel("beat");
        wipe();
        getSelf().tell(new Enrol(), getSelf());
      }
      case NODE_NOT_ACTIVE -> finish(Agent.Outcome.REFUSED, "the controllers refuse this node: " + refused.getDetail());
      case UNAVAILABLE -> {
        log.warning("{} is not serving: {}", edge(), refused.getDetail());
        getTimers().cancel("beat");
        failOver(session == null ? new Enrol() : new Resume());
      }
      default -> {
        log.warning("{} refused a message ({}): {}", edge(), refused.getReason(), refused.getDetail());
        if (session == null) {
          handshake = null;
          failOver(new Enrol());
        }
      }
    }
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
    Instant now = clock.instant();
    while (!reconnects.isEmpty() && reconnects.peekFirst().isBefore(now.minus(Duration.ofMinutes(1)))) {
      reconnects.removeFirst();
    }
    if (reconnects.size() >= settings.maxReconnectsPerMinute()) {
      jittered = Math.max(jittered, Duration.between(now, reconnects.peekFirst().plus(Duration.ofMinutes(1))).toMillis());
    }
    reconnects.addLast(now.plusMillis(jittered));
    state.failedOver();
    getTimers().startSingleTimer("failover", then, Duration.ofMillis(Math.max(jittered, 1)));
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
