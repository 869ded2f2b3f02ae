package org.opencluster.bench.recovery;

import com.typesafe.config.Config;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.opencluster.bench.BenchReport;
import org.opencluster.controller.Controller;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * A controller with many active node entities is restarted: how long until every remembered
 * entity runs again after the unseal (each replaying its encrypted events and arming its
 * timers), and how much heap an idle node entity takes.
 */
public final class EntityRecovery {

  private static final int IN_FLIGHT = 200;
  private static final Duration ASK = Duration.ofSeconds(60);

  private static final Duration RECOVERY_LIMIT = Duration.ofMinutes(20);

  private EntityRecovery() {}

  public static BenchReport run(int nodes, String database) throws Exception {
    BenchReport report = new BenchReport("node entity recovery after a controller restart");
    StorageSettings storage = database.equals("h2") ? TestDatabases.freshH2() : TestDatabases.freshPostgres();
    Path directory = Files.createTempDirectory("opencluster-recovery");
    String setup = String.format(Locale.ROOT, "%d nodes, one controller, %s; %s heap max %s MiB; %s cores", nodes,
        database.equals("h2") ? "H2 file" : "PostgreSQL 17 embedded", BenchReport.machine().get("java"),
        BenchReport.machine().get("maxHeapMiB"), BenchReport.machine().get("cores"));
    try (TestCluster cluster = new TestCluster(directory);
        SecretBytes key = SecretBytes.random(32)) {
      Config config = cluster.controllerConfig("ctl-1", TestCluster.freePort(), List.of(), storage);
      Controller first = cluster.start(config);
      first.seal().initializeWithKey(key);
      first.seal().unsealWithKey(key);
      long registering = System.nanoTime();
      registerAndActivate(first, nodes);
      double registrationSeconds = (System.nanoTime() - registering) / 1e9;
      cluster.stop(first);

      Controller restarted = cluster.start(config);
      long heapBefore = usedHeap();
      long unsealing = System.nanoTime();
      restarted.seal().unsealWithKey(key);
      long giveUpAt = System.nanoTime() + RECOVERY_LIMIT.toNanos();
      while (localEntities(restarted) < nodes) {
        if (System.nanoTime() > giveUpAt) {
          throw new IllegalStateException("fewer than " + nodes + " entities were running " + RECOVERY_LIMIT
              + " after the unseal");
        }
        Thread.onSpinWait();
      }
      double recoverySeconds = (System.nanoTime() - unsealing) / 1e9;
      long heapAfter = usedHeap();

      report.add("register and activate", "nodes/s", nodes / registrationSeconds, Double.NaN, setup);
      report.add("recovery of all entities after unseal", "s", recoverySeconds, Double.NaN, setup);
      report.add("recovery rate", "entities/s", nodes / recoverySeconds, Double.NaN, setup);
      report.add("heap per idle node entity", "bytes", (heapAfter - heapBefore) / (double) nodes, Double.NaN,
          setup + "; used heap after full GC, before unseal vs with all entities running");
    }
    return report;
  }

  private static void registerAndActivate(Controller controller, int nodes) throws Exception {
    ClusterSharding sharding = ClusterSharding.get(controller.system());
    for (int batch = 0; batch < nodes; batch += IN_FLIGHT) {
      List<CompletableFuture<?>> pending = new ArrayList<>();
      for (int n = batch; n < Math.min(nodes, batch + IN_FLIGHT); n++) {
        var node = sharding.entityRefFor(NodeEntity.ENTITY_KEY, "n-" + n);
        String name = "host-" + n;
        pending.add(node.<StatusReply<NodeEntity.Registration>>ask(
                r -> new NodeEntity.Register(name, Map.of("role", "web"), Duration.ofDays(30), r), ASK)
            .thenCompose(registered -> node.<StatusReply<NodeEntity.HeartbeatAccepted>>ask(NodeEntity.Heartbeat::new, ASK))
            .toCompletableFuture());
      }
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
    }
  }

  private static int localEntities(Controller controller) throws Exception {
    if (!controller.readiness().shardingStarted()) {
      return 0;
    }
    ShardRegion.CurrentShardRegionState state = AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
            ClusterSharding.get(controller.system()).shardState(),
            replyTo -> new GetShardRegionState(NodeEntity.ENTITY_KEY, replyTo), Duration.ofSeconds(30),
            controller.system().scheduler())
        .toCompletableFuture().get();
    Set<String> ids = new HashSet<>();
    state.getShards().forEach(shard -> ids.addAll(shard.getEntityIds()));
    return ids.size();
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
