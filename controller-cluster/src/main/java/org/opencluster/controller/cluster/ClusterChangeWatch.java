package org.opencluster.controller.cluster;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.ddata.GCounter;
import org.apache.pekko.cluster.ddata.GCounterKey;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.opencluster.controller.node.NodeEnvironment;

/**
 * When the controller cluster last changed, as this controller saw it: any member event (a
 * controller joined, came up, left, exited, was downed or removed), reachability event, or a
 * controller's notice that it has begun to leave. The node entities read it when a heartbeat
 * deadline passes ({@link NodeEnvironment.ClusterChanges}): agents move between controllers in
 * such a change, so their silence then may be the controllers' doing, not theirs. The set budget
 * reads it too ({@code SetBudget}).
 *
 * <p>The notice: a leaving controller redirects its agents in the first phase of its leave, and
 * Pekko marks it Leaving (the member event) only after that phase, 10 s and more later. So when it
 * begins, it counts a change itself and increments a counter replicated with Distributed Data
 * ({@link #announceLeaving()}); every controller that sees the counter change counts a change.
 * Without it, a node whose agent was moving then could be quarantined before any controller saw a
 * change (seen at 10,000 nodes on two cores).
 */
public final class ClusterChangeWatch implements NodeEnvironment.ClusterChanges {

  static final Key<GCounter> LEAVING_NOTICES = GCounterKey.create("opencluster-controllers-leaving");
  /** How long the notice's write waits for every controller's replica; gossip carries it anyway. */
  private static final Duration NOTICE_WRITE_TIMEOUT = Duration.ofSeconds(3);

  private final Clock clock;
  private final AtomicReference<Instant> last = new AtomicReference<>();
  /** The largest count of leave notices seen (kept across restarts of the watcher). */
  private final java.util.concurrent.atomic.AtomicLong noticesSeen = new java.util.concurrent.atomic.AtomicLong();
  private ActorRef<Message> watcher;

  private sealed interface Message permits MemberChanged, NoticeSeen, Announce, Announced {}

  private record MemberChanged(ClusterEvent.ClusterDomainEvent event) implements Message {}

  private record NoticeSeen(Replicator.SubscribeResponse<GCounter> response) implements Message {}

  private record Announce() implements Message {}

  private record Announced(Replicator.UpdateResponse<GCounter> response) implements Message {}

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
    SelfUniqueAddress self = DistributedData.get(system).selfUniqueAddress();
    // Restarted on a failure (an update the replicator did not answer in time): setup subscribes again.
    watch.watcher = system.systemActorOf(Behaviors.supervise(Behaviors.<Message>setup(context -> {
      ActorRef<ClusterEvent.ClusterDomainEvent> events = context.messageAdapter(ClusterEvent.ClusterDomainEvent.class,
          MemberChanged::new);
      Cluster cluster = Cluster.get(context.getSystem());
      cluster.subscriptions().tell(Subscribe.create(events.narrow(), ClusterEvent.MemberEvent.class));
      cluster.subscriptions().tell(Subscribe.create(events.narrow(), ClusterEvent.ReachabilityEvent.class));
      return DistributedData.<Message, GCounter>withReplicatorMessageAdapter(replicator -> {
        replicator.subscribe(LEAVING_NOTICES, NoticeSeen::new);
        return watch.behavior(replicator, self);
      });
    })).onFailure(SupervisorStrategy.restart()), "cluster-change-watch", Props.empty());
    return watch;
  }

  private Behavior<Message> behavior(
      org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter<Message, GCounter> replicator,
      SelfUniqueAddress self) {
    return Behaviors.receive(Message.class)
        .onMessage(MemberChanged.class, changed -> {
          changed();
          return Behaviors.same();
        })
        .onMessage(NoticeSeen.class, seen -> {
          // Only a grown count is a notice: the replicator also reports a change when it prunes the
          // entries of a removed controller, minutes later, and that is not a change of the cluster.
          if (seen.response() instanceof Replicator.Changed<GCounter> notice
              && noticesSeen.getAndAccumulate(notice.get(LEAVING_NOTICES).getValue().longValue(), Math::max)
                  < notice.get(LEAVING_NOTICES).getValue().longValue()) {
            changed();
          }
          return Behaviors.same();
        })
        .onMessage(Announce.class, announce -> {
          replicator.askUpdate(replyTo -> new Replicator.Update<>(LEAVING_NOTICES, GCounter.create(),
              new Replicator.WriteAll(NOTICE_WRITE_TIMEOUT), replyTo, counter -> counter.increment(self, 1)),
              Announced::new);
          return Behaviors.same();
        })
        .onMessage(Announced.class, announced -> Behaviors.same()) // not reached by all in time: gossip goes on
        .build();
  }

  /**
   * This controller has begun to leave: a change now, here and, within a second or so, on every
   * other controller. Never blocks.
   */
  public void announceLeaving() {
    changed();
    watcher.tell(new Announce());
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
