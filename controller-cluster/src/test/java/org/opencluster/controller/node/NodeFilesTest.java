package org.opencluster.controller.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.files.FileDefinition;
import org.opencluster.controller.files.LocalCatalog;
import org.opencluster.controller.files.TestCatalogs;
import org.opencluster.controller.node.NodeEntity.AgentFrame;
import org.opencluster.controller.node.NodeEntity.Bootstrap;
import org.opencluster.controller.node.NodeEntity.Command;
import org.opencluster.controller.node.NodeEntity.EdgeReply;
import org.opencluster.controller.node.NodeEntity.Enrol;
import org.opencluster.controller.node.NodeEntity.Event;
import org.opencluster.controller.node.NodeEntity.FileSecretsGenerated;
import org.opencluster.controller.node.NodeEntity.FileStatus;
import org.opencluster.controller.node.NodeEntity.GetStatus;
import org.opencluster.controller.node.NodeEntity.Register;
import org.opencluster.controller.node.NodeEntity.Registration;
import org.opencluster.controller.node.NodeEntity.SetLabels;
import org.opencluster.controller.node.NodeEntity.State;
import org.opencluster.controller.testing.MovableClock;
import org.opencluster.protocol.agent.v1.Ack;
import org.opencluster.protocol.agent.v1.AgentMessage;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.FileOutcome;
import org.opencluster.protocol.agent.v1.InfoSet;
import org.opencluster.protocol.agent.v1.SecureFile;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SealedBoxException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.Pem;

/**
 * Secure files at the node entity: what a node's agent receives at a heartbeat (static, template
 * and generated files, each sealed to that agent's boot), what it never receives, when a set is
 * sent again, and that generated secrets survive the entity moving. The agent side is the real
 * protocol code; events go through the encrypting serializer.
 */
class NodeFilesTest {

  private static final NodeSettings SETTINGS = new NodeSettings(Duration.ofSeconds(5), 3, Duration.ofSeconds(5),
      Duration.ofSeconds(60), Duration.ofHours(24), Duration.ofDays(365), 100);
  private static final Duration RESEND_AFTER = Duration.ofSeconds(10);
  private static final Instant START = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
  private static final EntityTestSystem TEST_SYSTEM = new EntityTestSystem("node-files-test");
  private static final ActorSystem<Void> SYSTEM = TEST_SYSTEM.system();
  private static final TestPki PKI = new TestPki();
  private static final FileDefinition.Selector WEB = TestCatalogs.labels(Map.of("role", "web"));

  private final MovableClock clock = new MovableClock(START);
  private final TestCatalogs catalogs = new TestCatalogs();
  private final LocalCatalog local = new LocalCatalog();
  /** The service CA as the entities see it, on the test's clock; empty until a test imports one. */
  private final java.util.concurrent.atomic.AtomicReference<Optional<CertificateAuthority>> serviceCa =
      new java.util.concurrent.atomic.AtomicReference<>(Optional.empty());

  @AfterAll
  static void shutDown() {
    TEST_SYSTEM.close();
  }

  @Test
  void staticTemplateAndGeneratedFiles_reachTheAgent_sealedToItsBoot() throws Exception {
    catalogs.secret("db/orders", Map.of("password", "orders-pw-1"))
        .staticFile("app/static.conf", "/run/app/static.conf", "static=1\n", WEB)
        .template("app/db.conf", "/run/app/db.conf", "host={{ node.name }}\npassword={{ secret \"db/orders\" \"password\" }}\n", WEB)
        .generated("app/local.pw", "/run/app/local.pw", FileDefinition.Generator.RANDOM_PASSWORD, 24, WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);

    var beat = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(agent.open(beat.reply()).hasHeartbeatAck()).as("the ack comes first").isTrue();
    assertThat(beat.events()).filteredOn(FileSecretsGenerated.class::isInstance).singleElement()
        .satisfies(e -> assertThat(((FileSecretsGenerated) e).secrets()).hasSize(1));
    InfoSet set = onlySet(agent.following(beat.reply()));
    assertThat(set.getComplete()).isTrue();
    assertThat(set.getFilesList()).extracting(SecureFile::getName)
        .containsExactly("app/db.conf", "app/local.pw", "app/static.conf");
    assertThat(content(agent, file(set, "app/static.conf"))).isEqualTo("static=1\n");
    assertThat(content(agent, file(set, "app/db.conf"))).isEqualTo("host=web-1\npassword=orders-pw-1\n");
    assertThat(content(agent, file(set, "app/local.pw"))).matches("[A-Za-z0-9]{24}");
    SecureFile db = file(set, "app/db.conf");
    assertThat(db.getPath()).isEqualTo("/run/app/db.conf");
    assertThat(db.getMode()).isEqualTo(0440);
    assertThat(db.getSealedContent().toStringUtf8()).doesNotContain("orders-pw-1");
  }

