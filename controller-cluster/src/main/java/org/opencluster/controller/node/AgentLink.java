package org.opencluster.controller.node;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayInputStream;
import java.security.InvalidKeyException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import org.opencluster.controller.node.NodeEntity.EdgeReply;
import org.opencluster.controller.node.NodeEntity.HeartbeatAccepted;
import org.opencluster.controller.node.NodeEntity.NodeFacts;
import org.opencluster.controller.node.NodeEntity.QuarantineReason;
import org.opencluster.controller.node.NodeEntity.Session;
import org.opencluster.protocol.agent.v1.AgentMessage;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.HeartbeatAck;
import org.opencluster.protocol.agent.v1.Quarantined;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.agent.v1.Rekey;
import org.opencluster.protocol.agent.v1.SignedHello;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.edge.EdgeSerializer;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.pki.Certificates;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.session.ControllerHandshake;
import org.opencluster.protocol.session.FrameRefusedException;
import org.opencluster.protocol.session.HandshakeException;
import org.opencluster.protocol.session.SessionChannel;
import org.opencluster.protocol.session.SessionTerms;
import org.opencluster.protocol.session.VerifiedHello;
import org.opencluster.protocol.tls.KeyMaterial;
import org.slf4j.Logger;

/**
 * The cryptography of one node's agent session, for its entity: checking a Hello, answering with
 * a Welcome, opening and sealing frames, and what is only known in memory (the frame channel, when
 * the agent was last heard, a session just replaced). One per incarnation of the entity; used
 * only from the entity's thread.
 */
final class AgentLink {

  /** Large enough for an InfoSet frame from the controller; what agents may send is smaller. */
  private static final int CHANNEL_PAYLOAD_LIMIT = EdgeSerializer.MAX_MESSAGE_BYTES - 1024;
  private static final int REMEMBERED_NONCES = 16;

  /**
   * A Hello that passed every check, or why it did not. {@code rekey}: it proved it comes from the
   * agent of the live session, which it replaces in place (no second enrolment, no clone).
   */
  record Checked(VerifiedHello hello, Optional<EdgeReply> refusal, boolean rekey) {}

  /** An accepted enrolment: the session to store, its channel, and the Welcome for the agent. */
  record Welcomed(Session session, SessionChannel channel, EdgeReply reply) {}

  private final String nodeId;
  private final NodeEnvironment environment;
  private final NodeSettings settings;
  private final Logger log;
  private final Deque<ByteString> recentNonces = new ArrayDeque<>();
  private SessionChannel channel;
  private ByteString channelSessionId;
  private Instant lastFrameAt;
  private SessionChannel replacedChannel;
  /** Delayed heartbeats of the replaced session ignored so far. */
  private int staleFromReplaced;
  private ByteString replacedSessionId;
  private Instant replacedAt;
  private boolean replacedByRekey;
  private Instant rekeyAskedAt;
  private Instant recoveredAt;

  AgentLink(String nodeId, NodeEnvironment environment, Logger log) {
    this.nodeId = nodeId;
    this.environment = environment;
    this.settings = environment.settings();
    this.log = log;
  }

