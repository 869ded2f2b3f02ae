package org.opencluster.protocol.session;

import java.security.interfaces.ECPublicKey;
import java.time.Instant;

/**
 * A Hello whose signature, node, clock and contents checked out ({@link
 * ControllerHandshake#verifyHello}). {@code nonce} identifies it for replay detection. {@code
 * rekeySessionId} and {@code rekeyProof} are empty unless the Hello claims to re-key a live
 * session; such a claim is not checked yet ({@link ControllerHandshake#verifyRekey}).
 */
public record VerifiedHello(String nodeId, byte[] helloBytes, ECPublicKey agentEphemeralKey, byte[] nonce,
    Instant sentAt, int protocolVersion, String agentVersion, String bootId, byte[] rekeySessionId, byte[] rekeyProof) {

  /** Whether the Hello claims to re-key a session: either half of a re-key makes the claim. */
  public boolean claimsRekey() {
    return rekeySessionId.length > 0 || rekeyProof.length > 0;
  }
}
