package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import java.io.NotSerializableException;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.Deploy;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.remote.RemoteScope;
import org.apache.pekko.serialization.JSerializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.Controller;
import org.opencluster.controller.edge.EdgeCounters;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.agent.v1.AgentMessage;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.Heartbeat;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.agent.v1.SignedHello;
import org.opencluster.protocol.agent.v1.SignedWelcome;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateValidationException;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.SubjectAltNames;
import org.opencluster.protocol.session.AgentHandshake;
import org.opencluster.protocol.session.AgentSession;

/**
 * The edge refuses everything but the protocol, each case on its own: over the real edge link to a
 * real controller, from an attacker holding a node's certificate and key (or none of this cluster),
 * and the gateway keeps serving everyone else afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EdgeSecurityIT {

  static final Duration REPLY = Duration.ofSeconds(10);
  /** Long enough for a message the edge would have answered to come back. */
  private static final Duration SILENCE = Duration.ofSeconds(2);
  static final AtomicBoolean DEPLOYED = new AtomicBoolean();

  private Path tmp;
  private Testbed testbed;
  private Controller controller;
  private String edge;

  @BeforeAll
  void start(@TempDir Path directory) throws Exception {
    tmp = directory;
    testbed = new Testbed(directory, TestDatabases.freshH2());
    controller = testbed.controller("ctl-1");
    edge = testbed.edgeOf(controller);
  }

  @AfterAll
  void stop() throws Exception {
    testbed.close();
  }

  @Test
  void aCertificateFromAnotherCa_isRefusedAtTheHandshake() throws Exception {
    TestCluster other = new TestCluster(tmp.resolve("other-ca"));
    KeyPair keys = EcKeys.generate();
    Path bundle = Files.createDirectories(tmp.resolve("foreign-bundle"));
    Files.writeString(bundle.resolve("node.pem"), Pem.encodeCertificates(List.of(
        other.agentCa().issue(Identity.node("web-f"), keys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE),
        other.agentCa().certificate())));
    // It trusts this cluster's root (public), so the refusal is the edge's, not its own.
    Files.writeString(bundle.resolve("ca.pem"), Pem.encodeCertificates(List.of(testbed.cluster().root().certificate())));
    writeKey(bundle, keys.getPrivate());
    long before = refusals(CertificateValidationException.Reason.UNKNOWN_ISSUER, CertificateValidationException.Reason.BAD_SIGNATURE);
    try (RogueAgent rogue = new RogueAgent(bundle)) {
      rogue.send(edge, "/user/gateway", AgentHandshake.begin("web-f", keys.getPrivate(), "x", "b", Clock.systemUTC()).hello());
      await().atMost(REPLY).until(() -> refusals(CertificateValidationException.Reason.UNKNOWN_ISSUER,
          CertificateValidationException.Reason.BAD_SIGNATURE) > before);
      assertThat(rogue.next(SILENCE)).isNull();
    }
  }

  @Test
  void nodeAsCertificateAndKey_cannotSpeakForNodeB() throws Exception {
    Path a = testbed.register(controller, "node-a");
    testbed.register(controller, "node-b");
    try (RogueAgent rogue = new RogueAgent(a)) {
      PrivateKey keyOfA = nodeKey(a);
      rogue.send(edge, "/user/gateway", AgentHandshake.begin("node-b", keyOfA, "x", "b", Clock.systemUTC()).hello());
      assertRefused(rogue, Refused.Reason.NOT_AUTHENTICATED);
    }
  }

  @Test
  void aReplayedFrame_isRefused_andTheSessionGoesOn() throws Exception {
    Path bundle = testbed.register(controller, "replay-1");
    try (RogueAgent rogue = new RogueAgent(bundle)) {
      AgentSession session = enrol(rogue, "replay-1", nodeKey(bundle));
      Frame heartbeat = heartbeat(session);
      rogue.send(edge, "/user/gateway", heartbeat);
      assertThat(open(session, rogue).hasHeartbeatAck()).isTrue();
      rogue.send(edge, "/user/gateway", heartbeat);
      assertRefused(rogue, Refused.Reason.MALFORMED);
      rogue.send(edge, "/user/gateway", heartbeat(session));
      assertThat(open(session, rogue).hasHeartbeatAck()).isTrue();
    }
  }

  @Test
  void aFrameWithABadMac_isRefused() throws Exception {
    Path bundle = testbed.register(controller, "mac-1");
    try (RogueAgent rogue = new RogueAgent(bundle)) {
      AgentSession session = enrol(rogue, "mac-1", nodeKey(bundle));
      rogue.send(edge, "/user/gateway", heartbeat(session).toBuilder().setMac(ByteString.copyFrom(new byte[32])).build());
      assertRefused(rogue, Refused.Reason.NOT_AUTHENTICATED);
    }
  }

  @Test
  void aFrameClaimingAnotherNodesId_doesNotMakeTheEdgeRedirectThatNodesAgent() throws Exception {
    Path victimBundle = testbed.register(controller, "victim-1");
    Path forgerBundle = testbed.register(controller, "forger-1");
    try (RogueAgent victim = new RogueAgent(victimBundle); RogueAgent forger = new RogueAgent(forgerBundle)) {
      AgentSession victimSession = enrol(victim, "victim-1", nodeKey(victimBundle));
      victim.send(edge, "/user/gateway", heartbeat(victimSession));
      assertThat(open(victimSession, victim).hasHeartbeatAck()).as("the edge now counts the victim's agent").isTrue();
      AgentSession forgerSession = enrol(forger, "forger-1", nodeKey(forgerBundle));
      // The forger's own, valid frame, relabelled as the victim's: its entity refuses it.
      forger.send(edge, "/user/gateway", heartbeat(forgerSession).toBuilder().setNodeId("victim-1").build());
      assertThat(forger.next(REPLY)).isInstanceOf(Refused.class);

      // Balancing everyone the edge counts away: only agents whose frames their entities accepted are told.
      controller.edge().sessions().move(java.util.Map.of("127.0.0.1:1", 10_000), Duration.ofMinutes(1));
      Object moved = victim.next(REPLY);
      assertThat(moved).isInstanceOf(Refused.class);
      assertThat(((Refused) moved).getReason()).isEqualTo(Refused.Reason.MOVED);
      assertThat(forger.next(SILENCE)).as("the forger's link was never recorded as the victim's").isNull();
    }
  }

  @Test
  void anOversizedFrame_isRefusedAtTheGateway() throws Exception {
    Path bundle = testbed.register(controller, "big-1");
    long malformed = counters().count(EdgeCounters.Outcome.MALFORMED);
    try (RogueAgent rogue = new RogueAgent(bundle)) {
      AgentSession session = enrol(rogue, "big-1", nodeKey(bundle));
      Frame huge = heartbeat(session).toBuilder().setPayload(ByteString.copyFrom(new byte[100 * 1024])).build();
      rogue.send(edge, "/user/gateway", huge);
      assertRefused(rogue, Refused.Reason.MALFORMED);
      assertThat(counters().count(EdgeCounters.Outcome.MALFORMED)).isGreaterThan(malformed);
    }
  }

  @Test
  void framesAndHellosOfTheWrongShape_areRefusedAtTheGateway_beforeAnyEntity() throws Exception {
    Path bundle = testbed.register(controller, "shape-1");
    long handedOn = counters().count(EdgeCounters.Outcome.FRAME, EdgeCounters.Outcome.HELLO);
    long malformed = counters().count(EdgeCounters.Outcome.MALFORMED);
    try (RogueAgent rogue = new RogueAgent(bundle)) {
      AgentSession session = enrol(rogue, "shape-1", nodeKey(bundle));
      handedOn = counters().count(EdgeCounters.Outcome.FRAME, EdgeCounters.Outcome.HELLO);
      Frame good = heartbeat(session);
      List<Frame> misshapen = List.of(
          good.toBuilder().setSessionId(ByteString.copyFrom(new byte[15])).build(),
          good.toBuilder().setMac(ByteString.copyFrom(new byte[31])).build(),
          good.toBuilder().setSequence(0).build(),
          good.toBuilder().setNodeId("Not A Node").build());
      for (Frame frame : misshapen) {
        rogue.send(edge, "/user/gateway", frame);
        assertRefused(rogue, Refused.Reason.MALFORMED);
      }
      SignedHello hello = AgentHandshake.begin("shape-1", nodeKey(bundle), "x", "b", Clock.systemUTC()).hello();
      rogue.send(edge, "/user/gateway", hello.toBuilder().setSignature(ByteString.copyFrom(new byte[9 * 1024])).build());
      assertRefused(rogue, Refused.Reason.MALFORMED);
    }
    assertThat(counters().count(EdgeCounters.Outcome.FRAME, EdgeCounters.Outcome.HELLO))
        .as("none reached a node entity").isEqualTo(handedOn);
    assertThat(counters().count(EdgeCounters.Outcome.MALFORMED)).isEqualTo(malformed + 5);
  }

  @Test
  void malformedProtobuf_isDroppedBeforeTheGateway_andTheEdgeServesOn() throws Exception {
    Path bundle = testbed.register(controller, "garbage-1");
    long frames = counters().count(EdgeCounters.Outcome.FRAME, EdgeCounters.Outcome.MALFORMED, EdgeCounters.Outcome.UNKNOWN_MESSAGE);
    try (RogueAgent rogue = new RogueAgent(bundle, ConfigFactory.parseString("""
        pekko.actor.serializers.opencluster-edge = "org.opencluster.agent.EdgeSecurityIT$RawEdgeSerializer"
        pekko.actor.serialization-bindings { "org.opencluster.agent.EdgeSecurityIT$Raw" = opencluster-edge }
        """))) {
      rogue.send(edge, "/user/gateway", new Raw("frame", new byte[] {(byte) 0xff, 0x01, 0x02, 0x03, 0x04}));
      assertThat(rogue.next(SILENCE)).isNull();
    }
    assertThat(counters().count(EdgeCounters.Outcome.FRAME, EdgeCounters.Outcome.MALFORMED,
        EdgeCounters.Outcome.UNKNOWN_MESSAGE)).as("nothing reached the gateway").isEqualTo(frames);
    assertEdgeServes(bundle, "garbage-1");
  }

  @Test
  void aJavaSerializedPayload_isRefusedBeforeTheGateway() throws Exception {
    Path bundle = testbed.register(controller, "java-1");
    long unknown = counters().count(EdgeCounters.Outcome.UNKNOWN_MESSAGE);
    // Nothing here switches Java serialization on: the rogue's "java" serializer is replaced by one
    // that sends a Java serialization stream, made by hand, under the Java serializer's id (1):
    // byte for byte what Pekko's JavaSerializer would send.
    try (RogueAgent rogue = new RogueAgent(bundle, ConfigFactory.parseString("""
        pekko.actor.serializers.java = "org.opencluster.agent.EdgeSecurityIT$JavaWireSerializer"
        pekko.actor.serialization-bindings { "org.opencluster.agent.EdgeSecurityIT$JavaWire" = java }
        """))) {
      rogue.send(edge, "/user/gateway", new JavaWire(javaSerializedString("a Java-serialized string")));
      assertThat(rogue.next(SILENCE)).isNull();
    }
    assertThat(counters().count(EdgeCounters.Outcome.UNKNOWN_MESSAGE)).as("it never reached the gateway").isEqualTo(unknown);
    assertEdgeServes(bundle, "java-1");
  }

  @Test
  void aSelectionOfAnyPathButTheGateway_isDropped() throws Exception {
    Path bundle = testbed.register(controller, "select-1");
    long hellos = counters().count(EdgeCounters.Outcome.HELLO);
    try (RogueAgent rogue = new RogueAgent(bundle)) {
      PrivateKey key = nodeKey(bundle);
      for (String path : List.of("/user/not-the-gateway", "/system/remote-watcher", "/user/gateway/..", "/")) {
        rogue.send(edge, path, AgentHandshake.begin("select-1", key, "x", "b", Clock.systemUTC()).hello());
      }
      assertThat(rogue.next(SILENCE)).isNull();
      assertThat(counters().count(EdgeCounters.Outcome.HELLO)).isEqualTo(hellos);
      rogue.send(edge, "/user/gateway", AgentHandshake.begin("select-1", key, "x", "b", Clock.systemUTC()).hello());
      assertThat(rogue.next(REPLY)).as("the same Hello to the gateway is answered").isInstanceOf(SignedWelcome.class);
    }
  }

  @Test
  void aRemoteDeployment_isRefused() throws Exception {
    Path bundle = testbed.register(controller, "deploy-1");
    // The attacker's own system allows remote deployment, so the attempt really leaves it.
    try (RogueAgent rogue = new RogueAgent(bundle, ConfigFactory.parseString("""
        pekko.remote.use-unsafe-remote-features-outside-cluster = on
        """))) {
      Address edgeAddress = AddressFromURIString.parse("pekko://opencluster-edge@" + edge);
      rogue.system().actorOf(Props.create(Deployed.class).withDeploy(new Deploy(new RemoteScope(edgeAddress))), "deployed");
      // A round trip on the same link: the deployment, sent first, has been handled by then.
      PrivateKey key = nodeKey(bundle);
      rogue.send(edge, "/user/gateway", AgentHandshake.begin("deploy-1", key, "x", "b", Clock.systemUTC()).hello());
      assertThat(rogue.next(REPLY)).isInstanceOf(SignedWelcome.class);
      assertThat(rogue.next(SILENCE)).isNull();
    }
    assertThat(DEPLOYED).as("no actor was created on the edge").isFalse();
  }

  @Test
  void aRevokedCertificate_isRefusedAtTheHandshake() throws Exception {
    Path bundle = testbed.register(controller, "revoked-1");
    StatusReply<org.apache.pekko.Done> quarantined = ClusterSharding.get(controller.system())
        .entityRefFor(NodeEntity.ENTITY_KEY, "revoked-1")
        .<StatusReply<org.apache.pekko.Done>>ask(r -> new NodeEntity.Quarantine(NodeEntity.QuarantineReason.OPERATOR,
            "test", r), REPLY)
        .toCompletableFuture().get();
    assertThat(quarantined.isSuccess()).isTrue();
    await().atMost(REPLY).until(() -> controller.denyList().size() > 0);
    long before = refusals(CertificateValidationException.Reason.REVOKED);
    try (RogueAgent rogue = new RogueAgent(bundle)) {
      rogue.send(edge, "/user/gateway", AgentHandshake.begin("revoked-1", nodeKey(bundle), "x", "b", Clock.systemUTC()).hello());
      await().atMost(REPLY).until(() -> refusals(CertificateValidationException.Reason.REVOKED) > before);
      assertThat(rogue.next(SILENCE)).isNull();
    }
  }

  @Test
  void aSecondLiveSession_isAClone_andBothAgentsAreStopped() throws Exception {
    Path bundle = testbed.register(controller, "clone-1");
    Agent original = testbed.agent(bundle, "boot-original");
    await().atMost(Duration.ofSeconds(30)).until(() -> original.state().acknowledgements() >= 1);
    Agent clone = testbed.agent(bundle, "boot-clone");

    assertThat(clone.outcome().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(Agent.Outcome.REFUSED);
    assertThat(original.outcome().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS))
        .as("the original is told, authenticated, that its node is quarantined").isEqualTo(Agent.Outcome.QUARANTINED);
    assertThat(original.state().holdingSecrets()).isFalse();
    var status = testbed.status(controller, "clone-1");
    assertThat(status.path("stage").asText()).isEqualTo("quarantined");
    assertThat(status.path("quarantineReason").asText()).isEqualTo("clone_detected");
  }

  // ---- helpers ------------------------------------------------------------------------------

  private AgentSession enrol(RogueAgent rogue, String nodeId, PrivateKey key) throws Exception {
    return enrol(rogue, edge, testbed, nodeId, key);
  }

  /** Enrols {@code rogue} as {@code nodeId} at {@code edge}, checking the Welcome against the test cluster's root. */
  static AgentSession enrol(RogueAgent rogue, String edge, Testbed testbed, String nodeId, PrivateKey key)
      throws Exception {
    AgentHandshake handshake = AgentHandshake.begin(nodeId, key, "x", "boot-r", Clock.systemUTC());
    rogue.send(edge, "/user/gateway", handshake.hello());
    Object welcome = rogue.next(REPLY);
    assertThat(welcome).isInstanceOf(SignedWelcome.class);
    return handshake.complete((SignedWelcome) welcome,
        CertificateValidator.trusting(List.of(testbed.cluster().root().certificate())), Clock.systemUTC(), 240 * 1024);
  }

  static Frame heartbeat(AgentSession session) {
    return session.channel().seal(AgentMessage.newBuilder()
        .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMillis(System.currentTimeMillis())).build().toByteArray());
  }

  private static ControllerMessage open(AgentSession session, RogueAgent rogue) throws Exception {
    Object reply = rogue.next(REPLY);
    assertThat(reply).isInstanceOf(Frame.class);
    return ControllerMessage.parseFrom(session.channel().open((Frame) reply));
  }

  private void assertEdgeServes(Path bundle, String nodeId) throws Exception {
    try (RogueAgent honest = new RogueAgent(bundle)) {
      honest.send(edge, "/user/gateway", AgentHandshake.begin(nodeId, nodeKey(bundle), "x", "b", Clock.systemUTC()).hello());
      assertThat(honest.next(REPLY)).as("the edge still serves").isInstanceOf(SignedWelcome.class);
    }
  }

  private static void assertRefused(RogueAgent rogue, Refused.Reason reason) throws Exception {
    Object reply = rogue.next(REPLY);
    assertThat(reply).isInstanceOf(Refused.class);
    assertThat(((Refused) reply).getReason()).as(((Refused) reply).getDetail()).isEqualTo(reason);
  }

  private EdgeCounters counters() {
    return controller.edge().counters();
  }

  private long refusals(CertificateValidationException.Reason... reasons) {
    long total = 0;
    for (CertificateValidationException.Reason reason : reasons) {
      total += controller.edgeRefusals().count(reason);
    }
    return total;
  }

  static PrivateKey nodeKey(Path bundle) throws Exception {
    try (SecretBytes pem = SecretBytes.adopt(Files.readAllBytes(bundle.resolve("node.key")))) {
      return Pem.decodePrivateKey(pem);
    }
  }

  private static void writeKey(Path bundle, PrivateKey key) throws Exception {
    Path file = bundle.resolve("node.key");
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (SecretBytes pem = Pem.encodePrivateKey(key)) {
      Files.write(file, pem.copyBytes());
    }
  }

  /** Whatever bytes, under whatever edge manifest. */
  record Raw(String manifest, byte[] bytes) {}

  /** Sends {@link Raw} as if it were an edge message (identifier 7304). */
  public static final class RawEdgeSerializer extends SerializerWithStringManifest {
    public RawEdgeSerializer(ExtendedActorSystem system) {}

    @Override
    public int identifier() {
      return 7304;
    }

    @Override
    public String manifest(Object o) {
      return ((Raw) o).manifest();
    }

    @Override
    public byte[] toBinary(Object o) {
      return ((Raw) o).bytes();
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
      return new Raw(manifest, bytes);
    }
  }

  /** Bytes as they go on the wire under the Java serializer's id. */
  public record JavaWire(byte[] stream) {}

  /** Claims Pekko's Java serializer id (1) and writes the bytes it is given; never reads. */
  public static final class JavaWireSerializer extends JSerializer {
    public JavaWireSerializer(ExtendedActorSystem system) {}

    @Override
    public int identifier() {
      return 1;
    }

    @Override
    public boolean includeManifest() {
      return false;
    }

    @Override
    public byte[] toBinary(Object o) {
      return ((JavaWire) o).stream();
    }

    @Override
    public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
      throw new UnsupportedOperationException("the rogue never reads Java serialization");
    }
  }

  /**
   * What {@code ObjectOutputStream.writeObject(text)} writes for a short ASCII string, built by hand:
   * stream magic 0xACED, version 5, TC_STRING (0x74), a two-byte length, the bytes.
   */
  private static byte[] javaSerializedString(String text) {
    byte[] chars = text.getBytes(StandardCharsets.US_ASCII);
    return java.nio.ByteBuffer.allocate(7 + chars.length).putShort((short) 0xACED).putShort((short) 5)
        .put((byte) 0x74).putShort((short) chars.length).put(chars).array();
  }

  /** If the edge ever created it, the test would know. */
  public static final class Deployed extends AbstractActor {
    public Deployed() {
      DEPLOYED.set(true);
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder().build();
    }
  }
}
