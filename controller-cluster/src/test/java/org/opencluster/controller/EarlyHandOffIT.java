package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.files.FileCatalog;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.pki.Role;

/**
 * A leaving controller hands the file catalog's shard to another controller in the first phase of
 * its graceful leave, before it redirects its agents and long before the node shards move; writes
 * through the other controller are answered meanwhile. Two controllers in one JVM on 127.0.0.1,
 * real TLS, a shared real PostgreSQL.
 */
class EarlyHandOffIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final String FILE = "{\"path\": \"/run/app/%s\", \"selector\": {\"all\": true}, "
      + "\"source\": {\"kind\": \"static\", \"content\": \"aGVsbG8=\"}}";

  @TempDir
  Path tmp;

  @Test
  void theLeavesFirstPhase_movesTheCatalog_answersWritesThroughTheOther_andCountsAsAClusterChangeThere()
      throws Exception {
    try (TestCluster cluster = new TestCluster(tmp)) {
      StorageSettings storage = TestDatabases.freshPostgres();
      ApiTestClient admin = new ApiTestClient(cluster.issueOperator("alice", Role.ADMIN));
      int seedPort = TestCluster.freePort();
      Controller first = cluster.start(config(cluster, "ctl-1", seedPort, seedPort, storage));
      TestCluster.unsealByOperators(admin, first);
      Controller second = cluster.start(config(cluster, "ctl-2", TestCluster.freePort(), seedPort, storage));
      await().atMost(TIMEOUT).until(() -> admin.put(first.apiPort(), "/v1/sys/controllers/ctl-2").status() == 200);
      await().atMost(TIMEOUT).until(() -> first.readiness().shardingStarted() && second.readiness().shardingStarted()
          && TestCluster.upMembers(first) == 2 && TestCluster.upMembers(second) == 2);
      assertThat(admin.put(first.apiPort(), "/v1/files/app/before.conf", FILE.formatted("before")).status())
          .isBetween(200, 201);
      await().atMost(TIMEOUT).ignoreExceptions().until(() -> hostsCatalog(first) || hostsCatalog(second));
      Controller leaving = hostsCatalog(first) ? first : second;
      Controller staying = leaving == first ? second : first;

      // The leaving controller is held in the first phase (before-service-unbind) until released;
      // whether it reached the next one is recorded.
      CompletableFuture<Done> release = new CompletableFuture<>();
      CompletableFuture<Done> reachedServiceUnbind = new CompletableFuture<>();
      CoordinatedShutdown shutdown = CoordinatedShutdown.get(leaving.system());
      shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "test-hold", () -> release);
      shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "test-reached", () -> {
        reachedServiceUnbind.complete(Done.getInstance());
        return CompletableFuture.completedFuture(Done.getInstance());
      });
      Instant leaveBegan = Instant.now();
      CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
        try {
          cluster.stop(leaving);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      try {
        await().atMost(TIMEOUT).ignoreExceptions().until(() -> hostsCatalog(staying));
        assertThat(reachedServiceUnbind).as("the leaving controller is still in its first phase").isNotDone();
        // Its agents are being redirected now; Pekko marks it Leaving only after this phase, so the
        // other controller learns of the change from the leaving one's notice.
        await().atMost(TIMEOUT).until(() -> staying.clusterChanges().lastChange()
            .filter(change -> !change.isBefore(leaveBegan)).isPresent());
        assertThat(memberStatus(staying, leaving)).as("still Up in the other's view").isEqualTo(MemberStatus.up());
        ApiTestClient.Reply during = admin.put(staying.apiPort(), "/v1/files/app/during.conf", FILE.formatted("during"));
        assertThat(during.status()).as("a write through the staying controller while the other leaves: " + during.body())
            .isBetween(200, 201);
        assertThat(reachedServiceUnbind).as("still in its first phase after the write").isNotDone();
      } finally {
        release.complete(Done.getInstance());
        stopped.get(2, TimeUnit.MINUTES);
      }
      ApiTestClient.Reply listed = admin.get(staying.apiPort(), "/v1/files");
      assertThat(listed.body().path("files").findValuesAsText("name")).contains("app/before.conf", "app/during.conf");
    }
  }

  /**
   * A controller whose first phase may last 73 s (drain-timeout 60 s + 13 s), so that the hold
   * below, not the phase's timeout, decides when the leaving one goes on.
   */
  private static Config config(TestCluster cluster, String name, int port, int seedPort, StorageSettings storage)
      throws Exception {
    return ConfigFactory.parseString("opencluster.controller.edge.drain-timeout = 60s")
        .withFallback(cluster.controllerConfig(name, port, List.of(seedPort), storage));
  }

  private static MemberStatus memberStatus(Controller viewer, Controller member) {
    org.apache.pekko.cluster.Member self = Cluster.get(member.system()).selfMember();
    for (org.apache.pekko.cluster.Member seen : Cluster.get(viewer.system()).state().getMembers()) {
      if (seen.uniqueAddress().equals(self.uniqueAddress())) {
        return seen.status();
      }
    }
    throw new IllegalStateException("not a member in " + viewer.settings().name() + "'s view");
  }

  private static boolean hostsCatalog(Controller controller) {
    return TestCluster.localEntities(controller, FileCatalog.ENTITY_KEY).contains(FileCatalog.ENTITY_ID);
  }
}
