package org.opencluster.protocol.session;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayInputStream;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.SignatureException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
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
import org.opencluster.protocol.pki.CertificateProfile;
import org.opencluster.protocol.pki.CertificateValidationException;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.pki.Identity;

/**
 * The agent's side of the handshake: a fresh ephemeral key for this boot, a Hello signed with the
 * node key, and the check of the controller's SignedWelcome: its certificate must validate as a
 * controller of this cluster, its signature must verify, and it must answer this Hello.
 */
public final class AgentHandshake {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String nodeId;
  private final KeyPair ephemeral;
  private final byte[] helloBytes;
  private final SignedHello signedHello;

  private AgentHandshake(String nodeId, KeyPair ephemeral, byte[] helloBytes, SignedHello signedHello) {
    this.nodeId = nodeId;
    this.ephemeral = ephemeral;
    this.helloBytes = helloBytes;
    this.signedHello = signedHello;
  }

  /** Makes the ephemeral key and the signed Hello. */
  public static AgentHandshake begin(String nodeId, PrivateKey nodeKey, String agentVersion, String bootId, Clock clock)
      throws InvalidKeyException {
    return begin(nodeId, nodeKey, agentVersion, bootId, clock, null);
  }

  /**
   * As {@link #begin}, for a new session in place of {@code current} (the controller asked for a
   * re-key): the Hello names the current session, and carries a proof, made with the current
   * session's key over the Hello's exact bytes, that this agent holds it.
   */
  public static AgentHandshake rekey(AgentSession current, PrivateKey nodeKey, String agentVersion, String bootId,
      Clock clock) throws InvalidKeyException {
    return begin(current.channel().nodeId(), nodeKey, agentVersion, bootId, clock, current.channel());
  }

  private static AgentHandshake begin(String nodeId, PrivateKey nodeKey, String agentVersion, String bootId, Clock clock,
      SessionChannel replacing) throws InvalidKeyException {
    KeyPair ephemeral = EcKeys.generate();
    byte[] nonce = new byte[Handshake.NONCE_LENGTH];
    RANDOM.nextBytes(nonce);
    Hello.Builder hello = Hello.newBuilder()
        .setNodeId(nodeId)
        .setEphemeralPublicKey(ByteString.copyFrom(EcKeys.encodePoint((ECPublicKey) ephemeral.getPublic())))
        .setNonce(ByteString.copyFrom(nonce))
        .setSentAtUnixMillis(clock.millis())
        .setProtocolVersion(Handshake.PROTOCOL_VERSION)
        .setAgentVersion(agentVersion)
        .setBootId(bootId);
    if (replacing != null) {
      hello.setRekeySessionId(ByteString.copyFrom(replacing.sessionId()));
    }
    byte[] helloBytes = hello.build().toByteArray();
    SignedHello.Builder signed = SignedHello.newBuilder()
        .setHello(ByteString.copyFrom(helloBytes))
        .setSignature(ByteString.copyFrom(EcdsaSigner.create(nodeKey).sign(Handshake.HELLO_CONTEXT, helloBytes)));
    if (replacing != null) {
      signed.setRekeyProof(ByteString.copyFrom(replacing.rekeyProof(helloBytes)));
    }
    return new AgentHandshake(nodeId, ephemeral, helloBytes, signed.build());
  }

  public SignedHello hello() {
    return signedHello;
  }

