package org.opencluster.protocol.crypto;

import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.ECPublicKey;
import javax.crypto.Mac;

/**
 * The keys of one agent session, derived on both sides from the two ephemeral P-256 keys (one
 * made by the agent for this boot, one by the controller for this session) and the whole
 * handshake:
 *
 * <pre>
 * transcript = len-prefixed(agent point, controller point, signed Hello bytes, signed Welcome bytes)
 * ikm        = ECDH(own ephemeral, peer ephemeral)
 * frame key  = HKDF-SHA256(ikm, salt = SHA-256(transcript), info = "opencluster/session/v1", 32)
 * </pre>
 *
 * The session key never travels. Each side signed its ephemeral key (the agent in Hello with its
 * node key, the controller in Welcome with its controller key, over the Hello's hash), so only
 * the two parties of this handshake can derive it, and any change to either message, or a
 * substituted key, yields a different key and frames that do not verify.
 *
 * <p>A re-key proof (the agent asking for a new session in place of this one) is an HMAC-SHA256
 * under a key of its own, {@code HKDF-Expand(frame key, "opencluster/rekey/v1", 32)}, over the
 * length-prefixed session id and the new Hello's bytes: no frame MAC is ever a valid proof, and
 * the other way round.
 */
public final class SessionKeys implements AutoCloseable {

  private static final byte[] INFO = Labels.encode("opencluster/session/v1");
  private static final byte[] REKEY_INFO = Labels.encode("opencluster/rekey/v1");

  private final SecretBytes frameKey;
  private final FrameMac frameMac;

  private SessionKeys(SecretBytes frameKey) {
    this.frameKey = frameKey;
    this.frameMac = FrameMac.create(frameKey);
  }

  /**
   * The keys of a session whose frame key the controller kept (encrypted, in its journal) so the
   * session survives a fail-over to another controller.
   *
   * @param frameKey from {@link #exportFrameKey()}; copied, the caller closes its own
   */
  public static SessionKeys restore(SecretBytes frameKey) {
    if (frameKey.length() != FrameMac.KEY_LENGTH) {
      throw new IllegalArgumentException("a session frame key is " + FrameMac.KEY_LENGTH + " bytes");
    }
    return new SessionKeys(frameKey.copy());
  }

  /**
   * A copy of the frame key, for the controller to keep with the session in its encrypted journal.
   * Never log it, never store it anywhere else; close it when it is written.
   */
  public SecretBytes exportFrameKey() {
    return frameKey.copy();
  }

  /** The agent's side: its ephemeral pair for this boot and the controller's ephemeral key. */
  public static SessionKeys forAgent(
      KeyPair agentEphemeral, ECPublicKey controllerEphemeral, byte[] helloBytes, byte[] welcomeBytes)
      throws InvalidKeyException {
    return derive(agentEphemeral, controllerEphemeral, (ECPublicKey) agentEphemeral.getPublic(), controllerEphemeral,
        helloBytes, welcomeBytes);
  }

  /** The controller's side: its ephemeral pair for this session and the agent's ephemeral key. */
  public static SessionKeys forController(
      KeyPair controllerEphemeral, ECPublicKey agentEphemeral, byte[] helloBytes, byte[] welcomeBytes)
      throws InvalidKeyException {
    return derive(controllerEphemeral, agentEphemeral, agentEphemeral, (ECPublicKey) controllerEphemeral.getPublic(),
        helloBytes, welcomeBytes);
  }

  private static SessionKeys derive(KeyPair own, ECPublicKey peer, ECPublicKey agentPoint, ECPublicKey controllerPoint,
      byte[] helloBytes, byte[] welcomeBytes) throws InvalidKeyException {
    byte[] transcript = Labels.lengthPrefixed(EcKeys.encodePoint(agentPoint), EcKeys.encodePoint(controllerPoint),
        helloBytes, welcomeBytes);
    try (SecretBytes shared = Ecdh.agree(own.getPrivate(), peer)) {
      return new SessionKeys(Hkdf.derive(shared, sha256(transcript), INFO, FrameMac.KEY_LENGTH));
    }
  }

  /** The proof that the holder of this session sent {@code helloBytes} to replace session {@code sessionId}. */
  public byte[] rekeyProof(byte[] sessionId, byte[] helloBytes) {
    try (SecretBytes key = Hkdf.expand(frameKey, REKEY_INFO, FrameMac.KEY_LENGTH)) {
      Mac mac = key.read(Hkdf::hmac);
      mac.update(Labels.lengthPrefixed(sessionId, helloBytes));
      return mac.doFinal();
    }
  }

  /** Whether {@code proof} is {@link #rekeyProof} of these inputs; compares in constant time. */
  public boolean verifiesRekeyProof(byte[] sessionId, byte[] helloBytes, byte[] proof) {
    return proof != null && proof.length > 0 && MessageDigest.isEqual(rekeyProof(sessionId, helloBytes), proof);
  }

  /** The MAC for this session's frames. */
  public FrameMac frameMac() {
    return frameMac;
  }

  @Override
  public void close() {
    frameMac.close();
    frameKey.close();
  }

  @Override
  public String toString() {
    return "SessionKeys[[secret]]";
  }

  static byte[] sha256(byte[] input) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(input);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable in this JVM", e);
    }
  }
}
