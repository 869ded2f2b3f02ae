package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.serialization.EncryptingSerializer;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.pki.Role;

/**
 * Controllers as actor systems in one JVM on 127.0.0.1, over real TLS and a shared real database:
 * the first is unsealed by operators, the others unseal from it once an operator approves them;
 * nodes registered on one are
 * hosted across the cluster; when the controller hosting the most of them leaves, they come back
 * on the others by themselves, with their state, and their heartbeat deadlines restarted rather
 * than expired.
 */
class ClusterFailoverIT {

  private static final String MARKER = "secretmarker9c4b";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir
  Path tmp;

  static Stream<Arguments> clusters() {
    return Stream.of(
        Arguments.of("postgresql, 3 controllers, 30 nodes", TestDatabases.freshPostgres(), 3, 30),
        Arguments.of("h2, 2 controllers, 10 nodes", TestDatabases.freshH2(), 2, 10));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clusters")
  void entitiesOfALeavingController_comeBackElsewhereWithStateAndTimers(String name, StorageSettings storage,
      int controllers, int nodes) throws Exception {
    try (TestCluster cluster = new TestCluster(tmp)) {
      ApiTestClient admin = new ApiTestClient(cluster.issueOperator("alice", Role.ADMIN));
      int seedPort = TestCluster.freePort();
      List<Controller> running = new ArrayList<>();
      running.add(cluster.start(config(cluster, "ctl-1", seedPort, seedPort, storage)));
      TestCluster.unsealByOperators(admin, running.get(0));
      for (int i = 2; i <= controllers; i++) {
        running.add(cluster.start(config(cluster, "ctl-" + i, TestCluster.freePort(), seedPort, storage)));
      }
      Controller first = running.get(0);
      await().atMost(TIMEOUT).until(() -> first.custody().entries().stream()
          .anyMatch(e -> !e.granted() && e.detail().contains("controller ctl-2 is not approved")));
      assertThat(running.get(1).seal().isUnsealed()).as("not approved: refused the key").isFalse();
      for (int i = 2; i <= controllers; i++) {
        assertThat(admin.put(first.apiPort(), "/v1/sys/controllers/ctl-" + i).status()).isEqualTo(200);
      }
      await().atMost(TIMEOUT).until(() -> running.stream().allMatch(c -> c.seal().isUnsealed()));
      await().atMost(TIMEOUT).until(() -> TestCluster.upMembers(running.get(0)) == controllers);
      await().atMost(TIMEOUT).until(() -> running.stream().allMatch(c -> c.readiness().shardingStarted()));

      Controller client = running.get(0);
      for (int n = 1; n <= nodes; n++) {
        String id = "n-" + n;
        String host = "host-" + n;
        StatusReply<NodeEntity.Registration> registered = ClusterSharding.get(client.system())
            .entityRefFor(NodeEntity.ENTITY_KEY, id)
            .<StatusReply<NodeEntity.Registration>>ask(r -> new NodeEntity.Register(host, Map.of("secret", MARKER),
                Duration.ofHours(24), r), TIMEOUT)
            .toCompletableFuture().get();
        assertThat(registered.isSuccess()).as(id).isTrue();
        assertThat(ClusterSharding.get(client.system()).entityRefFor(NodeEntity.ENTITY_KEY, id)
            .<StatusReply<NodeEntity.HeartbeatAccepted>>ask(NodeEntity.Heartbeat::new, TIMEOUT)
            .toCompletableFuture().get().isSuccess()).isTrue();
      }

      Controller leaving = running.stream().skip(1)
          .max(Comparator.comparingInt(c -> TestCluster.localEntities(c, NodeEntity.ENTITY_KEY).size())).orElseThrow();
      Set<String> moving = TestCluster.localEntities(leaving, NodeEntity.ENTITY_KEY);
      assertThat(moving).as("the leaving controller hosts some nodes").isNotEmpty();
      running.remove(leaving);
      Instant leftAt = Instant.now();
      cluster.stop(leaving);

      await().atMost(TIMEOUT).untilAsserted(() -> {
        Set<String> hosted = new HashSet<>();
        running.forEach(c -> hosted.addAll(TestCluster.localEntities(c, NodeEntity.ENTITY_KEY)));
        assertThat(hosted).as("remembered entities restarted without being asked").containsAll(moving);
      });
      for (String id : moving) {
        NodeEntity.NodeStatus status = ClusterSharding.get(client.system()).entityRefFor(NodeEntity.ENTITY_KEY, id)
            .ask(NodeEntity.GetStatus::new, TIMEOUT).toCompletableFuture().get();
        assertThat(status.stage()).as(id).isEqualTo(NodeEntity.Stage.ACTIVE);
        assertThat(status.facts().orElseThrow().labels()).containsEntry("secret", MARKER);
        assertThat(status.liveness().deadlineAt()).as(id + "'s deadline restarted on its new host, in full")
            .hasValueSatisfying(deadline -> assertThat(deadline).isAfterOrEqualTo(
                leftAt.plus(client.settings().nodes().heartbeatDeadline())));
      }

      assertNothingStoredInTheClear(client);
    }
  }

  /** Snapshots after every event, so snapshots are stored (encrypted) and recovered from. */
  private static com.typesafe.config.Config config(TestCluster cluster, String name, int port, int seedPort,
      StorageSettings storage) throws Exception {
    return com.typesafe.config.ConfigFactory.parseString("opencluster.controller.node.snapshot-every = 1")
        .withFallback(cluster.controllerConfig(name, port, List.of(seedPort), storage));
  }

  /**
   * Every row of every table, every column as bytes: the marker appears nowhere, and every stored
   * event and snapshot went through the encrypting serializer.
   */
  private static void assertNothingStoredInTheClear(Controller controller) throws Exception {
    try (Connection connection = controller.storage().dataSource().getConnection();
        Statement statement = connection.createStatement()) {
      for (String table : List.of("event_journal", "event_tag", "snapshot", "durable_state", "oc_seal", "oc_data_key",
          "oc_sealed_value")) {
        try (ResultSet rows = statement.executeQuery("SELECT * FROM " + table)) {
          ResultSetMetaData columns = rows.getMetaData();
          while (rows.next()) {
            for (int c = 1; c <= columns.getColumnCount(); c++) {
              Object value = rows.getObject(c);
              String text = value instanceof byte[] bytes ? new String(bytes, StandardCharsets.ISO_8859_1) : String.valueOf(value);
              assertThat(text).as(table + "." + columns.getColumnName(c)).doesNotContain(MARKER).doesNotContain("host-1");
            }
          }
        }
      }
      try (ResultSet rows = statement.executeQuery("SELECT DISTINCT event_ser_id FROM event_journal")) {
        List<Integer> ids = new ArrayList<>();
        while (rows.next()) {
          ids.add(rows.getInt(1));
        }
        assertThat(ids).containsExactly(EncryptingSerializer.IDENTIFIER);
      }
      try (ResultSet rows = statement.executeQuery("SELECT DISTINCT snapshot_ser_id FROM snapshot")) {
        List<Integer> ids = new ArrayList<>();
        while (rows.next()) {
          ids.add(rows.getInt(1));
        }
        assertThat(ids).as("snapshots were stored, all encrypted").containsExactly(EncryptingSerializer.IDENTIFIER);
      }
    }
  }
}
