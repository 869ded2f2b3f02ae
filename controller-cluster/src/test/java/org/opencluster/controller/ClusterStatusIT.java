package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Role;

/**
 * {@code GET /v1/cluster} on two controllers in one JVM (real TLS, shared H2): both members with
 * their status, roles and app version, one leader, each controller's own seal state, and the node
 * entities' shards counted per member, adding up to the nodes registered.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterStatusIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final int NODES = 6;

  private TestCluster cluster;
  private Controller first;
  private Controller second;
  private ApiTestClient auditor;

  @BeforeAll
  void start(@TempDir Path directory) throws Exception {
    cluster = new TestCluster(directory);
    int seed = TestCluster.freePort();
    first = cluster.start(ConfigFactory.parseString("opencluster.controller.seal.give-key-to = any-controller")
        .withFallback(cluster.controllerConfig("ctl-1", seed, List.of(seed), TestDatabases.freshH2())));
    try (SecretBytes key = SecretBytes.random(32)) {
      first.unsealWithDevelopmentKey(key);
    }
    second = cluster.start(cluster.controllerConfig("ctl-2", TestCluster.freePort(), List.of(seed), TestDatabases.freshH2()));
    await().atMost(TIMEOUT).until(() -> first.readiness().shardingStarted() && second.readiness().shardingStarted());
    for (int n = 1; n <= NODES; n++) {
      String host = "host-" + n;
      StatusReply<NodeEntity.Registration> registered = ClusterSharding.get(first.system())
          .entityRefFor(NodeEntity.ENTITY_KEY, "n-" + n)
          .<StatusReply<NodeEntity.Registration>>ask(r -> new NodeEntity.Register(host, Map.of(),
              Duration.ofHours(1), r), TIMEOUT)
          .toCompletableFuture().get();
      assertThat(registered.isSuccess()).isTrue();
    }
    auditor = new ApiTestClient(cluster.issueOperator("audrey", Role.AUDITOR));
  }

  @AfterAll
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void bothControllers_seeBothMembers_oneLeader_andTheShardsOfEveryNode() throws Exception {
    for (Controller asked : List.of(first, second)) {
      await().atMost(TIMEOUT).untilAsserted(() -> {
        JsonNode status = auditor.get(asked.apiPort(), "/v1/cluster").body();
        assertThat(status.path("controller").asText()).isEqualTo(asked.settings().name());
        assertThat(status.path("sealState").asText()).isEqualTo("unsealed");
        assertThat(status.path("members")).hasSize(2);
        List<String> addresses = new ArrayList<>();
        long entities = 0;
        for (JsonNode member : status.path("members")) {
          addresses.add(member.path("address").asText());
          assertThat(member.path("status").asText()).isEqualTo("up");
          assertThat(member.path("reachable").asBoolean()).isTrue();
          assertThat(member.path("appVersion").asText()).isEqualTo(BuildInfo.version());
          assertThat(member.path("roles").toString()).contains("dc-default");
          entities += member.path("nodeEntities").asLong();
        }
        assertThat(status.path("leader").asText()).isIn(addresses);
        assertThat(status.path("self").asText()).isIn(addresses);
        assertThat(status.path("shardsCounted").asBoolean()).isTrue();
        assertThat(entities).as("every registered node's entity, counted once").isEqualTo(NODES);
      });
    }
  }
}
