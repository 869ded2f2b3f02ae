package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.protocol.agent.v1.AgentMessage;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.HeartbeatAck;
import org.opencluster.protocol.agent.v1.InfoSet;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.agent.v1.Rekey;
import org.opencluster.protocol.agent.v1.SecureFile;
import org.opencluster.protocol.agent.v1.SignedHello;
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
 * When a re-key does not go through, through the agent's link: a real agent in this JVM over the
 * real edge link with a stand-in controller edge that serves it a file, then asks it to re-key. A
 * refused re-key leaves the agent on its session; an unanswered one makes it enrol with a plain
 * Hello (no proof). Either way it keeps its file.
 */
class RekeyFallbackIT {

  private static final String NODE = "web-1";

  private enum Answer { REFUSE, IGNORE }

  @TempDir
  Path tmp;

  @Test
  void aRefusedRekey_leavesTheAgentOnItsSession_withItsFile() throws Exception {
    run(Answer.REFUSE, (events, agent, target) -> {
      next(events, "rekey-hello proven");
      String session = events.poll(30, TimeUnit.SECONDS);
      assertThat(session).startsWith("heartbeat ");
      session = session.substring("heartbeat ".length());
      assertThat(session).as("the heartbeats after the refusal are on the session the agent had")
          .isEqualTo(firstSession);
      assertThat(agent.state().enrolments()).isEqualTo(1);
      assertThat(agent.state().rekeys()).isZero();
    });
  }

  @Test
  void anUnansweredRekey_fallsBackToAPlainEnrolment_andKeepsTheFile() throws Exception {
    run(Answer.IGNORE, (events, agent, target) -> {
      next(events, "rekey-hello proven");
      assertThat(events.poll(30, TimeUnit.SECONDS)).as("nothing on the old session meanwhile; after the enrol timeout")
          .isEqualTo("plain-hello");
      String session = next(events, "heartbeat ");
      assertThat(session).isNotEqualTo(firstSession);
      assertThat(agent.state().enrolments()).isEqualTo(2);
      assertThat(agent.state().rekeys()).isZero();
    });
  }

  private String firstSession;

  private interface Then {
    void check(BlockingQueue<String> events, Agent agent, Path target) throws Exception;
  }

