package org.opencluster.controller.edge;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.ActorRef;
import org.opencluster.protocol.agent.v1.Refused;

/**
 * The agents whose sessions this edge carries: each node's agent, as last seen in a frame its node
 * entity accepted (so the MAC proved the sender: a node certificate naming another node id cannot
 * put itself here), with when. It counts the agents for the cluster status and the balancing, and
 * sends them the redirect ({@code Refused MOVED}) when the edge leaves or has more than its share.
 * Thread-safe; bounded by {@code capacity} (beyond it, agents are not tracked: they still work,
 * they only miss a redirect and fail over on their own).
 */
public final class EdgeSessions {

  /** One agent: its reply address at the edge, its session, and when its last accepted frame came. */
  private record Seen(ActorRef agent, com.google.protobuf.ByteString sessionId, long atNanos) {}

  private final Map<String, Seen> agents = new ConcurrentHashMap<>();
  private final int capacity;
  private final LongSupplier nanos;
  private volatile List<String> drainingTo;
  private volatile String self = "";

  public EdgeSessions(int capacity) {
    this(capacity, System::nanoTime);
  }

  EdgeSessions(int capacity, LongSupplier nanos) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive");
    }
    this.capacity = capacity;
    this.nanos = nanos;
  }

  /** host:port agents know this edge by: the redirects it sends say so ({@code Refused.from}). */
  public void advertisedAs(String edge) {
    self = edge;
  }

  /** Node {@code nodeId}'s agent sent a frame of {@code sessionId} its entity accepted, from {@code agent}. */
  void seen(String nodeId, ActorRef agent, com.google.protobuf.ByteString sessionId) {
    Seen seen = new Seen(agent, sessionId, nanos.getAsLong());
    if (agents.size() < capacity || agents.containsKey(nodeId)) {
      agents.put(nodeId, seen);
    }
  }

  /** Agents seen within {@code within}. */
  public int active(Duration within) {
    long since = nanos.getAsLong() - within.toNanos();
    int count = 0;
    for (Seen seen : agents.values()) {
      if (seen.atNanos() - since >= 0) {
        count++;
      }
    }
    return count;
  }

  /** Agents seen since {@code sinceNanos} (a {@link #now()} reading). */
  int seenSince(long sinceNanos) {
    int count = 0;
    for (Seen seen : agents.values()) {
      if (seen.atNanos() - sinceNanos > 0) {
        count++;
      }
    }
    return count;
  }

  long now() {
    return nanos.getAsLong();
  }

  /** Forgets agents not seen within {@code within} (gone elsewhere, or stopped). */
  public void prune(Duration within) {
    long since = nanos.getAsLong() - within.toNanos();
    agents.values().removeIf(seen -> seen.atNanos() - since < 0);
  }

  /**
   * From now on the edge is leaving: every agent that reaches it is told to move to {@code
   * targets} (host:port of other edges, best first; empty: nowhere to send them, they are told
   * nothing and fail over when the edge stops). Every agent seen within {@code within} is told at
   * once, each with the targets rotated so they spread over them.
   *
   * @return how many agents were told
   */
  public int drain(List<String> targets, Duration within) {
    drainingTo = List.copyOf(targets);
    if (targets.isEmpty()) {
      return 0;
    }
    long since = nanos.getAsLong() - within.toNanos();
    int told = 0;
    for (Seen seen : agents.values()) {
      if (seen.atNanos() - since >= 0) {
        seen.agent().tell(moved(rotate(targets, told), "this controller is leaving", seen.sessionId()),
            ActorRef.noSender());
        told++;
      }
    }
    return told;
  }

  /** Whether the edge is leaving (every agent that reaches it is redirected). */
  public boolean draining() {
    return drainingTo != null;
  }

  /** Where a leaving edge sends the agent that reached it as the {@code n}th, or empty. */
  List<String> drainTargets(int n) {
    List<String> targets = drainingTo;
    return targets == null || targets.isEmpty() ? List.of() : rotate(targets, n);
  }

  /**
   * Moves up to {@code count} of the agents seen within {@code within} to the edges of {@code
   * shares}: each target host:port with how many agents it should receive (the balancing).
   * Agents told are forgotten here: they will be seen at their new edge.
   *
   * @return how many agents were told
   */
  public int move(Map<String, Integer> shares, Duration within) {
    if (draining()) {
      return 0;
    }
    long since = nanos.getAsLong() - within.toNanos();
    List<Map.Entry<String, Seen>> candidates = new ArrayList<>();
    for (Map.Entry<String, Seen> entry : agents.entrySet()) {
      if (entry.getValue().atNanos() - since >= 0) {
        candidates.add(entry);
      }
    }
    Collections.shuffle(candidates);
    int told = 0;
    int next = 0;
    for (Map.Entry<String, Integer> share : shares.entrySet()) {
      for (int i = 0; i < share.getValue() && next < candidates.size(); i++, next++) {
        Map.Entry<String, Seen> candidate = candidates.get(next);
        candidate.getValue().agent().tell(moved(List.of(share.getKey()),
            "this controller has more than its share of agents", candidate.getValue().sessionId()), ActorRef.noSender());
        agents.remove(candidate.getKey(), candidate.getValue());
        told++;
      }
    }
    return told;
  }

  /** The redirect for the agent of {@code sessionId} (null: a Hello, no session yet). */
  Refused moved(List<String> targets, String why, com.google.protobuf.ByteString sessionId) {
    Refused.Builder moved = Refused.newBuilder().setReason(Refused.Reason.MOVED).setRetryable(true)
        .setDetail(why + ": carry the session on through " + targets.get(0)).addAllMoveTo(targets).setFrom(self);
    if (sessionId != null) {
      moved.setSessionId(sessionId);
    }
    return moved.build();
  }

  private static List<String> rotate(List<String> targets, int by) {
    List<String> rotated = new ArrayList<>(targets);
    Collections.rotate(rotated, -(by % targets.size()));
    return rotated;
  }
}
