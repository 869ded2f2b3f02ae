package org.opencluster.controller.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.files.FileDefinition;
import org.opencluster.controller.files.LocalCatalog;
import org.opencluster.controller.files.TestCatalogs;
import org.opencluster.controller.node.NodeEntity.AgentFrame;
import org.opencluster.controller.node.NodeEntity.Bootstrap;
import org.opencluster.controller.node.NodeEntity.Command;
import org.opencluster.controller.node.NodeEntity.ConsumedSecretsAnswered;
import org.opencluster.controller.node.NodeEntity.EdgeReply;
import org.opencluster.controller.node.NodeEntity.Enrol;
import org.opencluster.controller.node.NodeEntity.Event;
import org.opencluster.controller.node.NodeEntity.FileStatus;
import org.opencluster.controller.node.NodeEntity.GetStatus;
import org.opencluster.controller.node.NodeEntity.ProvisionerHookStatus;
import org.opencluster.controller.node.NodeEntity.Quarantine;
import org.opencluster.controller.node.NodeEntity.QuarantineReason;
import org.opencluster.controller.node.NodeEntity.Register;
import org.opencluster.controller.node.NodeEntity.Registration;
import org.opencluster.controller.node.NodeEntity.State;
import org.opencluster.controller.testing.MovableClock;
import org.opencluster.protocol.agent.v1.Ack;
import org.opencluster.protocol.agent.v1.AgentMessage;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.FileOutcome;
import org.opencluster.protocol.agent.v1.InfoSet;
import org.opencluster.protocol.agent.v1.SecureFile;
import org.opencluster.protocol.agent.v1.StagedFile;
import org.opencluster.protocol.agent.v1.StagedOutcome;
import org.opencluster.protocol.crypto.SealedBoxException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.session.SecureFileBox;

/**
 * A node entity and the rotating secrets it consumes: the pending version reaches its agent staged
 * (held in memory, sealed under a name the live file can never be opened with), the versions it
 * holds are reported to the secrets' entities, only consumers may read a rotating secret, and a
 * quarantine tells every rotating secret the node could read, once.
 */
class NodeRotatingSecretsTest {

  private static final NodeSettings SETTINGS = new NodeSettings(Duration.ofSeconds(5), 3, Duration.ofSeconds(5),
      Duration.ofSeconds(60), Duration.ofHours(24), Duration.ofDays(365), 100);
  private static final Instant START = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
  private static final EntityTestSystem TEST_SYSTEM = new EntityTestSystem("node-rotating-secrets-test");
  private static final ActorSystem<Void> SYSTEM = TEST_SYSTEM.system();
  private static final TestPki PKI = new TestPki();
  private static final FileDefinition.Selector WEB = TestCatalogs.labels(Map.of("role", "web"));

  private final MovableClock clock = new MovableClock(START);
  private final TestCatalogs catalogs = new TestCatalogs();
  private final LocalCatalog local = new LocalCatalog();
  private final RecordingSecrets secrets = new RecordingSecrets();

  @AfterAll
  static void shutDown() {
    TEST_SYSTEM.close();
  }

  @Test
  void thePendingVersion_isStagedBesideTheLiveFile_andOpensOnlyUnderItsStagedName() throws Exception {
    catalogs.rotatingSecret("db/orders", 1, Map.of("password", "pw-1"), Map.of("password", "pw-2"), WEB)
        .template("app/db.conf", "/run/app/db.conf", "password={{ secret \"db/orders\" \"password\" }}\n", WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", Map.of("role", "web"));

    InfoSet set = onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()));
    SecureFile live = set.getFilesList().get(0);
    assertThat(content(agent, live.getName(), live)).isEqualTo("password=pw-1\n");
    assertThat(set.getStagedList()).singleElement().satisfies(staged -> {
      assertThat(staged.getSecret()).isEqualTo("db/orders");
      assertThat(staged.getSecretVersion()).isEqualTo(2);
      assertThat(staged.getFile().getPath()).isEqualTo("/run/app/db.conf");
    });
    StagedFile staged = set.getStaged(0);
    assertThat(content(agent, SecureFileBox.stagedName("db/orders", 2, "app/db.conf"), staged.getFile()))
        .isEqualTo("password=pw-2\n");
    assertThatThrownBy(() -> content(agent, "app/db.conf", staged.getFile()))
        .as("a staged content never opens as the live file").isInstanceOf(SealedBoxException.class);

