package org.opencluster.protocol.session;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.SignatureException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.opencluster.protocol.agent.v1.Hello;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.agent.v1.SignedHello;
import org.opencluster.protocol.agent.v1.SignedWelcome;
import org.opencluster.protocol.agent.v1.Welcome;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.EcdsaSigner;
import org.opencluster.protocol.crypto.EcdsaVerifier;
import org.opencluster.protocol.crypto.SessionKeys;
import org.opencluster.protocol.pki.Certificates;
import org.opencluster.protocol.pki.Identity;

/**
 * The controller's side of the handshake: check a SignedHello against the node's registered
 * certificate, then answer with a SignedWelcome and the session's channel.
 */
public final class ControllerHandshake {

  private static final SecureRandom RANDOM = new SecureRandom();

  private ControllerHandshake() {}

  /**
   * @param nodeCertificate the certificate registered for the node the Hello claims to be
   * @param maxClockSkew how far the Hello's timestamp may be from {@code now}, either way
   * @throws HandshakeException if the Hello is oversized or malformed, not signed by the node's
   *     key, for another node, outside the clock skew, or of an unsupported version
   */
  public static VerifiedHello verifyHello(SignedHello signed, X509Certificate nodeCertificate, Instant now,
      Duration maxClockSkew) throws HandshakeException {
    byte[] helloBytes = signed.getHello().toByteArray();
    if (helloBytes.length > Handshake.MAX_MESSAGE_BYTES) {
      throw new HandshakeException(Refused.Reason.MALFORMED, "hello refused: larger than " + Handshake.MAX_MESSAGE_BYTES + " bytes");
    }
    Hello hello;
    try {
      hello = Hello.parseFrom(helloBytes);
    } catch (InvalidProtocolBufferException e) {
      throw new HandshakeException(Refused.Reason.MALFORMED, "hello refused: not a Hello message");
    }
    Identity registered;
    try {
      registered = Certificates.identityOf(nodeCertificate);
    } catch (CertificateException e) {
      throw new HandshakeException(Refused.Reason.NOT_AUTHENTICATED, "hello refused: the registered certificate has no identity", e);
    }
    if (registered.kind() != Identity.Kind.NODE || !registered.name().equals(hello.getNodeId())) {
      throw new HandshakeException(Refused.Reason.NOT_AUTHENTICATED, "hello refused: it is for another node");
    }
    try {
      EcdsaVerifier.create(nodeCertificate.getPublicKey()).verify(Handshake.HELLO_CONTEXT, helloBytes,
          signed.getSignature().toByteArray());
    } catch (InvalidKeyException | SignatureException e) {
      throw new HandshakeException(Refused.Reason.NOT_AUTHENTICATED, "hello refused: not signed by the node's key");
    }
    Instant sentAt = Instant.ofEpochMilli(hello.getSentAtUnixMillis());
    if (Duration.between(sentAt, now).abs().compareTo(maxClockSkew) > 0) {
      throw new HandshakeException(Refused.Reason.NOT_AUTHENTICATED,
          "hello refused: sent at " + sentAt + ", more than " + maxClockSkew + " from this controller's clock");
    }
    if (hello.getProtocolVersion() < Handshake.OLDEST_PROTOCOL_VERSION) {
      throw new HandshakeException(Refused.Reason.UNSUPPORTED_VERSION,
          "hello refused: protocol version " + hello.getProtocolVersion() + " is older than " + Handshake.OLDEST_PROTOCOL_VERSION);
    }
    if (hello.getNonce().size() != Handshake.NONCE_LENGTH) {
      throw new HandshakeException(Refused.Reason.MALFORMED, "hello refused: nonce must be " + Handshake.NONCE_LENGTH + " bytes");
    }
    ECPublicKey ephemeral;
    try {
      ephemeral = EcKeys.decodePoint(hello.getEphemeralPublicKey().toByteArray());
    } catch (InvalidKeyException e) {
      throw new HandshakeException(Refused.Reason.MALFORMED, "hello refused: ephemeral key is not a valid P-256 point");
    }
    return new VerifiedHello(hello.getNodeId(), helloBytes, ephemeral, hello.getNonce().toByteArray(), sentAt,
        Math.min(hello.getProtocolVersion(), Handshake.PROTOCOL_VERSION), hello.getAgentVersion(), hello.getBootId(),
        hello.getRekeySessionId().toByteArray(), signed.getRekeyProof().toByteArray());
  }

