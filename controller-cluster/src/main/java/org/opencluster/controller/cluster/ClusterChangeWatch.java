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
 *
 * <p>Congestion counts too ({@link #watchLag}): a timer that should run every second on the
 * default dispatcher (where entities, shards and the edge's messages run) that runs {@code
 * congestion-lag} late or more means this controller was not listening, for a full collection or a
 * queue of work after a take-over. Heartbeats then wait in its queues, or in another controller's on
 * their way here, through no fault of the nodes. It counts a change, and tells the others with a
 * second replicated counter (at most every {@link #CONGESTION_NOTICE_EVERY}, written locally and
 * gossiped: no extra round trip while congested). Seen at 10,000 nodes on two cores: controllers
 * stalled for seconds two minutes after a leave, and nodes whose heartbeats were queued were
 * quarantined, each quarantine starting an urgent rotation that added to the load. The bound of the
 * deadline rule is the same: at most twice the deadline after the last heartbeat.
 */
public final class ClusterChangeWatch implements NodeEnvironment.ClusterChanges {

  static final Key<GCounter> LEAVING_NOTICES = GCounterKey.create("opencluster-controllers-leaving");
  static final Key<GCounter> CONGESTION_NOTICES = GCounterKey.create("opencluster-controllers-congested");
  /** How often a congested controller tells the others, at most. */
  static final Duration CONGESTION_NOTICE_EVERY = Duration.ofSeconds(5);
  /** How often a congested controller says so in its log, at most. */
  private static final Duration CONGESTION_LOG_EVERY = Duration.ofSeconds(60);
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ClusterChangeWatch.class);
  /** How long the notice's write waits for every controller's replica; gossip carries it anyway. */
  private static final Duration NOTICE_WRITE_TIMEOUT = Duration.ofSeconds(3);

  private final Clock clock;
  private final AtomicReference<Instant> last = new AtomicReference<>();
  /** The largest count of leave notices seen (kept across restarts of the watcher). */
  private final java.util.concurrent.atomic.AtomicLong noticesSeen = new java.util.concurrent.atomic.AtomicLong();
  /** The largest count of congestion notices seen. */
  private final java.util.concurrent.atomic.AtomicLong congestionSeen = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong lastCongestionNoticeNanos = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong lastCongestionLogNanos = new java.util.concurrent.atomic.AtomicLong();
  private ActorRef<Message> watcher;

  private sealed interface Message permits MemberChanged, NoticeSeen, Announce, Announced {}

  private record MemberChanged(ClusterEvent.ClusterDomainEvent event) implements Message {}

  private record NoticeSeen(Replicator.SubscribeResponse<GCounter> response) implements Message {}

  private record Announce(Key<GCounter> key, Replicator.WriteConsistency consistency) implements Message {}

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
        replicator.subscribe(CONGESTION_NOTICES, NoticeSeen::new);
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
          if (seen.response() instanceof Replicator.Changed<GCounter> notice) {
            java.util.concurrent.atomic.AtomicLong counted =
                notice.key().equals(LEAVING_NOTICES) ? noticesSeen : congestionSeen;
            long count = notice.get(notice.key()).getValue().longValue();
            if (counted.getAndAccumulate(count, Math::max) < count) {
              changed();
            }
          }
          return Behaviors.same();
        })
        .onMessage(Announce.class, announce -> {
          replicator.askUpdate(replyTo -> new Replicator.Update<>(announce.key(), GCounter.create(),
              announce.consistency(), replyTo, counter -> counter.increment(self, 1)), Announced::new);
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
    watcher.tell(new Announce(LEAVING_NOTICES, new Replicator.WriteAll(NOTICE_WRITE_TIMEOUT)));
  }

  /**
   * Watches this controller for congestion: a timer every second on {@code system}'s default
   * dispatcher; a run {@code threshold} or more late counts as a change here and, at most every
   * {@link #CONGESTION_NOTICE_EVERY}, on every other controller. Zero: not watched.
   */
  public void watchLag(ActorSystem<?> system, Duration threshold) {
    if (threshold.isZero()) {
      return;
    }
    LagProbe probe = new LagProbe(Duration.ofSeconds(1), threshold);
    system.scheduler().scheduleWithFixedDelay(Duration.ofSeconds(1), Duration.ofSeconds(1), () -> {
      Duration lag = probe.ranAt(System.nanoTime());
      if (lag != null) {
        congested(lag);
      }
    }, system.executionContext());
  }

  /** This controller ran {@code lag} late: a change, told to the others now and then. */
  void congested(Duration lag) {
    changed();
    long now = System.nanoTime();
    if (due(lastCongestionNoticeNanos, now, CONGESTION_NOTICE_EVERY)) {
      watcher.tell(new Announce(CONGESTION_NOTICES, Replicator.writeLocal()));
    }
    if (due(lastCongestionLogNanos, now, CONGESTION_LOG_EVERY)) {
      LOG.warn("This controller is congested: its one-second timer ran {} ms late. Until it catches up this counts "
          + "as a change of the controller cluster here and on the others: a silent node's heartbeat deadline "
          + "restarts from it (at most twice the deadline after its last heartbeat), and fewer sets go out",
          lag.toMillis());
    }
  }

  private static boolean due(java.util.concurrent.atomic.AtomicLong last, long now, Duration every) {
    long before = last.get();
    return (before == 0 || now - before >= every.toNanos()) && last.compareAndSet(before, now);
  }

  /**
   * How late a periodic task ran: {@link #ranAt} takes each run's monotonic time and returns the
   * lag beyond the period when it is at least the threshold, else null.
   */
  static final class LagProbe {
    private final long periodNanos;
    private final long thresholdNanos;
    private long lastNanos;
    private boolean first = true;

    LagProbe(Duration period, Duration threshold) {
      this.periodNanos = period.toNanos();
      this.thresholdNanos = threshold.toNanos();
    }

    Duration ranAt(long nanos) {
      long previous = lastNanos;
      lastNanos = nanos;
      if (first) {
        first = false;
        return null;
      }
      long lag = nanos - previous - periodNanos;
      return lag >= thresholdNanos ? Duration.ofNanos(lag) : null;
    }
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
