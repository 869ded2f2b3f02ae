package org.opencluster.protocol.crypto;

import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.ECPublicKey;
import javax.crypto.Mac;

/**
 * The keys of one agent session, derived on both sides from the two ephemeral P-256 keys (one
 * made by the agent for this boot, one by the controller for this session) and the transcript:
 *
 * <pre>
 * transcript = len-prefixed(signed Hello bytes, session id, controller ephemeral point)
 * ikm        = ECDH(own ephemeral, peer ephemeral)
 * okm        = HKDF-SHA256(ikm, salt = SHA-256(transcript), info = "opencluster/session/v1", 64)
 * frame key  = okm[0..32)      -> FrameMac
 * confirm    = okm[32..64)     -> key confirmation = HMAC(confirm, "welcome" || transcript)
 * </pre>
 *
 * The session key never travels: each side derives it, and the controller's key confirmation in
 * Welcome proves both derived the same one for this Hello.
 */
public final class SessionKeys implements AutoCloseable {

  private static final byte[] INFO = Labels.encode("opencluster/session/v1");
  private static final byte[] CONFIRMATION_LABEL = Labels.encode("welcome");

  private final FrameMac frameMac;
  private final SecretBytes confirmationKey;
  private final byte[] transcript;

  private SessionKeys(FrameMac frameMac, SecretBytes confirmationKey, byte[] transcript) {
    this.frameMac = frameMac;
    this.confirmationKey = confirmationKey;
    this.transcript = transcript;
  }

  /** The controller's side: its ephemeral pair for this session and the agent's ephemeral key. */
  public static SessionKeys forController(
      KeyPair controllerEphemeral, ECPublicKey agentEphemeral, byte[] helloBytes, byte[] sessionId)
      throws InvalidKeyException {
    return derive(controllerEphemeral, agentEphemeral, helloBytes, sessionId, (ECPublicKey) controllerEphemeral.getPublic());
  }

  /** The agent's side: its ephemeral pair for this boot and the controller's ephemeral key. */
  public static SessionKeys forAgent(
      KeyPair agentEphemeral, ECPublicKey controllerEphemeral, byte[] helloBytes, byte[] sessionId)
      throws InvalidKeyException {
    return derive(agentEphemeral, controllerEphemeral, helloBytes, sessionId, controllerEphemeral);
  }

  private static SessionKeys derive(
      KeyPair own, ECPublicKey peer, byte[] helloBytes, byte[] sessionId, ECPublicKey controllerEphemeral)
      throws InvalidKeyException {
    byte[] transcript = Labels.lengthPrefixed(helloBytes, sessionId, EcKeys.encodePoint(controllerEphemeral));
    try (SecretBytes shared = Ecdh.agree(own.getPrivate(), peer);
        SecretBytes okm = Hkdf.derive(shared, sha256(transcript), INFO, 2 * FrameMac.KEY_LENGTH);
        SecretBytes frameKey = SecretBytes.copyOf(okm.unsafeArray(), 0, FrameMac.KEY_LENGTH)) {
      SecretBytes confirmation = SecretBytes.copyOf(okm.unsafeArray(), FrameMac.KEY_LENGTH, FrameMac.KEY_LENGTH);
      return new SessionKeys(FrameMac.create(frameKey), confirmation, transcript);
    }
  }

  /** The MAC for this session's frames. */
  public FrameMac frameMac() {
    return frameMac;
  }

  /** The value the controller puts in Welcome.key_confirmation. */
  public byte[] keyConfirmation() {
    Mac mac = Hkdf.hmac(confirmationKey.unsafeArray());
    mac.update(CONFIRMATION_LABEL);
    return mac.doFinal(transcript);
  }

  /** The agent's check of Welcome.key_confirmation, in constant time. */
  public void verifyKeyConfirmation(byte[] received) throws FrameMacException {
    if (received == null || !MessageDigest.isEqual(keyConfirmation(), received)) {
      throw new FrameMacException("welcome refused: key confirmation does not match this hello");
    }
  }

  @Override
  public void close() {
    frameMac.close();
    confirmationKey.close();
  }

  @Override
  public String toString() {
    return "SessionKeys[[secret]]";
  }

  private static byte[] sha256(byte[] input) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(input);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable in this JVM", e);
    }
  }
}
