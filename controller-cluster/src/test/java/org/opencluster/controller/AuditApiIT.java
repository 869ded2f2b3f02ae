package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.audit.AuditTables;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateRequest;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.Role;

/**
 * The audit log through a real controller (TLS, Pekko, its database): every request recorded in one
 * place without its body, security events, who may read the log, verify naming a tampered record,
 * and requests refused when they cannot be audited.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditApiIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Path tmp;
  private TestCluster cluster;
  private Controller controller;
  private ApiTestClient admin;
  private ApiTestClient auditor;
  private ApiTestClient operator;
  private int api;

  @BeforeAll
  void start(@TempDir Path directory) throws Exception {
    tmp = directory;
    cluster = new TestCluster(tmp);
    controller = cluster.start(ConfigFactory.parseString("opencluster.controller.audit.refusal-interval = 1s")
        .withFallback(cluster.controllerConfig("ctl-1", TestCluster.freePort(), List.of(), TestDatabases.freshH2())));
    api = controller.apiPort();
    admin = new ApiTestClient(cluster.issueOperator("alice", Role.ADMIN));
    auditor = new ApiTestClient(cluster.issueOperator("audrey", Role.AUDITOR));
    operator = new ApiTestClient(cluster.issueOperator("oscar", Role.OPERATOR));
    assertThat(admin.get(api, "/v1/sys/seal-status").body().path("state").asText()).isEqualTo("uninitialized");
    assertThat(admin.get(api, "/v1/files").status()).as("sealed").isEqualTo(503);
    try (SecretBytes key = SecretBytes.random(32)) {
      controller.unsealWithDevelopmentKey(key);
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> controller.readiness().shardingStarted());
  }

  @AfterAll
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void aRequestWhileSealed_isHeldInMemory_andWrittenAtUnseal() throws Exception {
    List<JsonNode> records = records(admin, "/v1/audit?limit=1000");
    JsonNode whileSealed = records.stream().filter(r -> r.path("target").asText().equals("/v1/files"))
        .findFirst().orElseThrow();
    assertThat(whileSealed.path("actor").asText()).isEqualTo("operator/alice");
    assertThat(whileSealed.path("outcome").asText()).isEqualTo("503");
    assertThat(records).anySatisfy(r -> assertThat(r.path("action").asText()).isEqualTo("seal.unseal-dev-key"));
    JsonNode unsealed = records.stream().filter(r -> r.path("action").asText().equals("seal.unsealed")).findFirst()
        .orElseThrow();
    assertThat(unsealed.path("actor").asText()).isEqualTo("controller/ctl-1");
    assertThat(whileSealed.path("seq").asLong()).as("made while sealed, so queued before the unseal's record")
        .isLessThan(unsealed.path("seq").asLong());
  }

  @Test
  void monitoringReads_areCountedPerCaller_notRecordedOneByOne() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertThat(auditor.get(api, "/v1/sys/seal-status").status()).isEqualTo(200);
    }
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      List<JsonNode> counted = records(admin, "/v1/audit?actor=operator/audrey&action=api.get&limit=1000").stream()
          .filter(r -> r.path("target").asText().equals("/v1/sys/seal-status")).toList();
      assertThat(counted.stream().mapToLong(r -> Long.parseLong(r.path("detail").asText().split(" ")[0])).sum())
          .isEqualTo(5);
      assertThat(counted).as("a record per interval, not per read").hasSizeLessThan(5)
          .allSatisfy(r -> assertThat(r.path("outcome").asText()).isEqualTo("200"));
    });
  }

  @Test
  void whileSealed_aFullQueue_refusesAChange_unrun() throws Exception {
    Controller sealed = cluster.start(ConfigFactory.parseString("opencluster.controller.audit.queue-capacity = 16")
        .withFallback(cluster.controllerConfig("ctl-2", TestCluster.freePort(), List.of(), TestDatabases.freshH2())));
    try {
      int port = sealed.apiPort();
      String before = admin.get(port, "/v1/sys/seal-status").body().path("state").asText();
      boolean full = false;
      for (int i = 0; i < 64 && !full; i++) {
        ApiTestClient.Reply read = admin.get(port, "/v1/files");
        assertThat(read.status()).as("sealed, or the audit queue full").isEqualTo(503);
        full = read.body().path("type").asText().endsWith("audit-unavailable");
      }
      assertThat(full).as("the queue of 16 fills while sealed").isTrue();
      ApiTestClient.Reply init = admin.post(port, "/v1/sys/init", "{\"shares\": 1, \"threshold\": 1}");
      assertThat(init.status()).isEqualTo(503);
      assertThat(init.body().path("type").asText()).endsWith("audit-unavailable");
      assertThat(init.body().path("detail").asText()).contains("not carried out");
      assertThat(admin.get(port, "/v1/sys/seal-status").body().path("state").asText())
          .as("init did not run (it would have answered 200 or 409)").isEqualTo(before);
    } finally {
      cluster.stop(sealed);
    }
  }

  @Test
  void everyRequest_isRecorded_withWhoWhatAndOutcome_butNeverItsBody() throws Exception {
    String marker = "audit-body-marker-" + System.nanoTime();
    assertThat(admin.put(api, "/v1/secrets/audit/db", "{\"fields\":{\"password\":\"" + marker + "\"}}").status())
        .isEqualTo(200);
    assertThat(auditor.put(api, "/v1/secrets/audit/db", "{\"fields\":{\"password\":\"" + marker + "\"}}").status())
        .isEqualTo(403);

    ApiTestClient.Reply listed = auditor.get(api, "/v1/audit?action=api.put&limit=1000");
    assertThat(listed.status()).isEqualTo(200);
    assertThat(listed.body().toString()).doesNotContain(marker);
    List<String> lines = new ArrayList<>();
    for (JsonNode record : listed.body().path("records")) {
      if (record.path("target").asText().equals("/v1/secrets/audit/db")) {
        lines.add(record.path("actor").asText() + " " + record.path("outcome").asText() + " " + record.path("detail").asText());
      }
    }
    assertThat(lines).containsExactly("operator/alice started role admin", "operator/alice 200 role admin",
        "operator/audrey started role auditor", "operator/audrey 403 role auditor");
    assertThat(everyTableRow()).as("the audit tables hold no plaintext").doesNotContain(marker)
        .doesNotContain("operator/audrey");
  }

  @Test
  void onlyAdminsAndAuditors_readTheLog_andARefusalIsRecordedToo() throws Exception {
    assertThat(operator.get(api, "/v1/audit").status()).isEqualTo(403);
    assertThat(operator.get(api, "/v1/audit/verify").status()).isEqualTo(403);
    assertThat(admin.get(api, "/v1/audit").status()).isEqualTo(200);
    assertThat(auditor.get(api, "/v1/audit/verify").status()).isEqualTo(200);
    assertThat(records(auditor, "/v1/audit?actor=operator/oscar&limit=1000"))
        .extracting(r -> r.path("target").asText() + " " + r.path("outcome").asText())
        .contains("/v1/audit 403", "/v1/audit/verify 403");
  }

  @Test
  void badQueries_areProblems() throws Exception {
    for (String query : List.of("?since=yesterday", "?limit=0", "?limit=1001", "?after=-1", "?user=alice")) {
      ApiTestClient.Reply reply = auditor.get(api, "/v1/audit" + query);
      assertThat(reply.status()).as(query).isEqualTo(400);
      assertThat(reply.body().path("type").asText()).endsWith("invalid-query");
    }
    assertThat(auditor.get(api, "/v1/audit/verify?anchor=12").status()).isEqualTo(400);
  }

  @Test
  void aQuarantine_andTheRevocation_areRecorded() throws Exception {
    assertThat(admin.put(api, "/v1/sys/agent-ca", agentCaBody()).status()).isIn(200);
    assertThat(operator.post(api, "/v1/nodes", registration("web-q")).status()).isEqualTo(201);
    StatusReply<Done> quarantined = ClusterSharding.get(controller.system()).entityRefFor(NodeEntity.ENTITY_KEY, "web-q")
        .<StatusReply<Done>>ask(replyTo -> new NodeEntity.Quarantine(NodeEntity.QuarantineReason.OPERATOR,
            "suspected", replyTo), Duration.ofSeconds(10)).toCompletableFuture().get(15, TimeUnit.SECONDS);
    assertThat(quarantined.isSuccess()).isTrue();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      List<JsonNode> records = records(auditor, "/v1/audit?actor=controller/ctl-1&limit=1000");
      assertThat(records).anySatisfy(r -> {
        assertThat(r.path("action").asText()).isEqualTo("node.quarantine");
        assertThat(r.path("target").asText()).isEqualTo("node/web-q");
        assertThat(r.path("detail").asText()).isEqualTo("operator: suspected");
      });
      assertThat(records).anySatisfy(r -> assertThat(r.path("action").asText()).isEqualTo("certificate.revoke"));
    });
  }

  @Test
  void handshakeRefusals_areCountedByKind_inOneRecordPerInterval() throws Exception {
    TestCluster other = new TestCluster(tmp.resolve("other"));
    Path files = other.issueOperator("mallory", Role.ADMIN);
    java.nio.file.Files.writeString(files.resolve("ca.pem"), Pem.encodeCertificates(List.of(cluster.root().certificate())));
    ApiTestClient stranger = new ApiTestClient(files);
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> stranger.get(api, "/v1/sys/seal-status")).isInstanceOf(Exception.class);
    }
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(
        records(auditor, "/v1/audit?action=tls.api.refused&limit=1000").stream()
            .mapToLong(r -> Long.parseLong(r.path("detail").asText().split(" ")[0])).sum()).isGreaterThanOrEqualTo(3));
  }

  @Test
  void verify_namesAnAlteredRecord_andAnAnchorDetectsWhatTheHeadCannot() throws Exception {
    JsonNode intact = auditor.get(api, "/v1/audit/verify").body();
    assertThat(intact.path("intact").asBoolean()).as("%s", intact).isTrue();
    String anchor = intact.path("anchor").asText();
    assertThat(auditor.get(api, "/v1/audit/verify?anchor=" + anchor).body().path("intact").asBoolean()).isTrue();

    AuditTables tables = new AuditTables(controller.storage().dataSource());
    long victim = 2;
    byte[] original = tables.record(victim);
    byte[] altered = original.clone();
    altered[altered.length - 1] ^= 1;
    tables.write(victim, altered);
    try {
      JsonNode broken = auditor.get(api, "/v1/audit/verify").body();
      assertThat(broken.path("intact").asBoolean()).isFalse();
      assertThat(broken.path("problems").get(0).path("seq").asLong()).isEqualTo(victim);
      assertThat(broken.path("problems").get(0).path("kind").asText()).isEqualTo("altered");
      assertThat(auditor.get(api, "/v1/audit?limit=5").body().path("unreadable").toString()).isEqualTo("[2]");
    } finally {
      tables.write(victim, original);
    }
  }

  @Test
  void whenTheLogCannotBeWritten_changesAreRefusedUnrun_andAnswersWithheld() throws Exception {
    AuditTables tables = new AuditTables(controller.storage().dataSource());
    byte[] head = tables.head();
    byte[] forged = head.clone();
    forged[forged.length - 1] ^= 1;
    tables.writeHead(forged);
    try {
      ApiTestClient.Reply approve = admin.put(api, "/v1/sys/controllers/ctl-9");
      assertThat(approve.status()).isEqualTo(503);
      assertThat(approve.body().path("type").asText()).endsWith("audit-unavailable");
      assertThat(approve.body().path("detail").asText()).contains("not carried out");
      assertThat(controller.approvals().list()).noneMatch(a -> a.controller().equals("ctl-9"));

      ApiTestClient.Reply read = admin.get(api, "/v1/files");
      assertThat(read.status()).isEqualTo(503);
      assertThat(read.body().has("files")).as("the answer is withheld").isFalse();
    } finally {
      tables.writeHead(head);
    }
    assertThat(admin.put(api, "/v1/sys/controllers/ctl-9").status()).isEqualTo(200);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private List<JsonNode> records(ApiTestClient client, String path) throws Exception {
    ApiTestClient.Reply reply = client.get(api, path);
    assertThat(reply.status()).as("%s", reply.body()).isEqualTo(200);
    List<JsonNode> records = new ArrayList<>();
    reply.body().path("records").forEach(records::add);
    return records;
  }

  private String everyTableRow() throws Exception {
    StringBuilder all = new StringBuilder();
    try (Connection connection = controller.storage().dataSource().getConnection();
        PreparedStatement select = connection.prepareStatement(
            "SELECT record FROM oc_audit_record UNION ALL SELECT head FROM oc_audit_head");
        ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        all.append(new String(rows.getBytes(1), StandardCharsets.ISO_8859_1));
      }
    }
    return all.toString();
  }

  private String agentCaBody() throws Exception {
    try (SecretBytes keyPem = Pem.encodePrivateKey(cluster.agentCaKey())) {
      return JSON.writeValueAsString(Map.of("certificate", Pem.encodeCertificates(List.of(cluster.agentCa().certificate())),
          "key", new String(keyPem.copyBytes(), StandardCharsets.US_ASCII)));
    }
  }

  private static String registration(String id) throws Exception {
    return JSON.writeValueAsString(Map.of("id", id, "name", id, "labels", Map.of(), "lifetimeSeconds", 3600,
        "bootstrap", "reusable", "csr", Pem.encodeCertificateRequest(CertificateRequest.create(EcKeys.generate(),
            Identity.node(id)))));
  }
}
