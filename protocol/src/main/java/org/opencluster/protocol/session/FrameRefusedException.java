package org.opencluster.protocol.session;

import java.security.GeneralSecurityException;

/** A frame was refused; {@link #reason()} is what gets counted. The message never holds payload. */
public final class FrameRefusedException extends GeneralSecurityException {

  /** Why a frame was refused. */
  public enum Reason {
    /** The frame names another node than the session's. */
    WRONG_NODE,
    /** The frame names another session. */
    UNKNOWN_SESSION,
    /** The payload is larger than this channel accepts. */
    OVERSIZED,
    /** The MAC does not verify: forged, corrupted, or sent under another key. */
    BAD_MAC,
    /** The sequence number is not above the highest accepted: a replay or a reordering. */
    REPLAYED
  }

  private final Reason reason;

  FrameRefusedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** A frame larger than the receiver accepts from this peer (checked before its MAC). */
  public static FrameRefusedException oversized(int size, int limit) {
    return new FrameRefusedException(Reason.OVERSIZED, "frame refused: payload of " + size + " bytes exceeds " + limit);
  }

  public Reason reason() {
    return reason;
  }
}
