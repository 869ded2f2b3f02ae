package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Role;

/**
 * The operator API runs on a dispatcher of its own: with every thread of the default dispatcher
 * (where entities, shards and cluster messages run) held busy, an operator still completes a new
 * TLS handshake and is answered. Before, the handshake waited for those threads, and at 10,000
 * nodes operators' connections timed out while a controller took over another's nodes.
 */
class OperatorApiDispatcherIT {

  /** The default dispatcher's threads in this test: few, so that the test can hold all of them. */
  private static final int DEFAULT_THREADS = 2;

  @Test
  void anOperatorConnectsAndIsAnswered_whileEveryThreadOfTheDefaultDispatcherIsBusy(@TempDir Path tmp) throws Exception {
    try (TestCluster cluster = new TestCluster(tmp)) {
      Controller controller = cluster.start(ConfigFactory.parseString("""
              pekko.actor.default-dispatcher.fork-join-executor {
                parallelism-min = %d
                parallelism-max = %d
              }
              """.formatted(DEFAULT_THREADS, DEFAULT_THREADS))
          .withFallback(cluster.controllerConfig("ctl-1", TestCluster.freePort(), List.of(), TestDatabases.freshH2())));
      try (SecretBytes key = SecretBytes.random(32)) {
        controller.unsealWithDevelopmentKey(key);
      }
      // A client made now has no connection yet: its first request makes a new TLS handshake.
      ApiTestClient operator = new ApiTestClient(cluster.issueOperator("olga", Role.OPERATOR));

      Executor defaultDispatcher = controller.system().dispatchers().lookup(DispatcherSelector.defaultDispatcher());
      CountDownLatch held = new CountDownLatch(DEFAULT_THREADS);
      CountDownLatch release = new CountDownLatch(1);
      try {
        for (int i = 0; i < DEFAULT_THREADS; i++) {
          defaultDispatcher.execute(() -> {
            held.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
        }
        assertThat(held.await(30, TimeUnit.SECONDS)).as("every default-dispatcher thread is held").isTrue();

        ApiTestClient.Reply status = operator.get(controller.apiPort(), "/v1/sys/seal-status");
        assertThat(status.status()).isEqualTo(200);
        assertThat(status.body().path("state").asText()).isEqualTo("unsealed");
      } finally {
        release.countDown();
      }
    }
  }
}
