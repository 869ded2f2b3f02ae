package org.opencluster.protocol.session;

import java.security.interfaces.ECPublicKey;
import java.time.Instant;

/**
 * A Hello whose signature, node, clock and contents checked out ({@link
 * ControllerHandshake#verifyHello}). {@code nonce} identifies it for replay detection.
 */
public record VerifiedHello(String nodeId, byte[] helloBytes, ECPublicKey agentEphemeralKey, byte[] nonce,
    Instant sentAt, int protocolVersion, String agentVersion, String bootId) {}
