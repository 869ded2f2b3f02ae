package org.opencluster.controller.cluster;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.opencluster.controller.node.NodeEnvironment;

/**
 * When the controller cluster last changed, as this controller saw it: any member event (a
 * controller joined, came up, left, exited, was downed or removed) or reachability event. The
 * node entities read it when a heartbeat deadline passes ({@link NodeEnvironment.ClusterChanges}):
 * agents move between controllers in such a change, so their silence then may be the controllers'
 * doing, not theirs.
 */
public final class ClusterChangeWatch implements NodeEnvironment.ClusterChanges {

  private final Clock clock;
  private final AtomicReference<Instant> last = new AtomicReference<>();

  private ClusterChangeWatch(Clock clock) {
    this.clock = clock;
  }

  /**
   * Starts watching {@code system}'s cluster; the watch lasts as long as the system. Start it
   * before any node entity runs: the subscription replays the current members as events, which
   * count as a change at the start.
   */
  public static ClusterChangeWatch start(ActorSystem<?> system, Clock clock) {
    ClusterChangeWatch watch = new ClusterChangeWatch(clock);
    ActorRef<ClusterEvent.ClusterDomainEvent> listener = system.systemActorOf(
        Behaviors.<ClusterEvent.ClusterDomainEvent>receiveMessage(event -> {
          watch.changed();
          return Behaviors.same();
        }), "cluster-change-watch", Props.empty());
    Cluster cluster = Cluster.get(system);
    cluster.subscriptions().tell(Subscribe.create(listener.narrow(), ClusterEvent.MemberEvent.class));
    cluster.subscriptions().tell(Subscribe.create(listener.narrow(), ClusterEvent.ReachabilityEvent.class));
    return watch;
  }

  /** A change now; a clock stepped back never moves the last change back. */
  void changed() {
    Instant now = clock.instant();
    last.accumulateAndGet(now, (before, seen) -> before == null || seen.isAfter(before) ? seen : before);
  }

  @Override
  public Optional<Instant> lastChange() {
    return Optional.ofNullable(last.get());
  }
}