  /**
   * Checks a Hello's claim to re-key {@code current}: it names that session, and its proof was made
   * with that session's key over the Hello's exact bytes. Call it after {@link #verifyHello}.
   *
   * @param current the controller's channel of the node's live session
   * @throws HandshakeException (NOT_AUTHENTICATED) if the Hello claims no re-key, names another
   *     session or node, or its proof is missing or does not verify
   */
  public static void verifyRekey(VerifiedHello hello, SessionChannel current) throws HandshakeException {
    if (!hello.claimsRekey()) {
      throw new HandshakeException(Refused.Reason.NOT_AUTHENTICATED, "hello refused: it is no re-key");
    }
    if (!current.nodeId().equals(hello.nodeId())
        || !MessageDigest.isEqual(current.sessionId(), hello.rekeySessionId())) {
      throw new HandshakeException(Refused.Reason.NOT_AUTHENTICATED,
          "hello refused: it re-keys a session that is not the node's live session");
    }
    if (!current.verifiesRekeyProof(hello.helloBytes(), hello.rekeyProof())) {
      throw new HandshakeException(Refused.Reason.NOT_AUTHENTICATED,
          "hello refused: its re-key proof does not verify under the live session");
    }
  }

  /** What the controller sends and keeps. */
  public record Accepted(SignedWelcome welcome, SessionChannel channel) {}

  /**
   * Makes this session's ephemeral key, signs a Welcome with the controller's key, and derives
   * the session. The ephemeral private key is forgotten once the session key is derived.
   *
   * @param controllerKey the private key of {@code controllerChain.get(0)}
   */
  public static Accepted welcome(VerifiedHello hello, PrivateKey controllerKey, List<X509Certificate> controllerChain,
      SessionTerms terms, Clock clock, int maxPayloadBytes) throws InvalidKeyException {
    Instant now = clock.instant();
    KeyPair ephemeral = EcKeys.generate();
    byte[] sessionId = new byte[Handshake.SESSION_ID_LENGTH];
    RANDOM.nextBytes(sessionId);
    byte[] welcomeBytes = Welcome.newBuilder()
        .setHelloHash(ByteString.copyFrom(Handshake.sha256(hello.helloBytes())))
        .setNodeId(hello.nodeId())
        .setSessionId(ByteString.copyFrom(sessionId))
        .setControllerEphemeralPublicKey(ByteString.copyFrom(EcKeys.encodePoint((ECPublicKey) ephemeral.getPublic())))
        .setProtocolVersion(hello.protocolVersion())
        .setLeaseExpiresAtUnixMillis(terms.leaseExpiresAt().toEpochMilli())
        .setHeartbeatIntervalMillis(Math.toIntExact(terms.heartbeatInterval().toMillis()))
        .setNodeLifetimeEndsAtUnixMillis(terms.lifetimeEndsAt().toEpochMilli())
        .setSentAtUnixMillis(now.toEpochMilli())
        .build()
        .toByteArray();
    SignedWelcome.Builder signed = SignedWelcome.newBuilder()
        .setWelcome(ByteString.copyFrom(welcomeBytes))
        .setSignature(ByteString.copyFrom(EcdsaSigner.create(controllerKey).sign(Handshake.WELCOME_CONTEXT, welcomeBytes)));
    for (X509Certificate certificate : controllerChain) {
      try {
        signed.addCertificateChain(ByteString.copyFrom(certificate.getEncoded()));
      } catch (CertificateEncodingException e) {
        throw new IllegalArgumentException("controller certificate cannot be encoded", e);
      }
    }
    SessionKeys keys = SessionKeys.forController(ephemeral, hello.agentEphemeralKey(), hello.helloBytes(), welcomeBytes);
    return new Accepted(signed.build(), new SessionChannel(hello.nodeId(), sessionId, keys, false, maxPayloadBytes, clock));
  }
}
