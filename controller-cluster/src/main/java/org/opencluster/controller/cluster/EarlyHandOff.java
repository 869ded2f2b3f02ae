package org.opencluster.controller.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.pattern.Patterns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the file catalog's shard (every operator write to secure files and shared secrets goes to
 * it) off a leaving controller first, at the start of its graceful leave, while the cluster is
 * still quiet.
 *
 * <p>Without it, the catalog hands off with the node shards, in Coordinated Shutdown's
 * {@code cluster-sharding-shutdown-region} phase: after the edge has redirected its agents, when
 * the other controllers are busiest taking them and their nodes' entities. At 10,000 nodes on two
 * cores that hand-off took longer than the operator API waits for the catalog, and writes through
 * controllers that stayed up were answered 503. Handed off first, the catalog runs on another
 * controller within about a second, and the other controllers' regions already know where.
 *
 * <p>The region is asked to shut down gracefully (Pekko's {@code ShardRegion.GracefulShutdown}:
 * its coordinator moves its shards to the other regions, then the region stops). Pekko's own
 * region shutdown later in Coordinated Shutdown finds it stopped and has nothing left to do. If
 * the hand-off takes longer than the limit, the leave goes on; Pekko stops the region anyway when
 * the {@code cluster-sharding-shutdown-region} phase's timeout less 1 s (9 s) has passed since the
 * request, and its shards then start on another controller from their journals, as after a failure.
 *
 * <p>Only for entity types that the leaving controller itself no longer needs to reach: once the
 * region has stopped, messages sent to that type from this controller are lost until it exits. The
 * catalog qualifies (the operator API already answers 503 here; the local catalog copy stays as it
 * is until the controller exits; a secret entity that publishes here asks again). The shared
 * secrets' entities do not (node entities still here report their consumers' acknowledgements to
 * them), nor do the node entities.
 *
 * <p>Skipped when this controller was downed (its shards are taken over by the others), as Pekko
 * skips its own region shutdown then.
 */
public final class EarlyHandOff {

  private static final Logger LOG = LoggerFactory.getLogger(EarlyHandOff.class);

  private EarlyHandOff() {}

  /**
   * Hands off the shards of the entity type {@code typeName} that run here, and completes when its
   * region has stopped, or after {@code limit} (logged). Skipped when that type's sharding never
   * started here (a sealed controller). Never fails: a leave goes on regardless.
   */
  public static CompletionStage<Done> run(ActorSystem<?> system, String typeName, Duration limit) {
    try {
      return handOff(system, typeName, limit);
    } catch (RuntimeException e) {
      LOG.warn("Leaving: could not hand off the {} shards first: {}", typeName, e.toString());
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }

  private static CompletionStage<Done> handOff(ActorSystem<?> system, String typeName, Duration limit) {
    Cluster cluster = Cluster.get(Adapter.toClassic(system));
    MemberStatus self = cluster.selfMember().status();
    if (cluster.isTerminated() || self == MemberStatus.down() || self == MemberStatus.removed()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    ActorRef region;
    try {
      region = ClusterSharding.get(Adapter.toClassic(system)).shardRegion(typeName);
    } catch (IllegalStateException | IllegalArgumentException notStarted) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    long started = System.nanoTime();
    return Patterns.gracefulStop(region, limit, ShardRegion.gracefulShutdownInstance()).handle((stopped, failure) -> {
      if (failure != null) {
        LOG.warn("Leaving: the {} shards did not hand off within {}; going on (Pekko stops the region 9 s after the "
            + "request, and they start elsewhere from their journals)", typeName, limit);
      } else {
        LOG.info("Leaving: handed off the {} shards first, in {} ms", typeName, (System.nanoTime() - started) / 1_000_000);
      }
      return Done.getInstance();
    });
  }
}
