package org.opencluster.bench.fleet;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** What the simulated agents saw, shared by all of them. Counts of heartbeats and acks run only while measuring. */
final class FleetStats {

  /** Enrolments in flight at most: the fleet enrols as fast as the controller lets this window drain. */
  final Semaphore enrolWindow;
  final AtomicLong enrolled = new AtomicLong();
  final LongAdder enrolAttempts = new LongAdder();
  final LongAdder enrolTimeouts = new LongAdder();
  final LongAdder reEnrolments = new LongAdder();
  final LongAdder quarantined = new LongAdder();
  final LongAdder badFrames = new LongAdder();
  final Map<String, LongAdder> refused = new ConcurrentHashMap<>();
  final LatencyHistogram enrolLatency = new LatencyHistogram();

  volatile boolean measuring;
  final LongAdder heartbeatsSent = new LongAdder();
  final LongAdder acks = new LongAdder();
  final LatencyHistogram ackLatency = new LatencyHistogram();

  /** Secure files opened (sealed to the agent's boot and opened with its key), all the time. */
  final LongAdder filesOpened = new LongAdder();
  /** Staged files (pending versions of rotating secrets) opened under their staged names and held. */
  final LongAdder stagedOpened = new LongAdder();
  /** Agents that hold at least one file (opened a set with one). */
  final LongAdder holdingFiles = new LongAdder();
  /** A delivery round: agents count the first set they receive at or after {@code deliverySince}. */
  volatile long deliverySince = Long.MAX_VALUE;
  volatile int deliveryRound;
  final LongAdder deliveredThisRound = new LongAdder();
  final AtomicLong lastDeliveryMillis = new AtomicLong();
  /** Per agent in a round: milliseconds from the change to the new content opened. */
  volatile LatencyHistogram deliveryMillis = new LatencyHistogram();

  // ---- fail-over (agents that know every edge), counted all the time

  /** Moves to another edge after missed acknowledgements, UNAVAILABLE or an unanswered Hello. */
  final LongAdder failovers = new LongAdder();
  /** UNAVAILABLE refusals ignored because a fail-over was already scheduled. */
  final LongAdder staleRefusals = new LongAdder();
  /** MOVED refusals followed: the session carried on at once through the edge named. */
  final LongAdder redirects = new LongAdder();
  /** Each second's heartbeats, acknowledgements and round trips, all the time. */
  final HeartbeatWindows windows = new HeartbeatWindows();
  /** An acknowledgement round: per agent, when it first got an acknowledgement at or after {@code ackRoundSince}. */
  volatile long ackRoundSince = Long.MAX_VALUE;
  final AtomicLongArray firstAckSince;
  /** Per agent, 1 once it received a Quarantined frame (it will never be acknowledged again). */
  final AtomicIntegerArray quarantinedAgents;
  /** Per agent, a hash of the content of the files it holds (0 until it holds some). */
  final AtomicIntegerArray contentHashes;

  FleetStats(int enrolWindow, int agents) {
    this.enrolWindow = new Semaphore(enrolWindow);
    this.firstAckSince = new AtomicLongArray(agents);
    this.contentHashes = new AtomicIntegerArray(agents);
    this.quarantinedAgents = new AtomicIntegerArray(agents);
  }

  /** Starts an acknowledgement round from {@code since} (unix millis). */
  void startAckRound(long since) {
    for (int i = 0; i < firstAckSince.length(); i++) {
      firstAckSince.set(i, 0);
    }
    ackRoundSince = since;
  }

  /** An agent's acknowledgement at {@code nowMillis}, for the running acknowledgement round. */
  void acknowledgedAt(int agent, long nowMillis) {
    if (nowMillis >= ackRoundSince && firstAckSince.get(agent) == 0) {
      firstAckSince.compareAndSet(agent, 0, nowMillis);
    }
  }

  void refused(String reason) {
    refused.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  Map<String, Long> refusedByReason() {
    Map<String, Long> counts = new TreeMap<>();
    refused.forEach((reason, count) -> counts.put(reason, count.sum()));
    return counts;
  }
}
