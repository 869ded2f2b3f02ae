package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.javadsl.ProjectionManagement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.controller.view.NodeViewProjection;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateRequest;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.Role;

/**
 * The node routes of the operator API on a real controller (H2, dev key): the listing from the
 * read model with its filters and cursors, the transitions, and every refusal (role, unknown
 * node, bad filter, bad cursor, a transition the node's stage refuses).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeRoutesIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private TestCluster cluster;
  private Controller controller;
  private int api;
  private ApiTestClient admin;
  private ApiTestClient operator;
  private ApiTestClient auditor;

  @BeforeAll
  void start(@TempDir Path directory) throws Exception {
    cluster = new TestCluster(directory);
    controller = cluster.start(cluster.controllerConfig("ctl-1", TestCluster.freePort(), List.of(), TestDatabases.freshH2()));
    try (SecretBytes key = SecretBytes.random(32)) {
      controller.unsealWithDevelopmentKey(key);
    }
    await().atMost(TIMEOUT).until(() -> controller.readiness().shardingStarted());
    api = controller.apiPort();
    admin = new ApiTestClient(cluster.issueOperator("alice", Role.ADMIN));
    operator = new ApiTestClient(cluster.issueOperator("oscar", Role.OPERATOR));
    auditor = new ApiTestClient(cluster.issueOperator("audrey", Role.AUDITOR));
  }

  @AfterAll
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void theListing_filtersByStateLabelsAndNamePrefix_inIdOrder_acrossPages() throws Exception {
    for (int i = 1; i <= 7; i++) {
      register("ls-" + i, (i <= 4 ? "api-" : "db-") + i, Map.of("tier", i <= 4 ? "web" : "data", "zone", "z" + i % 2));
    }
    awaitListed("ls-7", "registered");
    awaitListed("ls-2", "registered");
    heartbeat("ls-2");
    awaitListed("ls-2", "active");

    assertThat(ids(listAll(auditor, "name-prefix=api-&limit=3"))).containsExactly("ls-1", "ls-2", "ls-3", "ls-4");
    assertThat(ids(listAll(auditor, "label=" + encode("tier=web") + "&label=" + encode("zone=z1") + "&limit=1")))
        .containsExactly("ls-1", "ls-3");
    assertThat(ids(listAll(auditor, "state=active&name-prefix=api-"))).containsExactly("ls-2");
    assertThat(ids(listAll(auditor, "label=" + encode("tier=none")))).isEmpty();

    ApiTestClient.Reply first = auditor.get(api, "/v1/nodes?name-prefix=db-&limit=2");
    assertThat(first.status()).isEqualTo(200);
    assertThat(ids(first.body().path("nodes"))).containsExactly("ls-5", "ls-6");
    ApiTestClient.Reply last = auditor.get(api, "/v1/nodes?name-prefix=db-&limit=2&after=" + first.body().path("next").asText());
    assertThat(ids(last.body().path("nodes"))).containsExactly("ls-7");
    assertThat(last.body().has("next")).as("the last page says so").isFalse();

    await().atMost(TIMEOUT).until(() -> listAll(auditor, "state=active&name-prefix=api-").get(0).has("lastHeartbeatBucket"));
    JsonNode active = listAll(auditor, "state=active&name-prefix=api-").get(0);
    assertThat(active.path("name").asText()).isEqualTo("api-2");
    assertThat(active.path("labels").path("tier").asText()).isEqualTo("web");
    Instant bucket = controller.settings().nodes().heartbeatBucketOf(Instant.now());
    assertThat(Instant.parse(active.path("lastHeartbeatBucket").asText())).isBetween(bucket.minus(Duration.ofHours(1)), bucket);
    assertThat(active.has("certificateNotAfter")).as("registered without a certificate").isFalse();
    assertThat(active.has("lifetimeEndsAt") && active.has("registeredAt") && active.has("updatedAt")).isTrue();
  }

  @Test
  void theView_showsWhenACertificateEnds_holdsOnlyItsColumns_andNoCertificate() throws Exception {
    try (SecretBytes key = Pem.encodePrivateKey(cluster.agentCaKey())) {
      assertThat(admin.put(api, "/v1/sys/agent-ca", JSON.writeValueAsString(Map.of(
          "certificate", Pem.encodeCertificates(List.of(cluster.agentCa().certificate())),
          "key", new String(key.copyBytes(), StandardCharsets.US_ASCII)))).status()).isEqualTo(200);
    }
    ApiTestClient.Reply registered = operator.post(api, "/v1/nodes", JSON.writeValueAsString(Map.of("id", "cert-1",
        "name", "cert-1", "lifetimeSeconds", 3600, "csr", Pem.encodeCertificateRequest(
            CertificateRequest.create(EcKeys.generate(), Identity.node("cert-1"))))));
    assertThat(registered.status()).isEqualTo(201);
    String notAfter = Pem.decodeCertificates(registered.body().path("certificate").asText()).get(0).getNotAfter()
        .toInstant().toString();

    JsonNode listed = awaitListed("cert-1", "registered");
    assertThat(listed.path("certificateNotAfter").asText()).isEqualTo(notAfter);
    assertThat(listed.toString()).doesNotContain("BEGIN").doesNotContain("certificate\":");

    byte[] der = Pem.decodeCertificates(registered.body().path("certificate").asText()).get(0).getEncoded();
    String base64 = Base64.getEncoder().encodeToString(der).substring(0, 40);
    try (Connection connection = controller.storage().dataSource().getConnection();
        Statement statement = connection.createStatement()) {
      for (String table : List.of("node_view", "node_view_label")) {
        try (ResultSet rows = statement.executeQuery("SELECT * FROM " + table)) {
          ResultSetMetaData columns = rows.getMetaData();
          List<String> names = new ArrayList<>();
          for (int c = 1; c <= columns.getColumnCount(); c++) {
            names.add(columns.getColumnName(c).toLowerCase(java.util.Locale.ROOT));
          }
          assertThat(names).as(table).containsExactlyElementsOf(table.equals("node_view")
              ? List.of("id", "name", "labels", "stage", "quarantine_reason", "registered_at", "lifetime_ends_at",
                  "certificate_not_after", "heartbeat_bucket", "updated_at")
              : List.of("node_id", "label_key", "label_value"));
          while (rows.next()) {
            for (int c = 1; c <= columns.getColumnCount(); c++) {
              assertThat(String.valueOf(rows.getObject(c))).as(table + "." + names.get(c - 1))
                  .doesNotContain(base64).doesNotContain("BEGIN");
            }
          }
        }
      }
    }
  }

  @Test
  void theTransitions_moveTheNode_andTheListingFollows() throws Exception {
    register("tr-1", "tr-1", Map.of());
    register("tr-2", "tr-2", Map.of());
    register("tr-3", "tr-3", Map.of());
    heartbeat("tr-1");

    ApiTestClient.Reply quarantined = operator.post(api, "/v1/nodes/tr-1/quarantine", "{\"reason\": \"odd traffic\"}");
    assertThat(quarantined.status()).isEqualTo(200);
    assertThat(quarantined.body().path("stage").asText()).isEqualTo("quarantined");
    assertThat(auditor.get(api, "/v1/nodes/tr-1").body().path("detail").asText())
        .isEqualTo("quarantined by opencluster://operator/oscar?role=operator: odd traffic");
    assertThat(operator.post(api, "/v1/nodes/tr-1/quarantine", "{\"reason\": \"again\"}").status())
        .as("idempotent").isEqualTo(200);
    JsonNode listed = awaitListed("tr-1", "quarantined");
    assertThat(listed.path("quarantineReason").asText()).isEqualTo("operator");

    assertThat(admin.post(api, "/v1/nodes/tr-1/release", "").body().path("stage").asText()).isEqualTo("retired");
    assertThat(operator.post(api, "/v1/nodes/tr-2/retire", "").body().path("stage").asText()).isEqualTo("retired");
    assertThat(auditor.get(api, "/v1/nodes/tr-2").body().path("detail").asText())
        .isEqualTo("retired by opencluster://operator/oscar?role=operator");
    awaitListed("tr-1", "retired");
    awaitListed("tr-2", "retired");
    assertThat(ids(listAll(auditor, "state=retired&name-prefix=tr-"))).containsExactly("tr-1", "tr-2");
  }

  @Test
  void aTransitionTheNodesStageRefuses_is409_andChangesNothing() throws Exception {
    register("bad-1", "bad-1", Map.of());
    heartbeat("bad-1");
    ApiTestClient.Reply notQuarantined = admin.post(api, "/v1/nodes/bad-1/release", "");
    assertThat(notQuarantined.status()).isEqualTo(409);
    assertThat(notQuarantined.contentType()).startsWith("application/problem+json");
    assertThat(notQuarantined.body().path("type").asText()).endsWith("/conflict");
    assertThat(notQuarantined.body().path("detail").asText()).contains("not quarantined");
    assertThat(auditor.get(api, "/v1/nodes/bad-1").body().path("stage").asText()).isEqualTo("active");

    assertThat(operator.post(api, "/v1/nodes/bad-1/retire", "").status()).isEqualTo(200);
    ApiTestClient.Reply retired = operator.post(api, "/v1/nodes/bad-1/quarantine", "{\"reason\": \"late\"}");
    assertThat(retired.status()).isEqualTo(409);
    assertThat(retired.body().path("detail").asText()).contains("is retired");
  }

  @Test
  void aNodeNobodyRegistered_is404_forEveryTransition() throws Exception {
    for (ApiTestClient.Reply reply : List.of(
        operator.post(api, "/v1/nodes/nobody-9/quarantine", "{\"reason\": \"x\"}"),
        admin.post(api, "/v1/nodes/nobody-9/release", ""),
        operator.post(api, "/v1/nodes/nobody-9/retire", ""))) {
      assertThat(reply.status()).isEqualTo(404);
      assertThat(reply.body().path("type").asText()).endsWith("/not-found");
    }
    assertThat(auditor.get(api, "/v1/nodes/nobody-9").status()).as("still nobody").isEqualTo(404);
  }

  @Test
  void eachRoleMayDoOnlyItsPart() throws Exception {
    register("role-1", "role-1", Map.of());
    for (ApiTestClient.Reply reply : List.of(
        auditor.post(api, "/v1/nodes/role-1/quarantine", "{\"reason\": \"x\"}"),
        auditor.post(api, "/v1/nodes/role-1/retire", ""),
        auditor.post(api, "/v1/nodes/role-1/release", ""),
        operator.post(api, "/v1/nodes/role-1/release", ""),
        operator.post(api, "/v1/sys/read-model/rebuild", ""),
        auditor.post(api, "/v1/sys/read-model/rebuild", ""))) {
      assertThat(reply.status()).isEqualTo(403);
      assertThat(reply.body().path("type").asText()).endsWith("/forbidden");
    }
    assertThat(auditor.get(api, "/v1/nodes/role-1").body().path("stage").asText()).isEqualTo("registered");
    assertThat(auditor.get(api, "/v1/nodes").status()).as("any role lists").isEqualTo(200);
  }

  @Test
  void badIdsBodiesFiltersAndCursors_are400() throws Exception {
    for (String query : List.of("state=sleeping", "state=unregistered", "label=" + encode("Tier=web"), "label=tier",
        "label=" + encode("tier=a b"), "label=" + encode("tier=a") + "&label=" + encode("tier=b"), "name-prefix=Web",
        "name-prefix=a%25", "limit=0", "limit=1001", "limit=ten", "status=active", "state=active&state=retired",
        "after=not-a-cursor!", "after=" + Base64.getUrlEncoder().encodeToString("n1:Not An Id".getBytes()),
        "after=" + Base64.getUrlEncoder().encodeToString("ls-1".getBytes()))) {
      ApiTestClient.Reply refused = auditor.get(api, "/v1/nodes?" + query);
      assertThat(refused.status()).as(query).isEqualTo(400);
      assertThat(refused.body().path("type").asText()).as(query).endsWith("/invalid-query");
    }
    assertThat(operator.post(api, "/v1/nodes/Not%20An%20Id/retire", "").status()).isEqualTo(400);
    register("body-1", "body-1", Map.of());
    for (String body : List.of("", "{}", "{\"reason\": \"  \"}", "{\"why\": \"x\"}", "not json",
        "{\"reason\": \"two\\nlines\"}", JSON.writeValueAsString(Map.of("reason", "x".repeat(501))))) {
      assertThat(operator.post(api, "/v1/nodes/body-1/quarantine", body).status()).as(body).isEqualTo(400);
    }
    assertThat(auditor.get(api, "/v1/nodes/body-1").body().path("stage").asText()).isEqualTo("registered");
  }

  @Test
  void aRecordThatCannotBeRead_andARegistrationCopiedFromAnotherNode_areSkipped_andTheViewGoesOn() throws Exception {
    register("cp-victim", "cp-victim", Map.of("tier", "web"));
    StatusReply<org.apache.pekko.Done> relabelled = ClusterSharding.get(controller.system())
        .entityRefFor(NodeEntity.ENTITY_KEY, "cp-victim")
        .<StatusReply<org.apache.pekko.Done>>ask(r -> new NodeEntity.SetLabels(Map.of("tier", "changed"), r), TIMEOUT)
        .toCompletableFuture().get();
    assertThat(relabelled.isSuccess()).isTrue();
    await().atMost(TIMEOUT).until(() -> awaitListed("cp-victim", "registered").path("labels").path("tier").asText()
        .equals("changed"));

    try (Connection connection = controller.storage().dataSource().getConnection();
        Statement statement = connection.createStatement()) {
      String columns = "\"persistence_id\", \"sequence_number\", \"deleted\", \"writer\", \"write_timestamp\", "
          + "\"adapter_manifest\", \"event_ser_id\", \"event_ser_manifest\", \"event_payload\"";
      statement.executeUpdate("INSERT INTO \"event_journal\" (" + columns + ") SELECT 'node|cp-copy', "
          + columns.substring(columns.indexOf(',') + 1) + " FROM \"event_journal\" "
          + "WHERE \"persistence_id\" = 'node|cp-victim' AND \"sequence_number\" = 1");
      statement.executeUpdate("INSERT INTO \"event_journal\" (" + columns + ") SELECT 'node|cp-unreadable', 1, "
          + "\"deleted\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_ser_id\", "
          + "'node-registered', X'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff' FROM \"event_journal\" "
          + "WHERE \"persistence_id\" = 'node|cp-victim' AND \"sequence_number\" = 1");
      statement.executeUpdate("INSERT INTO \"event_tag\" (\"event_id\", \"tag\") SELECT \"ordering\", 'node' "
          + "FROM \"event_journal\" WHERE \"persistence_id\" IN ('node|cp-copy', 'node|cp-unreadable')");
    }
    register("cp-after", "cp-after", Map.of());

    awaitListed("cp-after", "registered");
    List<String> listed = ids(listAll(auditor, "name-prefix=cp-"));
    assertThat(listed).as("the copy and the unreadable record made no row").containsExactly("cp-after", "cp-victim");
    assertThat(awaitListed("cp-victim", "registered").path("labels").path("tier").asText())
        .as("the copied registration did not overwrite the node it names").isEqualTo("changed");
  }

  @Test
  void aRebuildThatCannotClearTheView_is503_leavesTheViewAsItWas_andTheProjectionRunning() throws Exception {
    register("rb-1", "rb-1", Map.of());
    awaitListed("rb-1", "registered");
    List<JsonNode> before = listAll(auditor, "limit=1000");
    try (Connection connection = controller.storage().dataSource().getConnection();
        Statement statement = connection.createStatement()) {
      statement.executeUpdate("ALTER TABLE node_view_label RENAME TO node_view_label_away");
      try {
        assertThat(admin.post(api, "/v1/sys/read-model/rebuild", "").status()).isEqualTo(503);
      } finally {
        statement.executeUpdate("ALTER TABLE node_view_label_away RENAME TO node_view_label");
      }
    }
    assertThat(listAll(auditor, "limit=1000")).as("nothing cleared").isEqualTo(before);
    assertThat(ProjectionManagement.get(controller.system()).isPaused(NodeViewProjection.ID).toCompletableFuture()
        .get()).as("resumed although the clearing failed").isFalse();
    register("rb-2", "rb-2", Map.of());
    awaitListed("rb-2", "registered");
  }

  @Test
  void aProjectionLeftPaused_resumesItselfWhereItStartsAgain() throws Exception {
    ProjectionManagement management = ProjectionManagement.get(controller.system());
    management.pause(NodeViewProjection.ID).toCompletableFuture().get();
    assertThat(management.isPaused(NodeViewProjection.ID).toCompletableFuture().get()).isTrue();

    ClusterSharding.get(controller.system()).entityRefFor(
        EntityTypeKey.create(ProjectionBehavior.Command.class, "sharded-daemon-process-node-view-projection"), "0")
        .tell(ProjectionBehavior.stopMessage());

    register("ps-1", "ps-1", Map.of());
    awaitListed("ps-1", "registered");
    assertThat(management.isPaused(NodeViewProjection.ID).toCompletableFuture().get()).isFalse();
  }

  // ---- helpers --------------------------------------------------------------------------------

  private void register(String id, String name, Map<String, String> labels) throws Exception {
    StatusReply<NodeEntity.Registration> reply = ClusterSharding.get(controller.system())
        .entityRefFor(NodeEntity.ENTITY_KEY, id)
        .<StatusReply<NodeEntity.Registration>>ask(r -> new NodeEntity.Register(name, labels, Duration.ofHours(24), r), TIMEOUT)
        .toCompletableFuture().get();
    assertThat(reply.isSuccess()).as(id).isTrue();
  }

  private void heartbeat(String id) throws Exception {
    assertThat(ClusterSharding.get(controller.system()).entityRefFor(NodeEntity.ENTITY_KEY, id)
        .<StatusReply<NodeEntity.HeartbeatAccepted>>ask(NodeEntity.Heartbeat::new, TIMEOUT)
        .toCompletableFuture().get().isSuccess()).as(id).isTrue();
  }

  /** The node as listed once the read model shows it in {@code stage}. */
  private JsonNode awaitListed(String id, String stage) {
    JsonNode[] found = new JsonNode[1];
    await().atMost(TIMEOUT).until(() -> {
      for (JsonNode node : listAll(auditor, "limit=1000")) {
        if (node.path("id").asText().equals(id) && node.path("stage").asText().equals(stage)) {
          found[0] = node;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  /** Every page of {@code GET /v1/nodes?query}, following the cursors. */
  private List<JsonNode> listAll(ApiTestClient client, String query) throws Exception {
    return client.everyPage(api, "/v1/nodes?" + query);
  }

  private static List<String> ids(Iterable<JsonNode> nodes) {
    List<String> ids = new ArrayList<>();
    nodes.forEach(node -> ids.add(node.path("id").asText()));
    return ids;
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
