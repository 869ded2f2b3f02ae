package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.testing.TestDatabases;

/**
 * A controller that stops listening for longer than {@code congestion-lag} (here: every thread of
 * its default dispatcher held, as in a long collection or a queue of work after a take-over) counts
 * that as a change of the controller cluster, and so does its peer, told by a replicated notice:
 * the heartbeats of nodes on either one may have waited in its queues. Two controllers in one JVM
 * on 127.0.0.1, real TLS, a shared real PostgreSQL.
 */
class CongestionIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final int DEFAULT_THREADS = 2;
  /** The stall the test makes: longer than the congestion lag of 1 s. */
  private static final Duration STALL = Duration.ofSeconds(3);

  @TempDir
  Path tmp;

  @Test
  void aControllerStalledBeyondTheCongestionLag_countsAClusterChange_hereAndOnItsPeer() throws Exception {
    try (TestCluster cluster = new TestCluster(tmp)) {
      StorageSettings storage = TestDatabases.freshPostgres();
      int seed = TestCluster.freePort();
      Controller stalled = cluster.start(config(cluster, "ctl-1", seed, seed, storage, "1s"));
      // The peer watches nothing itself: only the stalled one's notice can count a change there.
      Controller peer = cluster.start(config(cluster, "ctl-2", TestCluster.freePort(), seed, storage, "0s"));
      await().atMost(TIMEOUT).until(() -> TestCluster.upMembers(stalled) == 2 && TestCluster.upMembers(peer) == 2);
      Instant before = Instant.now();
      assertThat(peer.clusterChanges().lastChange()).as("the peer's last change was the join").get()
          .matches(change -> change.isBefore(before));

      Executor defaultDispatcher = stalled.system().dispatchers().lookup(DispatcherSelector.defaultDispatcher());
      CountDownLatch held = new CountDownLatch(DEFAULT_THREADS);
      CountDownLatch never = new CountDownLatch(1);
      for (int i = 0; i < DEFAULT_THREADS; i++) {
        defaultDispatcher.execute(() -> {
          held.countDown();
          try {
            // The fault this test injects: the thread is held for STALL, not a wait for anything.
            never.await(STALL.toMillis(), TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
      }
      assertThat(held.await(30, TimeUnit.SECONDS)).as("every default-dispatcher thread is held").isTrue();

      await().atMost(TIMEOUT).until(() -> stalled.clusterChanges().lastChange()
          .filter(change -> change.isAfter(before)).isPresent());
      await().atMost(TIMEOUT).until(() -> peer.clusterChanges().lastChange()
          .filter(change -> change.isAfter(before)).isPresent());
      assertThat(org.apache.pekko.cluster.typed.Cluster.get(peer.system()).state().getUnreachable())
          .as("no member became unreachable: the notice was the change").isEmpty();
      assertThat(TestCluster.upMembers(peer)).isEqualTo(2);
    }
  }

  /**
   * Few default-dispatcher threads (the test holds them all), the given congestion lag, and a
   * failure detector patient enough that the stall makes no member unreachable (which would be a
   * change of its own).
   */
  private static Config config(TestCluster cluster, String name, int port, int seedPort, StorageSettings storage,
      String congestionLag) throws Exception {
    return ConfigFactory.parseString("""
            opencluster.controller.cluster.congestion-lag = %s
            pekko.cluster.failure-detector.acceptable-heartbeat-pause = 30s
            pekko.actor.default-dispatcher.fork-join-executor {
              parallelism-min = %d
              parallelism-max = %d
            }
            """.formatted(congestionLag, DEFAULT_THREADS, DEFAULT_THREADS))
        .withFallback(cluster.controllerConfig(name, port, List.of(seedPort), storage));
  }
}
