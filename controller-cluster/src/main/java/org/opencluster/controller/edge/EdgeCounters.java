package org.opencluster.controller.edge;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.opencluster.controller.audit.SecurityEvents;
import org.opencluster.protocol.agent.v1.Refused;

/**
 * What the edge gateway has seen, by outcome: for metrics, logs and tests; refusals also go to the
 * audit log, counted by kind. Thread-safe.
 */
public final class EdgeCounters {

  /** One outcome. */
  public enum Outcome {
    /** A Hello handed to its node entity. */
    HELLO,
    /** A frame handed to its node entity. */
    FRAME,
    /** Refused at the gateway: the wrong size or shape. */
    MALFORMED,
    /** Refused at the gateway: this controller cannot serve yet (sealed, starting). */
    UNAVAILABLE,
    /** The node entity did not answer in time. */
    TIMED_OUT,
    /** Something that is neither a Hello nor a Frame reached the gateway. */
    UNKNOWN_MESSAGE,
    /** A Welcome sent back. */
    WELCOMED,
    /** A Refused sent back (by the gateway or the entity). */
    REFUSED,
    /** The redirect sent: this edge is leaving, or has more than its share of agents. */
    REDIRECTED
  }

  private final Map<Outcome, AtomicLong> counts = new EnumMap<>(Outcome.class);
  private final SecurityEvents audit;
  private final Map<Refused.Reason, AtomicLong> refusals = new EnumMap<>(Refused.Reason.class);

  public EdgeCounters() {
    this(SecurityEvents.NONE);
  }

  public EdgeCounters(SecurityEvents audit) {
    this.audit = audit;
    for (Outcome outcome : Outcome.values()) {
      counts.put(outcome, new AtomicLong());
    }
    for (Refused.Reason reason : Refused.Reason.values()) {
      refusals.put(reason, new AtomicLong());
    }
  }

  /** A Refused sent back, by the gateway or the node's entity, with its reason. */
  void refused(Refused.Reason reason) {
    count(Outcome.REFUSED);
    refusals.get(reason).incrementAndGet();
  }

  /** The Refused answers sent with {@code reason}. */
  public long refusals(Refused.Reason reason) {
    return refusals.get(reason).get();
  }

  /** A message refused for a security reason: {@code kind} from a fixed set (an enum's name), never from the agent. */
  void refused(String kind, String sample) {
    audit.refused("edge.gateway", kind, sample);
  }

  void count(Outcome outcome) {
    counts.get(outcome).incrementAndGet();
  }

  void add(Outcome outcome, long n) {
    counts.get(outcome).addAndGet(n);
  }

  public long count(Outcome outcome, Outcome... more) {
    long total = counts.get(outcome).get();
    for (Outcome other : more) {
      total += counts.get(other).get();
    }
    return total;
  }

  @Override
  public String toString() {
    return "EdgeCounters" + counts;
  }
}