  Checked checkHello(NodeFacts facts, Optional<Session> previous, ByteString signedHello, Instant now) {
    if (facts.certificate().isEmpty()) {
      return refused(Refused.Reason.NOT_AUTHENTICATED, "node " + nodeId + " has no registered certificate");
    }
    SignedHello signed;
    try {
      signed = SignedHello.parseFrom(signedHello);
    } catch (InvalidProtocolBufferException e) {
      return refused(Refused.Reason.MALFORMED, "not a SignedHello");
    }
    VerifiedHello hello;
    try {
      hello = ControllerHandshake.verifyHello(signed, certificate(facts), now, settings.helloMaxSkew());
    } catch (HandshakeException e) {
      log.warn("Node {}: refused an enrolment ({}): {}", nodeId, e.reason(), e.getMessage());
      return new Checked(null, Optional.of(new EdgeReply(EdgeReply.Kind.REFUSED, e.toRefused().toByteString())), false);
    } catch (CertificateException e) {
      return refused(Refused.Reason.NOT_AUTHENTICATED, "node " + nodeId + "'s registered certificate is unreadable");
    }
    ByteString nonce = ByteString.copyFrom(hello.nonce());
    if (recentNonces.contains(nonce) || previous.map(s -> s.helloNonce().equals(nonce)).orElse(false)) {
      log.warn("Node {}: refused a replayed Hello", nodeId);
      return refused(Refused.Reason.NOT_AUTHENTICATED, "this Hello was already answered (a replay)");
    }
    if (previous.isPresent() && !hello.sentAt().isAfter(previous.get().helloSentAt())) {
      // An agent's every new Hello is later than the last; an earlier one is a replay (the nonces
      // of replaced sessions are remembered only in memory, and forgotten when the entity moves).
      log.warn("Node {}: refused a Hello made no later than the one that opened its session", nodeId);
      return refused(Refused.Reason.NOT_AUTHENTICATED,
          "this Hello is not newer than the one that opened the node's session (a replay, or the agent's clock went back)");
    }
    if (!hello.claimsRekey()) {
      return new Checked(hello, Optional.empty(), false);
    }
    if (previous.isEmpty()) {
      log.warn("Node {}: refused a re-key: the node has no session", nodeId);
      return refused(Refused.Reason.NOT_AUTHENTICATED, "a re-key of node " + nodeId + ", which has no session");
    }
    try {
      ControllerHandshake.verifyRekey(hello, channel(previous.get(), now));
    } catch (HandshakeException e) {
      // Refused, and nothing else: a bad proof is no evidence of a clone (anyone with the node's key
      // could send one), and never a re-key.
      log.warn("Node {}: refused a re-key: {}", nodeId, e.getMessage());
      return new Checked(null, Optional.of(new EdgeReply(EdgeReply.Kind.REFUSED, e.toRefused().toByteString())), false);
    }
    return new Checked(hello, Optional.empty(), true);
  }

  /** Why this enrolment means a cloned host, if it does. */
  Optional<String> cloneIn(NodeFacts facts, Optional<Session> previous, VerifiedHello hello, Instant now) {
    if (previous.isEmpty()) {
      return Optional.empty();
    }
    String bootId = printable(hello.bootId());
    if (facts.bootstrap() == NodeEntity.Bootstrap.SINGLE_USE) {
      return Optional.of("a second enrolment of single-use node " + nodeId + " (boot " + bootId + ")");
    }
    boolean live = lastFrameAt != null && Duration.between(lastFrameAt, now).compareTo(settings.sessionSilence()) < 0;
    if (live && !previous.get().bootId().equals(hello.bootId())) {
      return Optional.of("an agent of boot " + bootId + " enrolled while the session of boot "
          + printable(previous.get().bootId()) + " is live");
    }
    return Optional.empty();
  }

  /** Signs the Welcome and derives the session. */
  Welcomed welcome(VerifiedHello hello, NodeFacts facts, Instant leaseExpiresAt) {
    KeyMaterial keys = environment.controllerKeys().get();
    SessionTerms terms = new SessionTerms(leaseExpiresAt, settings.heartbeatInterval(), facts.lifetimeEndsAt());
    ControllerHandshake.Accepted accepted;
    try {
      accepted = ControllerHandshake.welcome(hello, keys.key(), keys.chain(), terms, environment.clock(),
          CHANNEL_PAYLOAD_LIMIT);
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("this controller's key cannot sign a Welcome", e);
    }
    Session session = new Session(ByteString.copyFrom(accepted.channel().sessionId()), hello.bootId(),
        ByteString.copyFrom(EcKeys.encodePoint(hello.agentEphemeralKey())), ByteString.copyFrom(hello.nonce()),
        hello.sentAt(), accepted.channel().exportFrameKey(), environment.clock().instant());
    return new Welcomed(session, accepted.channel(),
        new EdgeReply(EdgeReply.Kind.WELCOME, accepted.welcome().toByteString()));
  }

