package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.pki.Role;

/**
 * One controller on its embedded H2 file, as 'opencluster controller' runs it: sealed at start,
 * unsealed by operators' shares over the API, its entities surviving a restart, and nothing of
 * what it stored readable in the database file.
 */
class SingleControllerIT {

  private static final String MARKER = "secretmarker5d1e";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir
  Path tmp;

  @Test
  void aSealedController_isNotReady_andTheThresholdOfSharesUnsealsIt_acrossARestart() throws Exception {
    try (TestCluster cluster = new TestCluster(tmp)) {
      ApiTestClient admin = new ApiTestClient(cluster.issueOperator("alice", Role.ADMIN));
      var config = cluster.controllerConfig("ctl-1", TestCluster.freePort(), List.of(), TestDatabases.freshH2());
      Controller controller = cluster.start(config);

      assertThat(admin.status(controller.healthPort(), "/alive")).isEqualTo(200);
      assertThat(admin.status(controller.healthPort(), "/ready")).isEqualTo(500);
      assertThat(admin.status(controller.healthPort(), "/v1/sys/seal-status")).as("the health port serves health only")
          .isEqualTo(404);
      assertThat(admin.status(controller.healthPort(), "/cluster/members")).isEqualTo(404);
      assertThat(admin.get(controller.apiPort(), "/v1/sys/seal-status").body().path("state").asText()).isEqualTo("uninitialized");

      ApiTestClient.Reply init = admin.post(controller.apiPort(), "/v1/sys/init", "{\"shares\":3,\"threshold\":2}");
      assertThat(init.status()).isEqualTo(200);
      List<String> shares = new ArrayList<>();
      init.body().path("shares").forEach(s -> shares.add(s.asText()));
      assertThat(shares).hasSize(3);

      JsonNode oneShare = unseal(admin, controller, shares.get(0)).body();
      assertThat(oneShare.path("state").asText()).isEqualTo("sealed");
      assertThat(oneShare.path("progress").asInt()).isEqualTo(1);
      assertThat(controller.readiness().shardingStarted()).isFalse();
      assertThat(admin.status(controller.healthPort(), "/ready")).isEqualTo(500);

      ApiTestClient.Reply foreign = unseal(admin, controller, shareOfAnotherCluster());
      assertThat(foreign.status()).isEqualTo(400);
      assertThat(foreign.body().path("type").asText()).endsWith("/share-refused");
      assertThat(foreign.body().path("detail").asText()).contains("another cluster");

      assertThat(unseal(admin, controller, shares.get(2)).body().path("state").asText()).isEqualTo("unsealed");
      await().atMost(TIMEOUT).until(() -> admin.status(controller.healthPort(), "/ready") == 200);

      var nodes = ClusterSharding.get(controller.system());
      StatusReply<NodeEntity.Registration> registered = nodes.entityRefFor(NodeEntity.ENTITY_KEY, "n-1")
          .<StatusReply<NodeEntity.Registration>>ask(r -> new NodeEntity.Register("web-1", Map.of("secret", MARKER),
              Duration.ofHours(24), r), TIMEOUT).toCompletableFuture().get();
      assertThat(registered.isSuccess()).isTrue();
      nodes.entityRefFor(NodeEntity.ENTITY_KEY, "n-1")
          .<StatusReply<NodeEntity.HeartbeatAccepted>>ask(NodeEntity.Heartbeat::new, TIMEOUT).toCompletableFuture().get();

      cluster.stop(controller);
      Instant restartedAt = Instant.now();
      Controller restarted = cluster.start(config);
      assertThat(restarted.seal().status().state()).as("the key is never stored: a restart is sealed").isEqualTo(Seal.State.SEALED);
      unseal(admin, restarted, shares.get(1));
      unseal(admin, restarted, shares.get(0));
      await().atMost(TIMEOUT).until(() -> admin.status(restarted.healthPort(), "/ready") == 200);

      NodeEntity.NodeStatus status = ClusterSharding.get(restarted.system()).entityRefFor(NodeEntity.ENTITY_KEY, "n-1")
          .ask(NodeEntity.GetStatus::new, TIMEOUT).toCompletableFuture().get();
      assertThat(status.stage()).isEqualTo(NodeEntity.Stage.ACTIVE);
      assertThat(status.facts().orElseThrow().labels()).containsEntry("secret", MARKER);
      assertThat(status.liveness().deadlineAt()).hasValueSatisfying(deadline -> assertThat(deadline).isAfter(restartedAt));
      cluster.stop(restarted);

      byte[] file = Files.readAllBytes(tmp.resolve("shared-h2.mv.db"));
      assertThat(new String(file, StandardCharsets.ISO_8859_1)).as("the H2 file").doesNotContain(MARKER).doesNotContain("web-1");
    }
  }

  private static ApiTestClient.Reply unseal(ApiTestClient admin, Controller controller, String share) throws Exception {
    return admin.post(controller.apiPort(), "/v1/sys/unseal", "{\"share\":\"" + share + "\"}");
  }

  private static String shareOfAnotherCluster() throws Exception {
    StorageSettings other = TestDatabases.freshH2();
    try (Storage storage = Storage.open(other)) {
      return new Seal(storage.keyRingStore(), java.time.Clock.systemUTC(), Duration.ofMinutes(1)).initialize(3, 2).get(0);
    }
  }
}
