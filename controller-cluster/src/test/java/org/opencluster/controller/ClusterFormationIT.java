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
 * is present in the shared database: restarted while its peers do not answer, it waits for them and
 * never forms a cluster of its own beside theirs. Controllers in one JVM on 127.0.0.1, real TLS, a
 * shared real PostgreSQL; a seed that "does not answer" is a port nothing listens on.
 */
class ClusterFormationIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @TempDir
  Path tmp;

  @Test
  void theFirstSeed_restartedWhileAnotherControllerIsPresentButDoesNotAnswer_waits_andFormsOnlyOnceThatOneHasLeft()
      throws Exception {
    try (TestCluster cluster = new TestCluster(tmp)) {
      StorageSettings storage = TestDatabases.freshPostgres();
      int firstPort = TestCluster.freePort();
      int secondPort = TestCluster.freePort();
      Controller first = cluster.start(config(cluster, "ctl-1", firstPort, List.of(firstPort, secondPort), storage,
          "30s"));
      Controller second = cluster.start(config(cluster, "ctl-2", secondPort, List.of(firstPort, secondPort), storage,
          "30s"));
      await().atMost(TIMEOUT).until(() -> TestCluster.upMembers(first) == 2 && TestCluster.upMembers(second) == 2);
      assertThat(first.formation().formed()).as("ctl-1, the first seed, formed the cluster").isTrue();
      assertThat(second.formation().formed()).as("ctl-2 joined it").isFalse();
      await().atMost(TIMEOUT).ignoreExceptions()
          .until(() -> first.formation().others().stream().anyMatch(p -> p.name().equals("ctl-2")));

      cluster.stop(first);
      await().atMost(TIMEOUT).until(() -> TestCluster.upMembers(second) == 1);

      // Restarted, ctl-1 finds no seed that answers (ctl-2's is listed at a dead port), as when
      // its peers are too busy: Pekko alone would form a new cluster after seed-node-timeout.
      int deadPort = TestCluster.freePort();
      Controller restarted = cluster.start(config(cluster, "ctl-1", firstPort, List.of(firstPort, deadPort), storage,
          "30s"));
      await().atMost(TIMEOUT).until(() -> restarted.formation().waits() >= 3);
      assertThat(restarted.formation().formed()).as("did not form a cluster of its own").isFalse();
      assertThat(Cluster.get(restarted.system()).selfMember().status()).as("not a member of any cluster")
          .isEqualTo(MemberStatus.removed());
      assertThat(TestCluster.upMembers(second)).as("ctl-2 still alone in its cluster").isEqualTo(1);

      // ctl-2 leaves (its record goes): now ctl-1 is alone, and forms the cluster.
      cluster.stop(second);
      await().atMost(TIMEOUT).until(() -> restarted.formation().formed() && TestCluster.upMembers(restarted) == 1);
    }
  }

  @Test
  void aKilledControllersRecordAgesOut_thenTheFirstSeedFormsTheCluster() throws Exception {
    try (TestCluster cluster = new TestCluster(tmp)) {
      StorageSettings storage = TestDatabases.freshPostgres();
      int port = TestCluster.freePort();
      Storage.open(storage).close(); // the schema, so that the record can be written before ctl-1 starts
      // A controller killed a moment ago: its record stays until it is presence-timeout old.
      try (Connection connection = DriverManager.getConnection(storage.jdbcUrl(), storage.user(), storage.password());
          PreparedStatement insert = connection.prepareStatement("INSERT INTO oc_controller_presence "
              + "(name, address, app_version, seen_at) VALUES ('ctl-9', 'pekko://opencluster@127.0.0.1:1', '1', "
              + "CURRENT_TIMESTAMP)")) {
        insert.executeUpdate();
      }
      Controller first = cluster.start(config(cluster, "ctl-1", port, List.of(port, TestCluster.freePort()), storage,
          "15s"));
      await().atMost(TIMEOUT).until(() -> first.formation().waits() >= 1 || first.formation().formed());
      assertThat(first.formation().waits()).as("waited for ctl-9's record to age out").isPositive();
      await().atMost(TIMEOUT).until(() -> first.formation().formed() && TestCluster.upMembers(first) == 1);
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
