package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.testing.TestDatabases;

/**
 * The first seed node forms a new cluster only when no seed node answers and no other controller
 * is present in the shared database; a controller that is not yet a member joins through the
 * present controllers' addresses. Controllers in one JVM on 127.0.0.1, real TLS, a shared real
 * PostgreSQL.
 */
class ClusterFormationIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @TempDir
  Path tmp;

  @Test
  void theOnlySeed_restartedWhileAnotherControllerRuns_joinsItThroughItsPresence_andFormsNoClusterOfItsOwn()
      throws Exception {
    try (TestCluster cluster = new TestCluster(tmp)) {
      StorageSettings storage = TestDatabases.freshPostgres();
      int seedPort = TestCluster.freePort();
      // The common Pekko set-up: one seed, listed by every controller.
      Controller first = cluster.start(config(cluster, "ctl-1", seedPort, List.of(seedPort), storage, "30s"));
      Controller second = cluster.start(config(cluster, "ctl-2", TestCluster.freePort(), List.of(seedPort), storage,
          "30s"));
      await().atMost(TIMEOUT).until(() -> TestCluster.upMembers(first) == 2 && TestCluster.upMembers(second) == 2);
      assertThat(first.formation().formed()).as("ctl-1, the seed, formed the cluster").isTrue();
      assertThat(second.formation().formed()).as("ctl-2 joined it").isFalse();
      await().atMost(TIMEOUT).ignoreExceptions()
          .until(() -> first.formation().others().stream().anyMatch(p -> p.name().equals("ctl-2")));

      cluster.stop(first);
      await().atMost(TIMEOUT).until(() -> TestCluster.upMembers(second) == 1);

      // Restarted, ctl-1 has no seed to ask but itself (Pekko alone would form a new cluster at
      // once); the database shows ctl-2, so it joins ctl-2's cluster instead.
      Controller restarted = cluster.start(config(cluster, "ctl-1", seedPort, List.of(seedPort), storage, "30s"));
      await().atMost(TIMEOUT).until(() -> TestCluster.upMembers(restarted) == 2 && TestCluster.upMembers(second) == 2);
      assertThat(restarted.formation().formed()).as("formed no cluster of its own").isFalse();
      assertThat(restarted.formation().waits()).as("it found ctl-2 present").isPositive();
    }
  }

  @Test
  void aControllerPresentButUnreachable_keepsTheFirstSeedWaiting_untilItsRecordAgesOut() throws Exception {
    try (TestCluster cluster = new TestCluster(tmp)) {
      StorageSettings storage = TestDatabases.freshPostgres();
      Storage.open(storage).close(); // the schema, so that the record can be written before ctl-1 starts
      // ctl-9 stands for a controller that runs (its record is kept fresh) but does not answer: its
      // address is a port nothing listens on, and so is ctl-1's other configured seed.
      int deadPort = TestCluster.freePort();
      execute(storage, "INSERT INTO oc_controller_presence (name, address, app_version, seen_at) VALUES ('ctl-9', "
          + "'pekko://opencluster@127.0.0.1:" + deadPort + "', '1', CURRENT_TIMESTAMP)");
      ScheduledExecutorService ctl9 = Executors.newSingleThreadScheduledExecutor();
      try {
        ctl9.scheduleWithFixedDelay(() -> execute(storage,
            "UPDATE oc_controller_presence SET seen_at = CURRENT_TIMESTAMP WHERE name = 'ctl-9'"), 1, 1, TimeUnit.SECONDS);
        int port = TestCluster.freePort();
        Controller first = cluster.start(config(cluster, "ctl-1", port, List.of(port, TestCluster.freePort()), storage,
            "10s"));
        await().atMost(TIMEOUT).until(() -> first.formation().waits() >= 3);
        assertThat(first.formation().formed()).as("did not form a cluster while ctl-9 was present").isFalse();
        assertThat(Cluster.get(first.system()).selfMember().status()).as("not a member of any cluster")
            .isEqualTo(MemberStatus.removed());

        // ctl-9 is killed: its record is no longer written, ages past presence-timeout, and then
        // ctl-1 forms the cluster.
        ctl9.shutdownNow();
        assertThat(ctl9.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        await().atMost(TIMEOUT).until(() -> first.formation().formed() && TestCluster.upMembers(first) == 1);
      } finally {
        ctl9.shutdownNow();
      }
    }
  }

  private static void execute(StorageSettings storage, String sql) {
    try (Connection connection = DriverManager.getConnection(storage.jdbcUrl(), storage.user(), storage.password());
        PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.executeUpdate();
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Config config(TestCluster cluster, String name, int port, List<Integer> seeds,
      StorageSettings storage, String presenceTimeout) throws Exception {
    return ConfigFactory.parseString("""
            opencluster.controller.cluster { presence-interval = 1s, presence-timeout = %s }
            pekko.cluster.seed-node-timeout = 2s
            """.formatted(presenceTimeout))
        .withFallback(cluster.controllerConfig(name, port, seeds, storage));
  }
}
