package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.protocol.agent.v1.Ack;
import org.opencluster.protocol.agent.v1.AgentMessage;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.HeartbeatAck;
import org.opencluster.protocol.agent.v1.InfoSet;
import org.opencluster.protocol.agent.v1.SecureFile;
import org.opencluster.protocol.agent.v1.SignedHello;
import org.opencluster.protocol.agent.v1.StagedFile;
import org.opencluster.protocol.agent.v1.StagedOutcome;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.edge.EdgeSystem;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.session.ControllerHandshake;
import org.opencluster.protocol.session.SecureFileBox;
import org.opencluster.protocol.session.SessionChannel;
import org.opencluster.protocol.session.SessionTerms;
import org.opencluster.protocol.session.VerifiedHello;
import org.opencluster.protocol.tls.ReloadingTlsContext;
import org.opencluster.protocol.tls.TlsPolicy;

/**
 * Staged files through the agent's link: a real agent in this JVM enrols over the real edge link
 * (Artery, TLS 1.3 both ways) with a stand-in controller edge, which answers its first heartbeat
 * with a set of two staged files, one sealed under its staged name and one under the live file's
 * name. The agent holds the first, refuses the second, acknowledges both, and writes nothing.
 * (No controller sends staged files yet, so the stand-in plays the controller's part.)
 */
class StagedFilesIT {

  private static final String NODE = "web-1";
  private static final String SECRET = "db/orders";
  private static final String FILE = "app/db.conf";

  @TempDir
  Path tmp;