  @Test
  void twoNodesWithTheSameTemplate_getTheirOwnRendering_andCannotOpenEachOthersBoxes() throws Exception {
    catalogs.secret("db/orders", Map.of("password", "pw"))
        .template("app/id.conf", "/run/app/id.conf", "id={{ node.id }} name={{ node.name }} role={{ node.label \"role\" }}\n", WEB);
    local.update(catalogs.catalog());
    var one = entity("n-1");
    var two = entity("n-2");
    Agent first = enrolled(one, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    Agent second = enrolled(two, "n-2", "web-2", Map.of("role", "web"), PKI.otherNodeKeys);

    SecureFile mine = file(onlySet(first.following(one.<EdgeReply>runCommand(r -> new AgentFrame(first.heartbeat(), r)).reply())), "app/id.conf");
    SecureFile theirs = file(onlySet(second.following(two.<EdgeReply>runCommand(r -> new AgentFrame(second.heartbeat(), r)).reply())), "app/id.conf");

    assertThat(content(first, mine)).isEqualTo("id=n-1 name=web-1 role=web\n");
    assertThat(content(second, theirs)).isEqualTo("id=n-2 name=web-2 role=web\n");
    assertThatThrownBy(() -> second.openFile(mine.getName(), mine.getVersion(), mine.getSealedContent()))
        .isInstanceOf(SealedBoxException.class);
    assertThatThrownBy(() -> first.openFile(mine.getName(), mine.getVersion() + 1, mine.getSealedContent()))
        .as("a box opens only for the version it was sealed for").isInstanceOf(SealedBoxException.class);
  }

  @Test
  void aNodeOutsideTheSelector_neverReceivesTheFile() throws Exception {
    catalogs.staticFile("app/web-only.conf", "/run/app/web.conf", "web\n", WEB)
        .staticFile("app/n2-only.conf", "/run/app/n2.conf", "n2\n", TestCatalogs.nodes("n-2"));
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "db-1", Map.of("role", "db"), PKI.nodeKeys);

    var beat = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(beat.reply().more()).as("nothing to deliver: no set at all").isEmpty();
    clock.advance(RESEND_AFTER.plusSeconds(1));
    assertThat(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply().more()).isEmpty();
  }

  @Test
  void anAcknowledgedSet_isNotSentAgain_butAChangeIs() throws Exception {
    catalogs.staticFile("app/a.conf", "/run/app/a.conf", "v1\n", WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    InfoSet first = onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()));
    acknowledge(node, agent, first);

    assertThat(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply().more()).isEmpty();
    assertThat(node.<NodeEntity.NodeStatus>runCommand(GetStatus::new).reply().files())
        .containsExactly(new FileStatus("app/a.conf", first.getFiles(0).getVersion(), FileStatus.Result.APPLIED, ""));