  /**
   * Checks the controller's answer and derives the session.
   *
   * @param controllers validates the controller's certificate chain (the cluster root as anchor)
   * @throws HandshakeException if the Welcome is not from a valid controller, not signed by it,
   *     not an answer to this Hello, or malformed
   */
  public AgentSession complete(SignedWelcome signed, CertificateValidator controllers, Clock clock, int maxPayloadBytes)
      throws HandshakeException {
    Instant now = clock.instant();
    byte[] welcomeBytes = signed.getWelcome().toByteArray();
    if (welcomeBytes.length > Handshake.MAX_MESSAGE_BYTES) {
      throw new HandshakeException(Refused.Reason.MALFORMED, "welcome refused: larger than " + Handshake.MAX_MESSAGE_BYTES + " bytes");
    }
    List<X509Certificate> chain = parseChain(signed);
    Identity controller;
    try {
      controller = controllers.validate(chain, CertificateProfile.Usage.TLS_SERVER, now, EnumSet.of(Identity.Kind.CONTROLLER));
    } catch (CertificateValidationException e) {
      throw new HandshakeException(Refused.Reason.NOT_AUTHENTICATED, "welcome refused: " + e.getMessage(), e);
    }
    try {
      EcdsaVerifier.create(chain.get(0).getPublicKey()).verify(Handshake.WELCOME_CONTEXT, welcomeBytes,
          signed.getSignature().toByteArray());
    } catch (InvalidKeyException | SignatureException e) {
      throw new HandshakeException(Refused.Reason.NOT_AUTHENTICATED, "welcome refused: not signed by " + controller);
    }
    Welcome welcome;
    try {
      welcome = Welcome.parseFrom(welcomeBytes);
    } catch (InvalidProtocolBufferException e) {
      throw new HandshakeException(Refused.Reason.MALFORMED, "welcome refused: not a Welcome message");
    }
    if (!MessageDigest.isEqual(Handshake.sha256(helloBytes), welcome.getHelloHash().toByteArray())) {
      throw new HandshakeException(Refused.Reason.NOT_AUTHENTICATED, "welcome refused: it answers another hello");
    }
    if (!nodeId.equals(welcome.getNodeId())) {
      throw new HandshakeException(Refused.Reason.NOT_AUTHENTICATED, "welcome refused: it is for another node");
    }
    if (welcome.getProtocolVersion() < Handshake.OLDEST_PROTOCOL_VERSION
        || welcome.getProtocolVersion() > Handshake.PROTOCOL_VERSION) {
      throw new HandshakeException(Refused.Reason.UNSUPPORTED_VERSION,
          "welcome refused: protocol version " + welcome.getProtocolVersion() + " is not spoken here");
    }
    if (welcome.getSessionId().size() != Handshake.SESSION_ID_LENGTH) {
      throw new HandshakeException(Refused.Reason.MALFORMED, "welcome refused: session id must be " + Handshake.SESSION_ID_LENGTH + " bytes");
    }
    SessionKeys keys;
    try {
      ECPublicKey controllerEphemeral = EcKeys.decodePoint(welcome.getControllerEphemeralPublicKey().toByteArray());
      keys = SessionKeys.forAgent(ephemeral, controllerEphemeral, helloBytes, welcomeBytes);
    } catch (InvalidKeyException e) {
      throw new HandshakeException(Refused.Reason.MALFORMED, "welcome refused: controller ephemeral key is not a valid P-256 point");
    }
    SessionTerms terms = new SessionTerms(Instant.ofEpochMilli(welcome.getLeaseExpiresAtUnixMillis()),
        Duration.ofMillis(welcome.getHeartbeatIntervalMillis()), Instant.ofEpochMilli(welcome.getNodeLifetimeEndsAtUnixMillis()));
    SessionChannel channel = new SessionChannel(nodeId, welcome.getSessionId().toByteArray(), keys, true, maxPayloadBytes, clock);
    return new AgentSession(controller, terms, welcome.getProtocolVersion(), channel, ephemeral);
  }

  private static List<X509Certificate> parseChain(SignedWelcome signed) throws HandshakeException {
    if (signed.getCertificateChainCount() == 0 || signed.getCertificateChainCount() > Handshake.MAX_CHAIN_LENGTH) {
      throw new HandshakeException(Refused.Reason.NOT_AUTHENTICATED,
          "welcome refused: certificate chain must hold 1.." + Handshake.MAX_CHAIN_LENGTH + " certificates");
    }
    List<X509Certificate> chain = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (ByteString der : signed.getCertificateChainList()) {
        if (der.size() > Handshake.MAX_CERTIFICATE_BYTES) {
          throw new HandshakeException(Refused.Reason.MALFORMED, "welcome refused: certificate larger than "
              + Handshake.MAX_CERTIFICATE_BYTES + " bytes");
        }
        chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der.toByteArray())));
      }
    } catch (CertificateException e) {
      throw new HandshakeException(Refused.Reason.MALFORMED, "welcome refused: malformed certificate", e);
    }
    return chain;
  }
}
