package org.opencluster.controller.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.opencluster.controller.node.NodeEntity.EdgeReply;
import org.opencluster.controller.testing.MovableClock;
import org.opencluster.protocol.agent.v1.AgentMessage;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.Heartbeat;
import org.opencluster.protocol.agent.v1.SignedWelcome;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.session.AgentHandshake;
import org.opencluster.protocol.session.AgentSession;

/** The agent side of entity tests, with the real protocol code and its own clock. */
final class Agent {
  /** The agent's clock, starting where the controller's is when the agent starts. */
  final MovableClock clock;
  private final String nodeId;
  private final KeyPair nodeKeys;
  private final String bootId;
  private final TestPki pki;
  private AgentHandshake handshake;
  private AgentSession session;
  private long infoSetVersion;

  Agent(String nodeId, KeyPair nodeKeys, String bootId, Instant now, TestPki pki) {
    this.nodeId = nodeId;
    this.nodeKeys = nodeKeys;
    this.bootId = bootId;
    this.clock = new MovableClock(now);
    this.pki = pki;
  }

  ByteString hello() {
    try {
      handshake = AgentHandshake.begin(nodeId, nodeKeys.getPrivate(), "test", bootId, clock);
    } catch (java.security.InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
    return handshake.hello().toByteString();
  }

  /** A re-key Hello, proven with the current session; that session stays the agent's until {@link #complete}. */
  ByteString rekeyHello() {
    try {
      handshake = AgentHandshake.rekey(session, nodeKeys.getPrivate(), "test", bootId, clock);
    } catch (java.security.InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
    return handshake.hello().toByteString();
  }

  void complete(EdgeReply reply) throws Exception {
    assertThat(reply.kind()).isEqualTo(EdgeReply.Kind.WELCOME);
    session = handshake.complete(SignedWelcome.parseFrom(reply.message()),
        CertificateValidator.trusting(List.of(pki.root.certificate())), clock, 240 * 1024);
  }

  ByteString heartbeat() {
    clock.advance(Duration.ofMillis(1));
    return frame(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder()
        .setSentAtUnixMillis(clock.millis()).setInfoSetVersion(infoSetVersion)).build());
  }

  /** Records that the agent applied set {@code version}, as its heartbeats then say. */
  void applied(long version) {
    infoSetVersion = version;
  }

  ByteString frame(AgentMessage message) {
    return session.channel().seal(message.toByteArray()).toByteString();
  }

  /** A well-formed frame of a session nobody opened. */
  ByteString fakeFrame() {
    return Frame.newBuilder().setNodeId(nodeId).setSessionId(ByteString.copyFrom(new byte[16])).setSequence(1)
        .setPayload(ByteString.copyFromUtf8("x")).setMac(ByteString.copyFrom(new byte[32])).build().toByteString();
  }

  ControllerMessage open(EdgeReply reply) throws Exception {
    assertThat(reply.kind()).isEqualTo(EdgeReply.Kind.FRAME);
    return ControllerMessage.parseFrom(session.channel().open(Frame.parseFrom(reply.message())));
  }

  /** The messages that follow the reply's first frame (InfoSets after a HeartbeatAck). */
  List<ControllerMessage> following(EdgeReply reply) throws Exception {
    List<ControllerMessage> messages = new ArrayList<>();
    for (ByteString more : reply.more()) {
      messages.add(ControllerMessage.parseFrom(session.channel().open(Frame.parseFrom(more))));
    }
    return messages;
  }

  /** Opens a secure file's content sealed to this agent's boot. */
  SecretBytes openFile(String name, long version, ByteString box) throws Exception {
    return session.openSecureFile(name, version, box.toByteArray());
  }
}
