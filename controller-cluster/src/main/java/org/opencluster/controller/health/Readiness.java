package org.opencluster.controller.health;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.setup.Setup;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.keys.Seal;

/**
 * When a controller may take work: unsealed, its database reachable, sharding started, a member
 * of the cluster that is Up, and not leaving (from the first phase of Coordinated Shutdown a load
 * balancer stops sending it requests). Handed to the actor system as a {@link Setup} for the health
 * check.
 */
public final class Readiness extends Setup {

  private final Seal seal;
  private final Storage storage;
  private final AtomicBoolean shardingStarted = new AtomicBoolean();

  public Readiness(Seal seal, Storage storage) {
    this.seal = seal;
    this.storage = storage;
  }

  /** @return true the first time only */
  public boolean markShardingStarted() {
    return shardingStarted.compareAndSet(false, true);
  }

  public boolean shardingStarted() {
    return shardingStarted.get();
  }

  /** Blocks on a database round trip; call it off the actors' threads. */
  public boolean isReady(org.apache.pekko.actor.typed.ActorSystem<?> system, Duration timeout) {
    return seal.isUnsealed()
        && shardingStarted.get()
        && Cluster.get(system).selfMember().status().equals(MemberStatus.up())
        && org.apache.pekko.actor.CoordinatedShutdown.get(system).getShutdownReason().isEmpty()
        && storage.isReachable(timeout);
  }
}
