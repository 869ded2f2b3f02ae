package org.opencluster.protocol.crypto;

import java.security.MessageDigest;
import java.util.Objects;
import javax.crypto.Mac;

/**
 * HMAC-SHA256 over a frame: direction, node id, session id, sequence number and payload, each
 * length-prefixed so no two different frames share an input. The direction stops a frame from
 * being reflected back to its sender; the node and session ids stop it from being replayed into
 * another session. Verification compares in constant time.
 *
 * <p>Thread-safe. Close it when the session ends: the key is zeroed, and every later use throws.
 */
public final class FrameMac implements AutoCloseable {

  /** Who sent the frame. */
  public enum Direction {
    AGENT_TO_CONTROLLER(1),
    CONTROLLER_TO_AGENT(2);

    private final byte code;

    Direction(int code) {
      this.code = (byte) code;
    }
  }

  public static final int KEY_LENGTH = 32;
  public static final int MAC_LENGTH = 32;
  private static final byte[] LABEL = Labels.encode("opencluster/frame/v1");

  private final SecretBytes key;

  private FrameMac(SecretBytes key) {
    this.key = key;
  }

  /** A frame MAC under a copy of {@code sessionKey} (32 bytes). */
  public static FrameMac create(SecretBytes sessionKey) {
    if (sessionKey.length() != KEY_LENGTH) {
      throw new IllegalArgumentException("frame MAC key must be " + KEY_LENGTH + " bytes");
    }
    return new FrameMac(sessionKey.copy());
  }

  public byte[] compute(Direction direction, String nodeId, byte[] sessionId, long sequence, byte[] payload) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(payload, "payload");
    Mac mac = key.read(Hkdf::hmac);
    mac.update(LABEL);
    mac.update(direction.code);
    update(mac, Labels.utf8(nodeId));
    update(mac, sessionId);
    for (int shift = 56; shift >= 0; shift -= 8) {
      mac.update((byte) (sequence >>> shift));
    }
    update(mac, payload);
    return mac.doFinal();
  }

  /**
   * Verifies {@code mac} in constant time.
   *
   * @throws FrameMacException if it does not match (wrong key, or any input changed)
   */
  public void verify(
      Direction direction, String nodeId, byte[] sessionId, long sequence, byte[] payload, byte[] mac)
      throws FrameMacException {
    byte[] expected = compute(direction, nodeId, sessionId, sequence, payload);
    if (mac == null || !MessageDigest.isEqual(expected, mac)) {
      throw new FrameMacException("frame refused: MAC does not verify");
    }
  }

  @Override
  public void close() {
    key.close();
  }

  @Override
  public String toString() {
    return "FrameMac[key=[secret]]";
  }

  private static void update(Mac mac, byte[] part) {
    mac.update((byte) (part.length >>> 24));
    mac.update((byte) (part.length >>> 16));
    mac.update((byte) (part.length >>> 8));
    mac.update((byte) part.length);
    mac.update(part);
  }
}