  @Test
  void anAgent_holdsAStagedFile_refusesOneSealedAsTheLiveFile_acknowledgesBoth_andWritesNothing() throws Exception {
    Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "oc-staged-it-");
    Path target = shm.resolve("db.conf");
    BlockingQueue<Ack> acks = new LinkedBlockingQueue<>();
    try (TestCluster cluster = new TestCluster(tmp)) {
      Path controllerFiles = cluster.issue(cluster.root(), Identity.controller("ctl-1"), "ctl-1");
      Path nodeFiles = cluster.issue(cluster.agentCa(), Identity.node(NODE), "node");
      X509Certificate nodeCertificate = Pem.decodeCertificates(Files.readString(nodeFiles.resolve("cert.pem"))).get(0);
      ReloadingTlsContext tls = ReloadingTlsContext.load(controllerFiles.resolve("cert.pem"),
          controllerFiles.resolve("key.pem"), controllerFiles.resolve("ca.pem"),
          TlsPolicy.edge(certificate -> false, refusal -> { }, Clock.systemUTC()), Duration.ofMinutes(1), e -> { });
      ActorSystem edge = EdgeSystem.start("opencluster-edge", "127.0.0.1", 0, List.of("/user/gateway"), false, tls,
          ConfigFactory.empty(), StagedFilesIT.class.getClassLoader());
      try {
        List<X509Certificate> controllerChain = Pem.decodeCertificates(Files.readString(controllerFiles.resolve("cert.pem")));
        PrivateKey controllerKey;
        try (SecretBytes pem = SecretBytes.copyOf(Files.readAllBytes(controllerFiles.resolve("key.pem")))) {
          controllerKey = Pem.decodePrivateKey(pem);
        }
        edge.actorOf(Props.create(StandIn.class, () -> new StandIn(nodeCertificate, controllerKey, controllerChain,
            target, acks)), "gateway");
        Path bundle = bundle(nodeFiles, "127.0.0.1:" + EdgeSystem.port(edge));
        Path bootId = Files.writeString(tmp.resolve("boot-id"), "boot-staged\n");
        AgentSettings settings = AgentSettings.load(ConfigFactory.parseString("opencluster.agent { boot-id-file = \""
            + bootId + "\", enrol-timeout = 2s, backoff { min = 100ms, max = 1s } }"), bundle);
        Agent agent = Agent.start(settings, Clock.systemUTC());
        try {
          Ack ack = acks.poll(60, TimeUnit.SECONDS);

          assertThat(ack).as("the set is acknowledged").isNotNull();
          assertThat(ack.getInfoSetVersion()).isEqualTo(1);
          assertThat(ack.getStagedList()).hasSize(2);
          StagedOutcome held = ack.getStaged(0);
          assertThat(held.getSecret()).isEqualTo(SECRET);
          assertThat(held.getSecretVersion()).isEqualTo(7);
          assertThat(held.getFile()).isEqualTo(FILE);
          assertThat(held.getHeld()).isTrue();
          assertThat(held.getDetail()).isEmpty();
          StagedOutcome refused = ack.getStaged(1);
          assertThat(refused.getSecretVersion()).isEqualTo(8);
          assertThat(refused.getHeld()).isFalse();
          assertThat(refused.getDetail()).startsWith("its content does not open with this boot's key")
              .doesNotContain("password");
          assertThat(agent.state().stagedHeld()).isEqualTo(1);
          assertThat(target).doesNotExist();
          try (Stream<Path> left = Files.list(shm)) {
            assertThat(left).as("not even a temporary file").isEmpty();
          }
        } finally {
          agent.close();
        }
        assertThat(agent.state().stagedHeld()).as("wiped when the agent stops").isZero();
      } finally {
        EdgeSystem.terminate(edge, Duration.ofSeconds(10));
        Files.deleteIfExists(target);
        Files.delete(shm);
      }
    }
  }

  /** A bundle as 'opencluster node register' writes it, from the test cluster's node files. */
  private Path bundle(Path nodeFiles, String edge) throws Exception {
    Path bundle = Files.createDirectories(tmp.resolve("bundle"));
    Files.copy(nodeFiles.resolve("cert.pem"), bundle.resolve("node.pem"));
    Files.copy(nodeFiles.resolve("ca.pem"), bundle.resolve("ca.pem"));
    Files.copy(nodeFiles.resolve("key.pem"), bundle.resolve("node.key"));
    Files.setPosixFilePermissions(bundle.resolve("node.key"), PosixFilePermissions.fromString("r--------"));
    Files.writeString(bundle.resolve("agent.conf"), "opencluster.agent { node-id = \"" + NODE + "\", edges = [\""
        + edge + "\"] }\n");
    return bundle;
  }

  /**
   * The controller's part, as little of it as this test needs: welcomes the agent, acknowledges
   * each heartbeat, sends set 1 after the first, and hands the agent's acknowledgements to the test.
   */
  static final class StandIn extends AbstractActor {
    private final X509Certificate nodeCertificate;
    private final PrivateKey controllerKey;
    private final List<X509Certificate> controllerChain;
    private final Path target;
    private final BlockingQueue<Ack> acks;
    private VerifiedHello hello;
    private SessionChannel channel;
    private boolean sent;

    StandIn(X509Certificate nodeCertificate, PrivateKey controllerKey, List<X509Certificate> controllerChain,
        Path target, BlockingQueue<Ack> acks) {
      this.nodeCertificate = nodeCertificate;
      this.controllerKey = controllerKey;
      this.controllerChain = controllerChain;
      this.target = target;
      this.acks = acks;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(SignedHello.class, this::hello)
          .match(Frame.class, this::frame)
          .build();
    }

    private void hello(SignedHello signed) throws Exception {
      Instant now = Instant.now();
      hello = ControllerHandshake.verifyHello(signed, nodeCertificate, now, Duration.ofMinutes(2));
      ControllerHandshake.Accepted accepted = ControllerHandshake.welcome(hello, controllerKey, controllerChain,
          new SessionTerms(now.plusSeconds(60), Duration.ofSeconds(1), now.plusSeconds(3600)), Clock.systemUTC(),
          Link.MAX_PAYLOAD_BYTES);
      channel = accepted.channel();
      getSender().tell(accepted.welcome(), getSelf());
    }

    private void frame(Frame frame) throws Exception {
      AgentMessage message = AgentMessage.parseFrom(channel.open(frame));
      if (message.hasAck()) {
        acks.add(message.getAck());
        return;
      }
      send(ControllerMessage.newBuilder().setHeartbeatAck(HeartbeatAck.newBuilder()
          .setLeaseExpiresAtUnixMillis(System.currentTimeMillis() + 60_000)).build());
      if (!sent) {
        sent = true;
        send(ControllerMessage.newBuilder().setInfoSet(InfoSet.newBuilder().setVersion(1).setComplete(true)
            .addStaged(staged(7, SecureFileBox.stagedName(SECRET, 7, FILE), "password=next\n"))
            .addStaged(staged(8, FILE, "password=after-next\n"))).build());
      }
    }

    /** The pending version {@code secretVersion} of the secret, rendered into the file, sealed under {@code sealedAs}. */
    private StagedFile staged(long secretVersion, String sealedAs, String text) throws Exception {
      try (SecretBytes content = SecretBytes.copyOf(text.getBytes(StandardCharsets.UTF_8))) {
        SecureFile file = SecureFile.newBuilder().setName(FILE).setVersion(2).setPath(target.toString())
            .setOwner("root").setGroup("root").setMode(0400).setDelivery(SecureFile.Delivery.TMPFS)
            .setSealedContent(ByteString.copyFrom(SecureFileBox.seal(hello.agentEphemeralKey(), NODE, sealedAs, 2, content)))
            .build();
        return StagedFile.newBuilder().setSecret(SECRET).setSecretVersion(secretVersion).setFile(file).build();
      }
    }

    private void send(ControllerMessage message) {
      getSender().tell(channel.seal(message.toByteArray()), getSelf());
    }
  }
}