  /**
   * The Welcome's session is stored: it is the one frames are checked against from now on. {@code
   * rekey}: it replaced the previous one in place, so that session's frames still in flight are
   * no sign of a clone.
   */
  void opened(Welcomed welcomed, Optional<Session> previous, Instant now, boolean rekey) {
    if (previous.isPresent() && !previous.get().sessionId().equals(welcomed.session().sessionId())) {
      // Kept for a deadline: a frame MAC'd with the replaced session's key means its agent still speaks.
      SessionChannel old = channel(previous.get(), now);
      channel = null;
      channelSessionId = null;
      forgetReplaced();
      replacedChannel = old;
      staleFromReplaced = 0;
      replacedSessionId = previous.get().sessionId();
      replacedAt = now;
      replacedByRekey = rekey;
    }
    rekeyAskedAt = null;
    forgetCurrent();
    channel = welcomed.channel();
    channelSessionId = welcomed.session().sessionId();
    lastFrameAt = now;
    recentNonces.addLast(welcomed.session().helloNonce());
    while (recentNonces.size() > REMEMBERED_NONCES) {
      recentNonces.removeFirst();
    }
  }

  /** What a frame of the session just replaced says about who speaks for the node. */
  enum Replaced {
    /** Not that session's (or too late, or its MAC fails): an unknown session. */
    NO,
    /**
     * That session's, but made before the Hello of the live session: a frame the agent sent before
     * it enrolled again, held up on the way (a link that was down delivers what it queued when it
     * comes back). No sign of a second agent.
     */
    STALE,
    /** That session's heartbeat, made after the live session's Hello: a second agent speaks. */
    SPEAKS
  }

  /**
   * Whether {@code frame} comes from the agent of the session just replaced, within a deadline of
   * it: its session id, and a MAC only that session's key makes (so nobody can forge a clone); and
   * whether it was made after {@code liveHelloSentAt}, the Hello that opened the live session (its
   * heartbeat's time, by the same agent's clock when it is the same agent) or long before it, or
   * after a few delayed ones already. Frames without a time (acknowledgements) are never taken for
   * a clone: a clone heartbeats, and is caught then.
   */
  Replaced replacedSessionSpeaks(Frame frame, Instant now, Instant liveHelloSentAt) {
    if (replacedChannel == null || !replacedSessionId.equals(frame.getSessionId())
        || Duration.between(replacedAt, now).compareTo(settings.heartbeatDeadline()) >= 0) {
      return Replaced.NO;
    }
    byte[] payload;
    try {
      payload = replacedChannel.open(frame);
    } catch (FrameRefusedException e) {
      return Replaced.NO;
    }
    try {
      AgentMessage message = AgentMessage.parseFrom(payload);
      if (message.hasHeartbeat()) {
        Instant sentAt = Instant.ofEpochMilli(message.getHeartbeat().getSentAtUnixMillis());
        // Delayed frames of the agent itself were made shortly before it enrolled again, and are few
        // (it sends a couple without an answer before it moves on); anything else speaks now.
        if (sentAt.isAfter(liveHelloSentAt) || sentAt.isBefore(liveHelloSentAt.minus(settings.heartbeatDeadline()))
            || ++staleFromReplaced > settings.allowedMisses() + 2) {
          return Replaced.SPEAKS;
        }
      }
      return Replaced.STALE;
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return Replaced.STALE;
    } finally {
      java.util.Arrays.fill(payload, (byte) 0);
    }
  }

  /**
   * Whether the session just replaced was replaced by a proven re-key: its agent switched to the
   * new session after sending the re-key Hello, so its frames are ones sent before, in flight.
   */
  boolean replacedByRekey() {
    return replacedByRekey;
  }

  /**
   * A Rekey frame for the agent of {@code session} when the node's credential rotation came due
   * after the session opened (the last rotation was due at {@code nextRotationAt} less the
   * interval); none if it is not due, or if one was sent less than a heartbeat interval ago.
   */
  Optional<Frame> rekeyRequest(Session session, NodeFacts facts, Instant now) {
    Instant lastDue = facts.nextRotationAt().minus(settings.credentialRotationInterval());
    if (!session.openedAt().isBefore(lastDue)
        || (rekeyAskedAt != null && now.isBefore(rekeyAskedAt.plus(settings.heartbeatInterval())))) {
      return Optional.empty();
    }
    rekeyAskedAt = now;
    log.info("Node {}: its credential rotation was due at {}, after its session opened at {}: asked the agent to re-key",
        nodeId, lastDue, session.openedAt());
    return Optional.of(sealFrame(session, ControllerMessage.newBuilder().setRekey(Rekey.getDefaultInstance()).build()));
  }

