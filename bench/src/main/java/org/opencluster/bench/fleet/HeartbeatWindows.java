package org.opencluster.bench.fleet;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the fleet's heartbeats did, second by second (wall clock), so that a scenario can read the
 * figures of the seconds an event lasted: heartbeats sent, acknowledgements received, their round
 * trip (histogram and exact maximum) and the longest time an agent went without an
 * acknowledgement, recorded at the acknowledgement that ended it, with how many such gaps were
 * longer than the agents' lease. Seconds older than
 * {@link #KEPT_SECONDS} are dropped.
 */
final class HeartbeatWindows {

  static final long KEPT_SECONDS = 3_600;
  private static final long LEASE_MILLIS = FleetSimulator.LEASE.toMillis();

  private static final class Second {
    final LongAdder sent = new LongAdder();
    final LongAdder acked = new LongAdder();
    final LatencyHistogram roundTrip = new LatencyHistogram();
    final AtomicLong maxRoundTripMicros = new AtomicLong();
    final AtomicLong maxAckGapMillis = new AtomicLong();
    final LongAdder gapsOverLease = new LongAdder();
  }

  private final ConcurrentMap<Long, Second> seconds = new ConcurrentHashMap<>();

  void sent(long nowMillis) {
    second(nowMillis).sent.increment();
  }

  /** An acknowledgement: its heartbeat's round trip (negative: unknown) and the time since the agent's previous one. */
  void acknowledged(long nowMillis, long roundTripMicros, long gapMillis) {
    Second second = second(nowMillis);
    second.acked.increment();
    if (roundTripMicros >= 0) {
      second.roundTrip.record(roundTripMicros);
      second.maxRoundTripMicros.accumulateAndGet(roundTripMicros, Math::max);
    }
    second.maxAckGapMillis.accumulateAndGet(gapMillis, Math::max);
    if (gapMillis > LEASE_MILLIS) {
      second.gapsOverLease.increment();
    }
  }

  /** The figures of the whole seconds from {@code fromMillis} to {@code toMillis}, inclusive. */
  Map<String, Object> between(long fromMillis, long toMillis) {
    LatencyHistogram roundTrip = new LatencyHistogram();
    long sent = 0;
    long acked = 0;
    long maxRoundTrip = 0;
    long maxGap = 0;
    long overLease = 0;
    for (long s = fromMillis / 1000; s <= toMillis / 1000; s++) {
      Second second = seconds.get(s);
      if (second != null) {
        sent += second.sent.sum();
        acked += second.acked.sum();
        roundTrip.addAll(second.roundTrip);
        maxRoundTrip = Math.max(maxRoundTrip, second.maxRoundTripMicros.get());
        maxGap = Math.max(maxGap, second.maxAckGapMillis.get());
        overLease += second.gapsOverLease.sum();
      }
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("fromMillis", fromMillis);
    figures.put("toMillis", toMillis);
    figures.put("heartbeatsSent", sent);
    figures.put("acks", acked);
    figures.put("roundTripSamples", roundTrip.count());
    figures.put("roundTripP50Micros", roundTrip.count() == 0 ? 0 : roundTrip.quantile(0.50));
    figures.put("roundTripP99Micros", roundTrip.count() == 0 ? 0 : roundTrip.quantile(0.99));
    figures.put("roundTripMaxMicros", maxRoundTrip);
    figures.put("maxAckGapMillis", maxGap);
    figures.put("ackGapsOverLease", overLease);
    return figures;
  }

  private Second second(long nowMillis) {
    long key = nowMillis / 1000;
    Second second = seconds.get(key);
    if (second == null) {
      second = seconds.computeIfAbsent(key, k -> new Second());
      seconds.keySet().removeIf(old -> old < key - KEPT_SECONDS);
    }
    return second;
  }
}
