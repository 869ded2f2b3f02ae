package org.opencluster.controller.node;

/**
 * How many InfoSets this controller's node entities may build per second, all together: building
 * one seals each file to the agent's key (an ECDH each), so a change every node sees at once (a
 * rotation's pending version, a new file for the fleet) would otherwise take every thread at the
 * same moment, starving heartbeats and the journal. A node that finds the budget spent gets its set
 * at a later heartbeat. A token bucket refilled continuously, holding at most one second's worth.
 */
public final class SetBudget {

  /** No limit: for tests and tools. */
  public static final SetBudget UNLIMITED = new SetBudget(0);

  private final double perSecond;
  private double tokens;
  private long refilledAt = System.nanoTime();

  /** @param perSecond sets per second; 0 for no limit */
  public SetBudget(int perSecond) {
    if (perSecond < 0) {
      throw new IllegalArgumentException("opencluster.controller.files.max-sets-per-second must be 0 (no limit) or more");
    }
    this.perSecond = perSecond;
    this.tokens = perSecond;
  }

  /** Takes one set from the budget, if any is left. Thread-safe; never blocks. */
  public synchronized boolean tryTake() {
    if (perSecond == 0) {
      return true;
    }
    long now = System.nanoTime();
    tokens = Math.min(perSecond, tokens + (now - refilledAt) / 1e9 * perSecond);
    refilledAt = now;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }
}
