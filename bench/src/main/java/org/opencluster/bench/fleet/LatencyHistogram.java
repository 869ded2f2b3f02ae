package org.opencluster.bench.fleet;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in microseconds, recorded from many threads without a lock: exact below 1 ms, then 64
 * buckets per power of two (within 1.6%). Enough for p50 and p99 of an ack's round trip.
 */
final class LatencyHistogram {

  private static final int EXACT = 1024;
  private static final int SUB_BUCKETS = 64;
  private static final int POWERS = 30;

  private final AtomicLongArray counts = new AtomicLongArray(EXACT + POWERS * SUB_BUCKETS);

  void record(long micros) {
    counts.incrementAndGet(index(Math.max(0, micros)));
  }

  /** Adds every value {@code other} recorded to this one. */
  void addAll(LatencyHistogram other) {
    for (int i = 0; i < counts.length(); i++) {
      long n = other.counts.get(i);
      if (n != 0) {
        counts.addAndGet(i, n);
      }
    }
  }

  long count() {
    long total = 0;
    for (int i = 0; i < counts.length(); i++) {
      total += counts.get(i);
    }
    return total;
  }

  /** The value at {@code quantile} (0..1), the upper bound of its bucket; NaN when nothing was recorded. */
  double quantile(double quantile) {
    long total = count();
    if (total == 0) {
      return Double.NaN;
    }
    long rank = Math.max(1, (long) Math.ceil(quantile * total));
    long seen = 0;
    for (int i = 0; i < counts.length(); i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return upperBound(i);
      }
    }
    return upperBound(counts.length() - 1);
  }

  static int index(long micros) {
    if (micros < EXACT) {
      return (int) micros;
    }
    int power = 63 - Long.numberOfLeadingZeros(micros); // >= 10
    int row = Math.min(power - 10, POWERS - 1);
    long sub = (micros >>> (power - 6)) & (SUB_BUCKETS - 1);
    return EXACT + row * SUB_BUCKETS + (int) sub;
  }

  static long upperBound(int index) {
    if (index < EXACT) {
      return index;
    }
    int row = (index - EXACT) / SUB_BUCKETS;
    int sub = (index - EXACT) % SUB_BUCKETS;
    int power = row + 10;
    long step = 1L << (power - 6);
    return (1L << power) + (sub + 1) * step - 1;
  }
}