  /**
   * The payload of a frame of {@code session}.
   *
   * @throws FrameRefusedException if it is too large, not MAC'd with the session's key, or replayed
   */
  byte[] open(Session session, Frame frame, Instant now) throws FrameRefusedException {
    if (frame.getPayload().size() > settings.maxFramePayloadBytes()) {
      throw FrameRefusedException.oversized(frame.getPayload().size(), settings.maxFramePayloadBytes());
    }
    byte[] payload = channel(session, now).open(frame);
    lastFrameAt = now;
    return payload;
  }

  EdgeReply heartbeatAck(Session session, long ackedSequence, HeartbeatAccepted accepted) {
    return seal(session, ControllerMessage.newBuilder().setHeartbeatAck(HeartbeatAck.newBuilder()
        .setAckedSequence(ackedSequence)
        .setLeaseExpiresAtUnixMillis(accepted.leaseExpiresAt().toEpochMilli())
        .setNextHeartbeatMillis(Math.toIntExact(accepted.nextHeartbeatIn().toMillis()))).build());
  }

  EdgeReply quarantined(Session session, QuarantineReason reason, String detail, Instant at) {
    return seal(session, ControllerMessage.newBuilder().setQuarantined(Quarantined.newBuilder()
        .setReason(Quarantined.Reason.valueOf(reason.name())).setDetail(detail).setAtUnixMillis(at.toEpochMilli()))
        .build());
  }

  EdgeReply lifetimeEnded(Session session, Instant at) {
    return seal(session, ControllerMessage.newBuilder().setQuarantined(Quarantined.newBuilder()
        .setReason(Quarantined.Reason.LIFETIME_ENDED).setDetail("the node's lifetime ended")
        .setAtUnixMillis(at.toEpochMilli())).build());
  }

  /**
   * This incarnation recovered a stored history: the agent may be mid-session with another
   * controller's incarnation, so its session counts as live until it has been silent for a while.
   */
  void recovered(Instant now) {
    recoveredAt = now;
    lastFrameAt = now;
  }

  /** Drops the channels (and their keys) held in memory. */
  void forget() {
    forgetCurrent();
    forgetReplaced();
  }

  private void forgetCurrent() {
    if (channel != null) {
      channel.close();
      channel = null;
      channelSessionId = null;
    }
  }

  private void forgetReplaced() {
    if (replacedChannel != null) {
      replacedChannel.close();
      replacedChannel = null;
    }
  }

  private EdgeReply seal(Session session, ControllerMessage message) {
    return EdgeReply.frame(sealFrame(session, message));
  }

  /** {@code message} in the session's next frame to the agent. */
  Frame sealFrame(Session session, ControllerMessage message) {
    return channel(session, environment.clock().instant()).seal(message.toByteArray());
  }

  /** The session's channel, restored from the stored session after a recovery or fail-over. */
  private SessionChannel channel(Session session, Instant now) {
    if (channel != null && session.sessionId().equals(channelSessionId)) {
      return channel;
    }
    forgetCurrent();
    Instant takeOver = (recoveredAt == null ? now : recoveredAt).minus(settings.helloMaxSkew());
    channel = SessionChannel.restoreForController(nodeId, session.sessionId().toByteArray(), session.frameKey(),
        CHANNEL_PAYLOAD_LIMIT, environment.clock(), takeOver);
    channelSessionId = session.sessionId();
    return channel;
  }

  private static Checked refused(Refused.Reason reason, String detail) {
    return new Checked(null, Optional.of(EdgeReply.refused(reason, detail, false)), false);
  }

  static X509Certificate certificate(NodeFacts facts) throws CertificateException {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(facts.certificate().toByteArray()));
  }

  /** Why {@code der} is not a certificate of node {@code nodeId}, if it is not. */
  static Optional<String> checkCertificate(ByteString der, String nodeId) {
    try {
      X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der.toByteArray()));
      Identity identity = Certificates.identityOf(certificate);
      if (identity.kind() != Identity.Kind.NODE || !identity.name().equals(nodeId)) {
        return Optional.of("the certificate is for " + identity + ", not node " + nodeId);
      }
      return Optional.empty();
    } catch (CertificateException | ClassCastException e) {
      return Optional.of("the certificate is not a readable X.509 node certificate");
    }
  }

  /** Agent-chosen text, made safe for a log line or a message. */
  static String printable(String text) {
    return CertificateValidator.sanitize(text);
  }
}