    acknowledge(node, agent, set, true);
    assertThat(secrets.held).containsExactlyInAnyOrder("db/orders@1 n-1 live", "db/orders@2 n-1 staged");
  }

  @Test
  void whileTheRotationDistributes_whatTheNodeHoldsIsReportedAgain() throws Exception {
    catalogs.rotatingSecret("db/orders", 1, Map.of("password", "pw-1"), Map.of("password", "pw-2"), WEB)
        .template("app/db.conf", "/run/app/db.conf", "password={{ secret \"db/orders\" \"password\" }}\n", WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", Map.of("role", "web"));
    InfoSet set = onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()));
    acknowledged(node, agent, set);
    assertThat(secrets.held).containsOnlyOnce("db/orders@2 n-1 staged");

    clock.advance(NodeFiles.REPORT_AGAIN);
    node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(secrets.held.stream().filter("db/orders@2 n-1 staged"::equals)).as("reported again").hasSize(2);
  }

  @Test
  void aStagedFileTheAgentCouldNotHold_isNotReportedHeld() throws Exception {
    catalogs.rotatingSecret("db/orders", 1, Map.of("password", "pw-1"), Map.of("password", "pw-2"), WEB)
        .template("app/db.conf", "/run/app/db.conf", "password={{ secret \"db/orders\" \"password\" }}\n", WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", Map.of("role", "web"));
    InfoSet set = onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()));

    acknowledge(node, agent, set, false);
    assertThat(secrets.held).containsExactly("db/orders@1 n-1 live");
  }

  @Test
  void aNodeThatIsNotAConsumer_cannotReadARotatingSecret_throughAnyFile() throws Exception {
    catalogs.rotatingSecret("db/orders", 1, Map.of("password", "pw-1"), Map.of("password", "pw-2"),
            TestCatalogs.nodes("n-9"))
        .template("app/db.conf", "/run/app/db.conf", "password={{ secret \"db/orders\" \"password\" }}\n", WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", Map.of("role", "web"));

    InfoSet set = onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()));
    assertThat(set.getFilesList()).isEmpty();
    assertThat(set.getStagedList()).isEmpty();
    assertThat(node.<NodeEntity.NodeStatus>runCommand(GetStatus::new).reply().files()).singleElement()
        .satisfies(file -> {
          assertThat(file.result()).isEqualTo(FileStatus.Result.FAILED);
          assertThat(file.detail()).contains("not a consumer of rotating secret 'db/orders'");
        });
    assertThat(secrets.held).isEmpty();
  }

  @Test
  void aConsumerWithNoFileReadingTheSecret_holdsItsVersionsAtOnce_reportedOnce() throws Exception {
    catalogs.rotatingSecret("svc/token", 4, Map.of("password", "t-4"), Map.of("password", "t-5"), WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", Map.of("role", "web"));

    node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(secrets.held).containsExactlyInAnyOrder("svc/token@4 n-1 live", "svc/token@5 n-1 staged");
  }

  @Test
  void aQuarantinedConsumer_tellsEveryRotatingSecretItCouldRead_onceAndPersistently() throws Exception {
    catalogs.rotatingSecret("db/orders", 1, Map.of("password", "pw-1"), Map.of(), WEB)
        .rotatingSecret("db/billing", 1, Map.of("password", "b-1"), Map.of(), TestCatalogs.nodes("n-1"))
        .rotatingSecret("db/other", 1, Map.of("password", "o-1"), Map.of(), TestCatalogs.labels(Map.of("role", "db")))
        .secret("static/shared", Map.of("password", "s"));
    local.update(catalogs.catalog());
    var node = entity("n-1");
    enrolled(node, "n-1", Map.of("role", "web"));
    secrets.failNext.set(1); // the first attempt cannot reach one of them

    var quarantined = node.<StatusReply<Done>>runCommand(r -> new Quarantine(QuarantineReason.OPERATOR, "test", r));
    assertThat(quarantined.reply().isSuccess()).isTrue();
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
        node.<NodeEntity.NodeStatus>runCommand(GetStatus::new).reply().consumedSecrets())
        .hasValueSatisfying(s -> assertThat(s.result()).isEqualTo(ProvisionerHookStatus.Result.DONE)));
    ConsumedSecretsAnswered answered = node.persistenceTestKit()
        .persistedInStorage("node|n-1").stream().filter(ConsumedSecretsAnswered.class::isInstance)
        .map(ConsumedSecretsAnswered.class::cast).findFirst().orElseThrow();
    assertThat(answered.secrets()).containsExactly("db/billing", "db/orders");
    assertThat(secrets.compromised).contains("db/orders n-1", "db/billing n-1").doesNotContain("db/other n-1");

    int told = secrets.compromised.size();
    node.restart();
    assertThat(node.<NodeEntity.NodeStatus>runCommand(GetStatus::new).reply().consumedSecrets())
        .hasValueSatisfying(s -> assertThat(s.result()).isEqualTo(ProvisionerHookStatus.Result.DONE));
    assertThat(secrets.compromised).as("not told again after a recovery").hasSize(told);
  }

  @Test
  void aQuarantinedConsumer_isReleasedOnlyOnceItsSecretsNotedTheCompromise() throws Exception {
    catalogs.rotatingSecret("db/orders", 1, Map.of("password", "pw-1"), Map.of(), WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    enrolled(node, "n-1", Map.of("role", "web"));
    secrets.failNext.set(Integer.MAX_VALUE); // the secret cannot be reached for now

    node.<StatusReply<Done>>runCommand(r -> new Quarantine(QuarantineReason.OPERATOR, "test", r));
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !secrets.compromised.isEmpty());
    var early = node.<StatusReply<Done>>runCommand(r -> new NodeEntity.Release(r));
    assertThat(early.reply().getError().getMessage()).contains("compromise response is still telling");
    assertThat(early.hasNoEvents()).isTrue();

    secrets.failNext.set(0);
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
        node.<NodeEntity.NodeStatus>runCommand(GetStatus::new).reply().consumedSecrets())
        .hasValueSatisfying(s -> assertThat(s.result()).isEqualTo(ProvisionerHookStatus.Result.DONE)));
    assertThat(node.<StatusReply<Done>>runCommand(r -> new NodeEntity.Release(r)).reply().isSuccess()).isTrue();
  }

  @Test
  void aSecretTheNodeOnceConsumed_staysInItsBlastRadius_afterItsLabelsChanged() throws Exception {
    catalogs.rotatingSecret("db/orders", 1, Map.of("password", "pw-1"), Map.of(), WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", Map.of("role", "web"));
    var beat = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(beat.events()).filteredOn(NodeEntity.RotatingSecretsConsumed.class::isInstance).singleElement()
        .satisfies(e -> assertThat(((NodeEntity.RotatingSecretsConsumed) e).secrets()).containsExactly("db/orders"));
    assertThat(node.<StatusReply<Done>>runCommand(r -> new NodeEntity.SetLabels(Map.of("role", "db"), r)).reply()
        .isSuccess()).isTrue();
    node.restart(); // what it consumed is journaled

    node.<StatusReply<Done>>runCommand(r -> new Quarantine(QuarantineReason.OPERATOR, "test", r));
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(secrets.compromised).containsExactly("db/orders n-1"));
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** The rotating secrets' entities, as the node entity reaches them: records what it says. */
  private static final class RecordingSecrets implements NodeEnvironment.SecretConsumers {
    final List<String> held = new CopyOnWriteArrayList<>();
    final List<String> compromised = new CopyOnWriteArrayList<>();
    final AtomicInteger failNext = new AtomicInteger();

    @Override
    public void holds(String secret, long version, String nodeId, boolean live) {
      held.add(secret + "@" + version + " " + nodeId + (live ? " live" : " staged"));
    }

    @Override
    public CompletionStage<Done> compromised(String secret, String nodeId) {
      compromised.add(secret + " " + nodeId);
      if (failNext.getAndDecrement() > 0) {
        return CompletableFuture.failedFuture(new IllegalStateException("secret " + secret + " did not answer"));
      }
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> entity(String id) {
    return EventSourcedBehaviorTestKit.create(SYSTEM, NodeEntity.create(id,
        new NodeEnvironment(SETTINGS, clock, () -> PKI.controller, certificate -> { },
            new FileSource(local, catalogs.cipher, Optional::empty, Duration.ofSeconds(10))).withSecrets(secrets),
        Optional.empty()));
  }

  private Agent enrolled(EventSourcedBehaviorTestKit<Command, Event, State> node, String id, Map<String, String> labels)
      throws Exception {
    ByteString certificate = ByteString.copyFrom(PKI.nodeCertificate.getEncoded());
    var registered = node.<StatusReply<Registration>>runCommand(r -> new Register("web-1", labels, Duration.ofDays(1),
        certificate, Bootstrap.REUSABLE, r));
    assertThat(registered.reply().isSuccess()).isTrue();
    Agent agent = new Agent(id, PKI.nodeKeys, "boot-" + id, clock.instant(), PKI);
    agent.complete(node.<EdgeReply>runCommand(r -> new Enrol(agent.hello(), r)).reply());
    return agent;
  }

  private void acknowledge(EventSourcedBehaviorTestKit<Command, Event, State> node, Agent agent, InfoSet set,
      boolean stagedHeld) {
    Ack.Builder ack = Ack.newBuilder().setInfoSetVersion(set.getVersion());
    set.getFilesList().forEach(f -> ack.addFiles(FileOutcome.newBuilder().setName(f.getName()).setVersion(f.getVersion())
        .setResult(FileOutcome.Result.APPLIED)));
    set.getStagedList().forEach(s -> ack.addStaged(StagedOutcome.newBuilder().setSecret(s.getSecret())
        .setSecretVersion(s.getSecretVersion()).setFile(s.getFile().getName()).setHeld(stagedHeld)
        .setDetail(stagedHeld ? "" : "its content does not open with this boot's key")));
    node.<EdgeReply>runCommand(r -> new AgentFrame(agent.frame(AgentMessage.newBuilder().setAck(ack).build()), r));
    agent.applied(set.getVersion());
  }

  private void acknowledged(EventSourcedBehaviorTestKit<Command, Event, State> node, Agent agent, InfoSet set) {
    acknowledge(node, agent, set, true);
  }

  private static InfoSet onlySet(List<ControllerMessage> messages) {
    assertThat(messages).hasSize(1);
    return messages.get(0).getInfoSet();
  }

  private static String content(Agent agent, String sealedName, SecureFile file) throws Exception {
    try (SecretBytes content = agent.openFile(sealedName, file.getVersion(), file.getSealedContent())) {
      return new String(content.copyBytes(), StandardCharsets.UTF_8);
    }
  }
}