    catalogs.staticFile("app/a.conf", "/run/app/a.conf", "v2\n", WEB);
    local.update(catalogs.catalog());
    InfoSet second = onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()));
    assertThat(second.getVersion()).isGreaterThan(first.getVersion());
    assertThat(content(agent, second.getFiles(0))).isEqualTo("v2\n");
  }

  @Test
  void anUnacknowledgedSet_isSentAgainAfterResendAfter_notBefore() throws Exception {
    catalogs.staticFile("app/a.conf", "/run/app/a.conf", "v1\n", WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()));

    clock.advance(Duration.ofSeconds(5));
    assertThat(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply().more()).isEmpty();
    clock.advance(RESEND_AFTER);
    assertThat(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply())).hasSize(1);
  }

  @Test
  void aRemovedFile_leavesTheNextCompleteSet() throws Exception {
    catalogs.staticFile("app/a.conf", "/run/app/a.conf", "a\n", WEB).staticFile("app/b.conf", "/run/app/b.conf", "b\n", WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    acknowledge(node, agent, onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply())));

    local.update(catalogs.remove("app/b.conf").catalog());
    InfoSet next = onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()));
    assertThat(next.getComplete()).isTrue();
    assertThat(next.getFilesList()).extracting(SecureFile::getName).containsExactly("app/a.conf");
  }

  @Test
  void aGeneratedSecret_staysTheSame_whenTheEntityMovesToAnotherController() throws Exception {
    catalogs.generated("app/key", "/run/app/key", FileDefinition.Generator.RANDOM_KEY, 32, WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    SecureFile before = onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply())).getFiles(0);

    node.restart();
    clock.advance(Duration.ofSeconds(1)); // a take-over takes a moment; the new incarnation's frames are later
    var beat = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(beat.hasNoEvents()).as("no new secret is made").isTrue();
    SecureFile after = onlySet(agent.following(beat.reply())).getFiles(0);
    assertThat(content(agent, after)).isEqualTo(content(agent, before)).hasSize(44);
  }

  @Test
  void aGeneratedSecretWithASchedule_isMadeAgainOnEachNode_within90To100PercentOfIt() throws Exception {
    catalogs.generated("app/key", "/run/app/key", FileDefinition.Generator.RANDOM_KEY, 32, Duration.ofHours(10), WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    InfoSet first = onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()));
    String value = content(agent, first.getFiles(0));
    acknowledge(node, agent, first);
    Instant renewAt = NodeEntity.generatedOf(node.getState()).get("app/key").renewAt();
    assertThat(renewAt).isBetween(START.plus(Duration.ofHours(9)), START.plus(Duration.ofHours(10)));

    clock.advance(Duration.between(clock.instant(), renewAt).minusSeconds(1));
    var early = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(early.events()).noneMatch(FileSecretsGenerated.class::isInstance);
    assertThat(early.reply().more()).isEmpty();

    clock.advance(Duration.ofSeconds(1));
    var due = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(due.events()).filteredOn(FileSecretsGenerated.class::isInstance).hasSize(1);
    assertThat(content(agent, onlySet(agent.following(due.reply())).getFiles(0))).isNotEqualTo(value);
    assertThat(NodeEntity.generatedOf(node.getState()).get("app/key").renewAt()).isAfter(renewAt);
  }

  @Test
  void aScheduleShorterThanTenMinutes_isRefused() {
    catalogs.generated("app/key", "/run/app/key", FileDefinition.Generator.RANDOM_KEY, 32, Duration.ofMinutes(9), WEB);
    assertThat(catalogs.catalog().files().get("app/key").invalid()).get().asString().contains("made again every");
  }

  @Test
  void aQuarantinedNode_dropsItsGeneratedSecrets() throws Exception {
    catalogs.generated("app/key", "/run/app/key", FileDefinition.Generator.RANDOM_KEY, 32, WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(NodeEntity.generatedOf(node.getState())).containsKey("app/key");

    node.<StatusReply<Done>>runCommand(r -> new NodeEntity.Quarantine(NodeEntity.QuarantineReason.OPERATOR, "test", r));
    assertThat(NodeEntity.generatedOf(node.getState())).isEmpty();
    node.restart();
    assertThat(NodeEntity.generatedOf(node.getState())).as("not in the snapshot-free recovery either").isEmpty();
  }

  @Test
  void eachNode_getsItsOwnGeneratedKey() throws Exception {
    catalogs.generated("app/key", "/run/app/key", FileDefinition.Generator.RANDOM_KEY, 32, WEB);
    local.update(catalogs.catalog());
    var one = entity("n-1");
    var two = entity("n-2");
    Agent first = enrolled(one, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    Agent second = enrolled(two, "n-2", "web-2", Map.of("role", "web"), PKI.otherNodeKeys);
    String a = content(first, onlySet(first.following(one.<EdgeReply>runCommand(r -> new AgentFrame(first.heartbeat(), r)).reply())).getFiles(0));
    String b = content(second, onlySet(second.following(two.<EdgeReply>runCommand(r -> new AgentFrame(second.heartbeat(), r)).reply())).getFiles(0));
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void aTemplateReadingALabelTheNodeLacks_isNotDelivered_andItsStatusSaysWhy() throws Exception {
    catalogs.template("app/zone.conf", "/run/app/zone.conf", "zone={{ node.label \"zone\" }}\n", WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    InfoSet set = onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()));
    assertThat(set.getFilesList()).isEmpty();
    FileStatus status = node.<NodeEntity.NodeStatus>runCommand(GetStatus::new).reply().files().get(0);
    assertThat(status.result()).isEqualTo(FileStatus.Result.FAILED);
    assertThat(status.detail()).contains("has no label 'zone'");
  }

  @Test
  void newLabels_bringTheNodeIntoASelector() throws Exception {
    catalogs.staticFile("app/a.conf", "/run/app/a.conf", "a\n", WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "db-1", Map.of("role", "db"), PKI.nodeKeys);
    assertThat(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply().more()).isEmpty();

    var labelled = node.<StatusReply<Done>>runCommand(r -> new SetLabels(Map.of("role", "web"), r));
    assertThat(labelled.reply().isSuccess()).isTrue();
    InfoSet set = onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()));
    assertThat(set.getFilesList()).extracting(SecureFile::getName).containsExactly("app/a.conf");
  }

  @Test
  void invalidLabels_areRefused() {
    local.update(catalogs.catalog());
    var node = entity("n-1");
    register(node, "web-1", Map.of("role", "web"), "n-1");
    var refused = node.<StatusReply<Done>>runCommand(r -> new SetLabels(Map.of("Bad Key", "x"), r));
    assertThat(refused.reply().isError()).isTrue();
    assertThat(refused.hasNoEvents()).isTrue();
  }

  @Test
  void beforeTheCatalogIsRead_nothingIsSent_soNothingIsRemovedFromTheAgent() throws Exception {
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    agent.applied(7); // the agent holds files from before this controller started
    assertThat(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply().more()).isEmpty();
  }

  // ---- tls-certificate ----------------------------------------------------------------------

  @Test
  void tlsCertificate_reachesTheAgent_asItsKeyCertificateAndChain_forItsOwnNames() throws Exception {
    importServiceCa(PKI.services, PKI.serviceKeys.getPrivate());
    catalogs.tlsCertificate("web/tls.pem", "/run/web/tls.pem", List.of("{{ node.name }}.web.example", "{{ node.name }}"),
        List.of("10.0.0.7"), Duration.ofHours(1), WEB);
    local.update(catalogs.catalog());
    var one = entity("n-1");
    var two = entity("n-2");
    Agent first = enrolled(one, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    Agent second = enrolled(two, "n-2", "web-2", Map.of("role", "web"), PKI.otherNodeKeys);

    Served mine = served(first, onlySet(first.following(one.<EdgeReply>runCommand(r -> new AgentFrame(first.heartbeat(), r)).reply())));
    Served theirs = served(second, onlySet(second.following(two.<EdgeReply>runCommand(r -> new AgentFrame(second.heartbeat(), r)).reply())));

    assertThat(mine.chain()).hasSize(2);
    assertThat(mine.chain().get(1)).isEqualTo(PKI.services.certificate());
    mine.certificate().verify(PKI.services.certificate().getPublicKey());
    assertThat(EcKeys.belongTogether(mine.certificate().getPublicKey(), mine.key())).isTrue();
    assertThat(mine.certificate().getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList())
        .containsExactly("web-1.web.example", "web-1", "10.0.0.7");
    assertThat(mine.certificate().getNotAfter().toInstant()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
    assertThat(theirs.certificate().getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList())
        .containsExactly("web-2.web.example", "web-2", "10.0.0.7");
    assertThat(theirs.certificate().getPublicKey()).as("each node its own key").isNotEqualTo(mine.certificate().getPublicKey());
  }

  @Test
  void tlsCertificate_isIssuedAgainTwoThirdsIntoItsValidity_notBefore_norOnRecovery() throws Exception {
    importServiceCa(PKI.services, PKI.serviceKeys.getPrivate());
    catalogs.tlsCertificate("web/tls.pem", "/run/web/tls.pem", List.of("{{ node.name }}"), List.of(), Duration.ofHours(3), WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    InfoSet first = onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()));
    X509Certificate issued = served(agent, first).certificate();
    acknowledge(node, agent, first);

    node.restart();
    clock.advance(Duration.ofSeconds(1)); // a take-over takes a moment; the new incarnation's frames are later
    var recovered = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(recovered.events()).as("no new certificate on recovery").noneMatch(FileSecretsGenerated.class::isInstance);
    InfoSet again = onlySet(agent.following(recovered.reply()));
    assertThat(served(agent, again).certificate()).as("a new incarnation sends the same certificate").isEqualTo(issued);
    acknowledge(node, agent, again);

    clock.advance(Duration.ofMinutes(110));
    var early = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(agent.open(early.reply()).hasHeartbeatAck()).isTrue();
    assertThat(early.reply().more()).as("not yet two thirds in").isEmpty();
    assertThat(early.events()).noneMatch(FileSecretsGenerated.class::isInstance);

    clock.advance(Duration.ofMinutes(11));
    var due = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(due.events()).filteredOn(FileSecretsGenerated.class::isInstance).hasSize(1);
    Served renewed = served(agent, onlySet(agent.following(due.reply())));
    assertThat(renewed.certificate().getSerialNumber()).isNotEqualTo(issued.getSerialNumber());
    assertThat(renewed.certificate().getPublicKey()).as("a new key too").isNotEqualTo(issued.getPublicKey());
    assertThat(renewed.certificate().getNotAfter()).isAfter(issued.getNotAfter());
  }

  @Test
  void tlsCertificate_withoutAServiceCa_failsWithWhy_andArrivesOnceOneIsImported() throws Exception {
    catalogs.tlsCertificate("web/tls.pem", "/run/web/tls.pem", List.of("{{ node.name }}"), List.of(), Duration.ofHours(1), WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    InfoSet without = onlySet(agent.following(node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()));
    assertThat(without.getFilesList()).isEmpty();
    FileStatus status = node.<NodeEntity.NodeStatus>runCommand(GetStatus::new).reply().files().get(0);
    assertThat(status.result()).isEqualTo(FileStatus.Result.FAILED);
    assertThat(status.detail()).contains("no service CA", "import-service-ca");
    acknowledge(node, agent, without);

    importServiceCa(PKI.services, PKI.serviceKeys.getPrivate());
    var beat = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(beat.events()).filteredOn(FileSecretsGenerated.class::isInstance).hasSize(1);
    assertThat(onlySet(agent.following(beat.reply())).getFilesList()).extracting(SecureFile::getName)
        .containsExactly("web/tls.pem");
  }

  @Test
  void tlsCertificate_forANameTheServiceCaMayNotCertify_isRefused() throws Exception {
    KeyPair keys = EcKeys.generate();
    importServiceCa(PKI.root.createServiceCa(keys, Duration.ofDays(2), List.of("acme.example")), keys.getPrivate());
    catalogs.tlsCertificate("web/tls.pem", "/run/web/tls.pem", List.of("{{ node.name }}.bank.example"), List.of(),
        Duration.ofHours(1), WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    var beat = node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(beat.events()).noneMatch(FileSecretsGenerated.class::isInstance);
    assertThat(onlySet(agent.following(beat.reply())).getFilesList()).isEmpty();
    FileStatus status = node.<NodeEntity.NodeStatus>runCommand(GetStatus::new).reply().files().get(0);
    assertThat(status.result()).isEqualTo(FileStatus.Result.FAILED);
    assertThat(status.detail()).contains("service CA refused", "web-1.bank.example");
  }

  @Test
  void tlsCertificate_neverOutlastsTheServiceCa() throws Exception {
    KeyPair keys = EcKeys.generate();
    CertificateAuthority shortLived = PKI.root.createServiceCa(keys, Duration.ofHours(2), List.of());
    importServiceCa(shortLived, keys.getPrivate());
    catalogs.tlsCertificate("web/tls.pem", "/run/web/tls.pem", List.of("{{ node.name }}"), List.of(), Duration.ofHours(24), WEB);
    local.update(catalogs.catalog());
    var node = entity("n-1");
    Agent agent = enrolled(node, "n-1", "web-1", Map.of("role", "web"), PKI.nodeKeys);
    X509Certificate issued = served(agent, onlySet(agent.following(
        node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r)).reply()))).certificate();
    assertThat(issued.getNotAfter()).isEqualTo(shortLived.certificate().getNotAfter());
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** Uses {@code ca} as the imported service CA, issuing on the test's clock. */
  private void importServiceCa(CertificateAuthority ca, PrivateKey key) throws Exception {
    serviceCa.set(Optional.of(CertificateAuthority.load(ca.chain(), key, clock)));
  }

  /** A tls-certificate file as the agent opens it. */
  private record Served(PrivateKey key, X509Certificate certificate, List<X509Certificate> chain) {}

  private static Served served(Agent agent, InfoSet set) throws Exception {
    String pem = content(agent, file(set, "web/tls.pem"));
    assertThat(pem).as("the key first, then the certificates").startsWith("-----BEGIN ").doesNotStartWith("-----BEGIN CERTIFICATE");
    int certificates = pem.indexOf("-----BEGIN CERTIFICATE-----");
    PrivateKey key;
    try (SecretBytes keyPem = SecretBytes.copyOf(pem.substring(0, certificates).getBytes(StandardCharsets.US_ASCII))) {
      key = Pem.decodePrivateKey(keyPem);
    }
    List<X509Certificate> chain = Pem.decodeCertificates(pem.substring(certificates));
    return new Served(key, chain.get(0), chain);
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> entity(String id) {
    return EventSourcedBehaviorTestKit.create(SYSTEM, NodeEntity.create(id,
        new NodeEnvironment(SETTINGS, clock, () -> PKI.controller, certificate -> { },
            new FileSource(local, catalogs.cipher, serviceCa::get, RESEND_AFTER)), Optional.empty()));
  }

  private void register(EventSourcedBehaviorTestKit<Command, Event, State> node, String name, Map<String, String> labels,
      String id) {
    ByteString certificate;
    try {
      certificate = ByteString.copyFrom((id.equals("n-1") ? PKI.nodeCertificate : PKI.otherNodeCertificate).getEncoded());
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
    var registered = node.<StatusReply<Registration>>runCommand(r -> new Register(name, labels, Duration.ofDays(1),
        certificate, Bootstrap.REUSABLE, r));
    assertThat(registered.reply().isSuccess()).isTrue();
  }

  private Agent enrolled(EventSourcedBehaviorTestKit<Command, Event, State> node, String id, String name,
      Map<String, String> labels, java.security.KeyPair keys) throws Exception {
    register(node, name, labels, id);
    Agent agent = new Agent(id, keys, "boot-" + id, clock.instant(), PKI);
    agent.complete(node.<EdgeReply>runCommand(r -> new Enrol(agent.hello(), r)).reply());
    return agent;
  }

  private void acknowledge(EventSourcedBehaviorTestKit<Command, Event, State> node, Agent agent, InfoSet set) {
    Ack.Builder ack = Ack.newBuilder().setInfoSetVersion(set.getVersion());
    set.getFilesList().forEach(f -> ack.addFiles(FileOutcome.newBuilder().setName(f.getName()).setVersion(f.getVersion())
        .setResult(FileOutcome.Result.APPLIED)));
    node.<EdgeReply>runCommand(r -> new AgentFrame(agent.frame(AgentMessage.newBuilder().setAck(ack).build()), r));
    agent.applied(set.getVersion());
  }

  private static InfoSet onlySet(List<ControllerMessage> messages) {
    assertThat(messages).hasSize(1);
    assertThat(messages.get(0).hasInfoSet()).isTrue();
    return messages.get(0).getInfoSet();
  }

  private static SecureFile file(InfoSet set, String name) {
    return set.getFilesList().stream().filter(f -> f.getName().equals(name)).findFirst().orElseThrow();
  }

  private static String content(Agent agent, SecureFile file) throws Exception {
    try (SecretBytes content = agent.openFile(file.getName(), file.getVersion(), file.getSealedContent())) {
      return new String(content.copyBytes(), StandardCharsets.UTF_8);
    }
  }
}