  private void run(Answer answer, Then then) throws Exception {
    Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "oc-rekey-fallback-it-");
    Path target = shm.resolve("app.conf");
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    try (TestCluster cluster = new TestCluster(tmp)) {
      Path controllerFiles = cluster.issue(cluster.root(), Identity.controller("ctl-1"), "ctl-1");
      Path nodeFiles = cluster.issue(cluster.agentCa(), Identity.node(NODE), "node");
      X509Certificate nodeCertificate = Pem.decodeCertificates(Files.readString(nodeFiles.resolve("cert.pem"))).get(0);
      ReloadingTlsContext tls = ReloadingTlsContext.load(controllerFiles.resolve("cert.pem"),
          controllerFiles.resolve("key.pem"), controllerFiles.resolve("ca.pem"),
          TlsPolicy.edge(certificate -> false, refusal -> { }, Clock.systemUTC()), Duration.ofMinutes(1), e -> { });
      ActorSystem edge = EdgeSystem.start("opencluster-edge", "127.0.0.1", 0, List.of("/user/gateway"), false, tls,
          ConfigFactory.empty(), RekeyFallbackIT.class.getClassLoader());
      try {
        List<X509Certificate> controllerChain = Pem.decodeCertificates(Files.readString(controllerFiles.resolve("cert.pem")));
        PrivateKey controllerKey;
        try (SecretBytes pem = SecretBytes.copyOf(Files.readAllBytes(controllerFiles.resolve("key.pem")))) {
          controllerKey = Pem.decodePrivateKey(pem);
        }
        edge.actorOf(Props.create(StandIn.class, () -> new StandIn(answer, nodeCertificate, controllerKey,
            controllerChain, target, events)), "gateway");
        Path bundle = bundle(nodeFiles, "127.0.0.1:" + EdgeSystem.port(edge));
        Path bootId = Files.writeString(tmp.resolve("boot-id"), "boot-rekey\n");
        AgentSettings settings = AgentSettings.load(ConfigFactory.parseString("opencluster.agent { boot-id-file = \""
            + bootId + "\", enrol-timeout = 2s, backoff { min = 100ms, max = 1s } }"), bundle);
        Agent agent = Agent.start(settings, Clock.systemUTC());
        try {
          assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo("plain-hello");
          firstSession = next(events, "heartbeat ");
          await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(target));
          then.check(events, agent, target);
          assertThat(Files.readString(target)).as("the file stays").isEqualTo("key=value\n");
          assertThat(agent.outcome().toCompletableFuture().isDone()).isFalse();
        } finally {
          agent.close();
        }
      } finally {
        EdgeSystem.terminate(edge, Duration.ofSeconds(10));
        Files.deleteIfExists(target);
        Files.delete(shm);
      }
    }
  }

  /** The rest of the next event that starts with {@code prefix}, skipping others. */
  private static String next(BlockingQueue<String> events, String prefix) throws InterruptedException {
    while (true) {
      String event = events.poll(30, TimeUnit.SECONDS);
      assertThat(event).as("an event starting '" + prefix + "'").isNotNull();
      if (event.startsWith(prefix)) {
        return event.substring(prefix.length());
      }
    }
  }

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
   * The controller's part, as little of it as this test needs: welcomes a plain Hello, acknowledges
   * heartbeats, sends a set with one file after the first, asks for a re-key once that set is
   * acknowledged, and refuses or ignores the (proven) re-key Hello. What it sees goes to the test.
   */
  static final class StandIn extends AbstractActor {
    private final Answer answer;
    private final X509Certificate nodeCertificate;
    private final PrivateKey controllerKey;
    private final List<X509Certificate> controllerChain;
    private final Path target;
    private final BlockingQueue<String> events;
    private VerifiedHello hello;
    private SessionChannel channel;
    private boolean setSent;
    private boolean acked;
    private boolean rekeyAsked;

    StandIn(Answer answer, X509Certificate nodeCertificate, PrivateKey controllerKey,
        List<X509Certificate> controllerChain, Path target, BlockingQueue<String> events) {
      this.answer = answer;
      this.nodeCertificate = nodeCertificate;
      this.controllerKey = controllerKey;
      this.controllerChain = controllerChain;
      this.target = target;
      this.events = events;
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
      VerifiedHello verified = ControllerHandshake.verifyHello(signed, nodeCertificate, now, Duration.ofMinutes(2));
      if (verified.claimsRekey()) {
        ControllerHandshake.verifyRekey(verified, channel);
        events.add("rekey-hello proven");
        if (answer == Answer.REFUSE) {
          getSender().tell(Refused.newBuilder().setReason(Refused.Reason.NOT_AUTHENTICATED)
              .setDetail("refused by the test").build(), getSelf());
        }
        return;
      }
      events.add("plain-hello");
      hello = verified;
      ControllerHandshake.Accepted accepted = ControllerHandshake.welcome(hello, controllerKey, controllerChain,
          new SessionTerms(now.plusSeconds(60), Duration.ofSeconds(1), now.plusSeconds(3600)), Clock.systemUTC(),
          Link.MAX_PAYLOAD_BYTES);
      channel = accepted.channel();
      getSender().tell(accepted.welcome(), getSelf());
    }

    private void frame(Frame frame) throws Exception {
      AgentMessage message = AgentMessage.parseFrom(channel.open(frame));
      if (message.hasAck()) {
        acked = true;
        return;
      }
      events.add("heartbeat " + HexFormat.of().formatHex(frame.getSessionId().toByteArray()));
      send(ControllerMessage.newBuilder().setHeartbeatAck(HeartbeatAck.newBuilder()
          .setLeaseExpiresAtUnixMillis(System.currentTimeMillis() + 60_000)).build());
      if (!setSent) {
        setSent = true;
        send(ControllerMessage.newBuilder().setInfoSet(InfoSet.newBuilder().setVersion(1).setComplete(true)
            .addFiles(file())).build());
      } else if (acked && !rekeyAsked) {
        rekeyAsked = true;
        send(ControllerMessage.newBuilder().setRekey(Rekey.getDefaultInstance()).build());
      }
    }

    private SecureFile file() throws Exception {
      try (SecretBytes content = SecretBytes.copyOf("key=value\n".getBytes(StandardCharsets.UTF_8))) {
        return SecureFile.newBuilder().setName("app/app.conf").setVersion(1).setPath(target.toString())
            .setOwner("root").setGroup("root").setMode(0400).setDelivery(SecureFile.Delivery.TMPFS)
            .setSealedContent(ByteString.copyFrom(
                SecureFileBox.seal(hello.agentEphemeralKey(), NODE, "app/app.conf", 1, content)))
            .build();
      }
    }

    private void send(ControllerMessage message) {
      getSender().tell(channel.seal(message.toByteArray()), getSelf());
    }
  }
}
