package org.opencluster.controller.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.pattern.Patterns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the shards operators write to (the file catalog, the shared secrets) off a leaving
 * controller first, at the start of its graceful leave, while the cluster is still quiet.
 *
 * <p>Without it, these shards hand off with the node shards, in Coordinated Shutdown's
 * {@code cluster-sharding-shutdown-region} phase: after the edge has redirected its agents, when
 * the other controllers are busiest taking them and their nodes' entities. At 10,000 nodes on two
 * cores that hand-off took longer than the operator API waits for the catalog, and writes through
 * controllers that stayed up were answered 503. Handed off first, the catalog runs on another
 * controller within about a second, and the other controllers' regions already know where.
 *
 * <p>Each region is asked to shut down gracefully (Pekko's {@code ShardRegion.GracefulShutdown}:
 * its coordinator moves its shards to the other regions, then the region stops). Pekko's own
 * region shutdown later in Coordinated Shutdown finds it stopped and has nothing left to do.
 */
public final class EarlyHandOff {

  private static final Logger LOG = LoggerFactory.getLogger(EarlyHandOff.class);

  private EarlyHandOff() {}

  /**
   * Hands off every shard of the entity types {@code typeNames} that runs here, and completes when
   * their regions have stopped, or after {@code limit} (logged; the rest then hands off with the
   * other shards). A type whose sharding never started here (a sealed controller) is skipped. Never
   * completes exceptionally: a leave goes on regardless.
   */
  public static CompletionStage<Done> run(ActorSystem<?> system, List<String> typeNames, Duration limit) {
    long started = System.nanoTime();
    ClusterSharding sharding = ClusterSharding.get(Adapter.toClassic(system));
    List<CompletableFuture<Boolean>> stopped = new ArrayList<>();
    List<String> handingOff = new ArrayList<>();
    for (String typeName : typeNames) {
      ActorRef region;
      try {
        region = sharding.shardRegion(typeName);
      } catch (IllegalStateException | IllegalArgumentException notStarted) {
        continue;
      }
      handingOff.add(typeName);
      stopped.add(Patterns.gracefulStop(region, limit, ShardRegion.gracefulShutdownInstance()).toCompletableFuture()
          .handle((done, failure) -> {
            if (failure != null) {
              LOG.warn("Leaving: the {} shards did not hand off within {}; they hand off with the others", typeName,
                  limit);
              return false;
            }
            return true;
          }));
    }
    if (handingOff.isEmpty()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return CompletableFuture.allOf(stopped.toArray(CompletableFuture[]::new)).thenApply(all -> {
      if (stopped.stream().allMatch(CompletableFuture::join)) {
        LOG.info("Leaving: handed off the {} shards first, in {} ms", String.join(" and ", handingOff),
            (System.nanoTime() - started) / 1_000_000);
      }
      return Done.getInstance();
    });
  }
}
