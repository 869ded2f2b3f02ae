package org.opencluster.protocol.session;

import com.google.protobuf.ByteString;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicLong;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.crypto.FrameMac;
import org.opencluster.protocol.crypto.FrameMacException;
import org.opencluster.protocol.crypto.SessionKeys;

/**
 * One side of an established session: seals outgoing payloads into MAC'd frames with increasing
 * sequence numbers, and opens incoming frames, refusing any for another node or session, any
 * oversized, any whose MAC fails, and any whose sequence number is not above the highest it has
 * accepted (a replay or a reordering).
 *
 * <p>Thread-safe. Close it when the session ends: the key is zeroed.
 */
public final class SessionChannel implements AutoCloseable {

  private final String nodeId;
  private final byte[] sessionId;
  private final SessionKeys keys;
  private final FrameMac.Direction outgoing;
  private final FrameMac.Direction incoming;
  private final int maxPayloadBytes;
  private final AtomicLong nextOutgoing = new AtomicLong(1);
  private long highestIncoming;

  SessionChannel(String nodeId, byte[] sessionId, SessionKeys keys, boolean agentSide, int maxPayloadBytes) {
    this.nodeId = nodeId;
    this.sessionId = sessionId.clone();
    this.keys = keys;
    this.outgoing = agentSide ? FrameMac.Direction.AGENT_TO_CONTROLLER : FrameMac.Direction.CONTROLLER_TO_AGENT;
    this.incoming = agentSide ? FrameMac.Direction.CONTROLLER_TO_AGENT : FrameMac.Direction.AGENT_TO_CONTROLLER;
    this.maxPayloadBytes = maxPayloadBytes;
  }

  public String nodeId() {
    return nodeId;
  }

  public byte[] sessionId() {
    return sessionId.clone();
  }

  /** A frame carrying {@code payload} (a serialized AgentMessage or ControllerMessage). */
  public Frame seal(byte[] payload) {
    if (payload.length > maxPayloadBytes) {
      throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds " + maxPayloadBytes);
    }
    long sequence = nextOutgoing.getAndIncrement();
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
                + highestIncoming + " (replayed or reordered)");
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
}
