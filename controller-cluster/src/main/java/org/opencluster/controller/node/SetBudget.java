package org.opencluster.controller.node;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How many InfoSets this controller's node entities may build per second, all together: building
 * one seals each file to the agent's key (an ECDH each), so a change every node sees at once (a
 * rotation's pending version, a new file for the fleet) would otherwise take every thread at the
 * same moment, starving heartbeats and the journal. A node that finds the budget spent gets its set
 * at a later heartbeat. A token bucket refilled continuously, holding at most one second's worth.
 *
 * <p>For a while after the controller cluster changed (a controller joined, left, failed or became
 * unreachable) the budget is smaller: the controllers still up are then recovering the moved
 * nodes' entities, each of which sends its agent its set once more, and taking the moved agents,
 * and the heartbeats of those agents must come first. Agents keep the files they hold meanwhile;
 * only new sets (a rotation's pending version) wait a little. Measured at 10,000 nodes on two
 * cores: sealing was most of the surviving controllers' CPU while one left during a rotation.
 */
public final class SetBudget {

  /** No limit: for tests and tools. */
  public static final SetBudget UNLIMITED = new SetBudget(0);

  private final double perSecond;
  private final double perSecondAfterChange;
  private final Duration afterChange;
  private final NodeEnvironment.ClusterChanges changes;
  private final Clock clock;
  private double tokens;
  private Instant refilledAt;

  /** @param perSecond sets per second, whatever the cluster does; 0 for no limit */
  public SetBudget(int perSecond) {
    this(perSecond, perSecond, Duration.ZERO, NodeEnvironment.ClusterChanges.NONE, Clock.systemUTC());
  }

  /**
   * @param perSecond sets per second; 0 for no limit (then nothing else counts)
   * @param perSecondAfterChange sets per second for {@code afterChange} after a change of the cluster:
   *     at least 1 and at most {@code perSecond}
   * @param afterChange how long a change of the cluster slows the budget
   * @param changes when the cluster last changed, as this controller saw it
   */
  public SetBudget(int perSecond, int perSecondAfterChange, Duration afterChange,
      NodeEnvironment.ClusterChanges changes, Clock clock) {
    if (perSecond < 0) {
      throw new IllegalArgumentException("opencluster.controller.files.max-sets-per-second must be 0 (no limit) or more");
    }
    if (perSecond > 0 && (perSecondAfterChange < 1 || perSecondAfterChange > perSecond)) {
      throw new IllegalArgumentException("opencluster.controller.files.max-sets-per-second-after-cluster-change must be "
          + "from 1 to max-sets-per-second (" + perSecond + "), not " + perSecondAfterChange);
    }
    if (afterChange.isNegative()) {
      throw new IllegalArgumentException("opencluster.controller.files.slower-after-cluster-change must not be negative");
    }
    this.perSecond = perSecond;
    this.perSecondAfterChange = perSecondAfterChange;
    this.afterChange = afterChange;
    this.changes = changes;
    this.clock = clock;
    this.tokens = perSecond;
    this.refilledAt = clock.instant();
  }

  /** Takes one set from the budget, if any is left. Thread-safe; never blocks. */
  public synchronized boolean tryTake() {
    if (perSecond == 0) {
      return true;
    }
    Instant now = clock.instant();
    double rate = rateAt(now);
    // A wall clock stepped back refills nothing, and never takes back.
    double elapsed = Math.max(0, Duration.between(refilledAt, now).toNanos() / 1e9);
    tokens = Math.min(rate, tokens + elapsed * rate);
    refilledAt = now;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }

  private double rateAt(Instant now) {
    Optional<Instant> last = changes.lastChange();
    return last.isPresent() && now.isBefore(last.get().plus(afterChange)) ? perSecondAfterChange : perSecond;
  }
}
