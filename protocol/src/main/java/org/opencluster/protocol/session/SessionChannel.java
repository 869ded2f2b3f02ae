package org.opencluster.protocol.session;

import com.google.protobuf.ByteString;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.crypto.FrameMac;
import org.opencluster.protocol.crypto.FrameMacException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.crypto.SessionKeys;

/**
 * One side of an established session: seals outgoing payloads into MAC'd frames with increasing
 * sequence numbers, and opens incoming frames, refusing any for another node or session, any
 * oversized, any whose MAC fails, and any whose sequence number is not above the highest it has
 * accepted (a replay or a reordering).
 *
 * <p>Sequence numbers are clock-based: each frame takes the sender's clock in microseconds since
 * the epoch, or the previous number plus one if that is higher. They still only increase, and
 * they say when a frame was made, so a side that lost its count (a controller taking a session
 * over after a fail-over) can refuse every frame made before a point in time ({@link
 * #refuseUpTo}), and its own frames still come after everything the peer has seen.
 *
 * <p>Thread-safe. Close it when the session ends: the key is zeroed.
 */
public final class SessionChannel implements AutoCloseable {

  /** The length of a session id in every frame. */
  public static final int SESSION_ID_LENGTH = Handshake.SESSION_ID_LENGTH;

  private final String nodeId;
  private final byte[] sessionId;
  private final SessionKeys keys;
  private final FrameMac.Direction outgoing;
  private final FrameMac.Direction incoming;
  private final boolean agentSide;
  private final int maxPayloadBytes;
  private final Clock clock;
  private long lastOutgoing;
  private long highestIncoming;

  SessionChannel(String nodeId, byte[] sessionId, SessionKeys keys, boolean agentSide, int maxPayloadBytes, Clock clock) {
    this.nodeId = nodeId;
    this.sessionId = sessionId.clone();
    this.keys = keys;
    this.outgoing = agentSide ? FrameMac.Direction.AGENT_TO_CONTROLLER : FrameMac.Direction.CONTROLLER_TO_AGENT;
    this.incoming = agentSide ? FrameMac.Direction.CONTROLLER_TO_AGENT : FrameMac.Direction.AGENT_TO_CONTROLLER;
    this.agentSide = agentSide;
    this.maxPayloadBytes = maxPayloadBytes;
    this.clock = clock;
  }

  /**
   * The controller's side of a session it kept: the session id and frame key from {@link
   * #exportFrameKey()}, stored encrypted. Frames the agent made before {@code refuseBefore} are
   * refused. The highest sequence the previous controller accepted is not stored, so a frame made
   * after {@code refuseBefore} and already accepted there is accepted here once more: callers
   * choose {@code refuseBefore} as late as the agents' clock skew allows (the controller: the
   * take-over less {@code hello-max-skew}).
   */
  public static SessionChannel restoreForController(String nodeId, byte[] sessionId, SecretBytes frameKey,
      int maxPayloadBytes, Clock clock, Instant refuseBefore) {
    SessionChannel channel = new SessionChannel(nodeId, sessionId, SessionKeys.restore(frameKey), false, maxPayloadBytes,
        clock);
    channel.refuseUpTo(sequenceAt(refuseBefore));
    return channel;
  }

  /** The sequence number a frame made at {@code at} carries (at least). */
  public static long sequenceAt(Instant at) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, at);
  }

  public String nodeId() {
    return nodeId;
  }

  public byte[] sessionId() {
    return sessionId.clone();
  }

  /** A copy of the frame key, for the controller's encrypted journal only; close it when written. */
  public SecretBytes exportFrameKey() {
    return keys.exportFrameKey();
  }

  /** From now on, refuses every incoming frame numbered {@code sequence} or lower. */
  private synchronized void refuseUpTo(long sequence) {
    if (Long.compareUnsigned(sequence, highestIncoming) > 0) {
      highestIncoming = sequence;
    }
  }

  /** The agent's side: proves it holds this session, for a re-key Hello ({@link AgentHandshake#rekey}). */
  byte[] rekeyProof(byte[] helloBytes) {
    if (!agentSide) {
      throw new IllegalStateException("only the agent proves a re-key");
    }
    return keys.rekeyProof(sessionId, helloBytes);
  }

  /** The controller's side: whether {@code proof} shows the agent of this session sent {@code helloBytes}. */
  boolean verifiesRekeyProof(byte[] helloBytes, byte[] proof) {
    return !agentSide && keys.verifiesRekeyProof(sessionId, helloBytes, proof);
  }

  /** A frame carrying {@code payload} (a serialized AgentMessage or ControllerMessage). */
  public Frame seal(byte[] payload) {
    if (payload.length > maxPayloadBytes) {
      throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds " + maxPayloadBytes);
    }
    long sequence = nextOutgoing();
    byte[] mac = keys.frameMac().compute(outgoing, nodeId, sessionId, sequence, payload);
    return Frame.newBuilder()
        .setNodeId(nodeId)
        .setSessionId(ByteString.copyFrom(sessionId))
        .setSequence(sequence)
        .setPayload(ByteString.copyFrom(payload))
        .setMac(ByteString.copyFrom(mac))
        .build();
  }

  /**
   * The payload of an incoming frame, once every check passed.
   *
   * @throws FrameRefusedException naming the check that failed; the channel's state is unchanged
   */
  public byte[] open(Frame frame) throws FrameRefusedException {
    if (!nodeId.equals(frame.getNodeId())) {
      throw new FrameRefusedException(FrameRefusedException.Reason.WRONG_NODE, "frame refused: it is for another node");
    }
    if (!MessageDigest.isEqual(sessionId, frame.getSessionId().toByteArray())) {
      throw new FrameRefusedException(FrameRefusedException.Reason.UNKNOWN_SESSION, "frame refused: unknown session");
    }
    if (frame.getPayload().size() > maxPayloadBytes) {
      throw new FrameRefusedException(FrameRefusedException.Reason.OVERSIZED,
          "frame refused: payload of " + frame.getPayload().size() + " bytes exceeds " + maxPayloadBytes);
    }
    byte[] payload = frame.getPayload().toByteArray();
    try {
      keys.frameMac().verify(incoming, nodeId, sessionId, frame.getSequence(), payload, frame.getMac().toByteArray());
    } catch (FrameMacException e) {
      throw new FrameRefusedException(FrameRefusedException.Reason.BAD_MAC, e.getMessage());
    }
    synchronized (this) {
      if (Long.compareUnsigned(frame.getSequence(), highestIncoming) <= 0) {
        throw new FrameRefusedException(FrameRefusedException.Reason.REPLAYED,
            "frame refused: sequence " + Long.toUnsignedString(frame.getSequence()) + " is not above "
                + Long.toUnsignedString(highestIncoming) + " (replayed, reordered, or made before a fail-over)");
      }
      highestIncoming = frame.getSequence();
    }
    return payload;
  }

  @Override
  public void close() {
    keys.close();
  }

  @Override
  public String toString() {
    return "SessionChannel[node=" + nodeId + ", key=[secret]]";
  }

  private synchronized long nextOutgoing() {
    lastOutgoing = Math.max(lastOutgoing + 1, sequenceAt(clock.instant()));
    return lastOutgoing;
  }
}
