package org.opencluster.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.opencluster.bench.fleet.FleetSimulator;
import org.opencluster.controller.testing.ApiTestClient;

/**
 * The high-availability scenarios over a {@link ScenarioCluster}, used by the integration tests
 * and the {@code failover} bench alike: each runs its faults with an operator writing and the
 * management API watched throughout, and returns what every invariant check found; the caller
 * asserts or reports.
 */
public final class FailoverScenarios {

  /** The app-version a rolling upgrade moves every controller to. */
  public static final String NEW_VERSION = "99.0.0";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration ACKED_LIMIT = Duration.ofMinutes(3);
  private static final Duration ROTATION_LIMIT = Duration.ofMinutes(3);
  private static final Duration SHARDS_LIMIT = Duration.ofMinutes(2);
  private static final Duration WRITE_EVERY = Duration.ofMillis(250);
  private static final int MAX_WRITES = 4_000;
  private static final Duration LOAD_LIMIT = Duration.ofMinutes(20);
  private static final Duration WATCH_EVERY = Duration.ofMillis(500);
  private static final Duration CUT_EXIT_LIMIT = Duration.ofMinutes(2);

  private FailoverScenarios() {}

  /**
   * What a scenario found.
   *
   * @param events each fault, in order
   * @param writes the operator's writes; {@code lostWrites} the acknowledged ones missing at the end
   * @param api {@code GET /v1/cluster} through each controller during the scenario
   * @param nodes every simulated node's stage at the end
   * @param fleet the simulator's counts at the end (quarantined, refused by reason, failovers,
   *     redirects, re-enrolments)
   * @param rotation the rotating secret at the end (rolling upgrade), else null
   * @param members through each serving controller at the end: member name to "status appVersion"
   * @param victim the controller killed or cut off, else null
   * @param victimExit cut: the cut-off controller's exit code (255: downed by the cluster), -1 if
   *     it did not exit by itself; else 0
   * @param removedSeconds kill, cut: from the fault until every survivor listed only the survivors, else NaN
   * @param shardsBefore node-entity shards hosted before the fault, all members together
   * @param shardsAfter the same at the end
   * @param seconds the whole scenario, set-up excluded
   * @param checks what the scenario checked on the way, by description (all must be true)
   */
  public record Outcome(String scenario, List<EventFigures> events, OperatorLoad.Counts writes, List<String> lostWrites,
      Map<String, ApiWatch.Counts> api, int apiErrorsWhileServing, Invariants.NodeStages nodes, JsonNode fleet,
      Invariants.RotationState rotation, long rotationVersion, Map<String, Map<String, String>> members,
      String victim, int victimExit, double removedSeconds, long shardsBefore, long shardsAfter, double seconds,
      Map<String, Boolean> checks) {

    /** Quarantine frames the simulated agents received (must be 0). */
    public long quarantinedSeen() {
      return fleet.path("quarantined").asLong();
    }

    /** A multi-line summary for logs and failure messages. */
    public String summary() {
      StringBuilder out = new StringBuilder(scenario).append(String.format(java.util.Locale.ROOT, " (%.0f s)%n", seconds));
      events.forEach(e -> out.append("  ").append(e).append('\n'));
      out.append("  operator writes: ").append(writes).append("; lost ").append(lostWrites).append('\n');
      out.append("  GET /v1/cluster: ").append(api).append('\n');
      out.append("  nodes: ").append(nodes).append('\n');
      out.append("  fleet: ").append(fleet).append('\n');
      if (rotation != null) {
        out.append("  rotation to version ").append(rotationVersion).append(": finished ").append(rotation.finished())
            .append(", current ").append(rotation.currentVersion()).append(", failure '").append(rotation.failure())
            .append("', agents holding the new content ").append(rotation.agentsHoldingNewContent()).append('\n');
      }
      if (victim != null) {
        out.append(String.format(java.util.Locale.ROOT, "  %s: removed from the survivors' view after %.1f s, exit code %d%n",
            victim, removedSeconds, victimExit));
      }
      out.append("  shards before ").append(shardsBefore).append(", after ").append(shardsAfter).append('\n');
      out.append("  members at the end: ").append(members).append('\n');
      checks.forEach((check, held) -> out.append("  ").append(held ? "held: " : "FAILED: ").append(check).append('\n'));
      return out.toString();
    }
  }

  /**
   * A rolling upgrade: a rotation of the shared secret started, then each controller in turn
   * SIGTERMed and started again announcing {@link #NEW_VERSION}, the next only once it is ready
   * (unsealed from its peers) and listed up by every other; in the order docs/operations.md gives
   * ({@link #oldestLast}).
   */
  public static Outcome rollingUpgrade(ScenarioCluster cluster) throws Exception {
    long started = System.nanoTime();
    long shardsBefore = shardsHosted(cluster, cluster.serving()).total();
    cluster.fleet().send(FleetSimulator.MARK);
    cluster.fleet().await(FleetSimulator.MARKED, Duration.ofSeconds(30));
    long version = startRotation(cluster, cluster.names().get(0));
    List<EventFigures> events = new ArrayList<>();
    try (OperatorLoad load = OperatorLoad.start(cluster, WRITE_EVERY, MAX_WRITES, LOAD_LIMIT);
        ApiWatch watch = ApiWatch.start(cluster, WATCH_EVERY, LOAD_LIMIT)) {
      for (String name : oldestLast(cluster)) {
        events.add(event(cluster, "terminate", name, () -> cluster.terminate(name)));
        events.add(event(cluster, "restart", name, () -> cluster.restart(name, NEW_VERSION)));
      }
      cluster.awaitMembersUp(new TreeSet<>(cluster.names()), NEW_VERSION);
      load.close();
      watch.close();
      Invariants.RotationState rotation = Invariants.rotation(cluster, version, ROTATION_LIMIT);
      return outcome(cluster, "rolling upgrade", events, load, watch, rotation, version, null, 0, Double.NaN,
          shardsBefore, started);
    }
  }

  /**
   * The controllers with the seed (started first: the oldest member) last, as docs/operations.md
   * asks; the others (started together, so of no certain age order) before it, by name from the
   * last. The shard coordinators and the other cluster singletons live on the oldest member, so
   * they move once, at the end, instead of at every step while the cluster is busiest.
   */
  static List<String> oldestLast(ScenarioCluster cluster) {
    List<String> order = new ArrayList<>(cluster.names());
    java.util.Collections.reverse(order);
    return order;
  }

  /**
   * SIGKILL to the controller hosting the most node-entity shards; then until the survivors list
   * only themselves (Split Brain Resolver downed it), every agent is acknowledged again and the
   * survivors host as many shards as there were before.
   */
  public static Outcome killBusiest(ScenarioCluster cluster) throws Exception {
    long started = System.nanoTime();
    Shards before = shardsHosted(cluster, cluster.serving());
    String victim = before.busiest();
    Set<String> survivors = new TreeSet<>(cluster.serving());
    survivors.remove(victim);
    List<EventFigures> events = new ArrayList<>();
    double[] removed = {Double.NaN};
    try (OperatorLoad load = OperatorLoad.start(cluster, WRITE_EVERY, MAX_WRITES, LOAD_LIMIT);
        ApiWatch watch = ApiWatch.start(cluster, WATCH_EVERY, LOAD_LIMIT)) {
      events.add(event(cluster, "kill", victim, () -> {
        long killed = System.nanoTime();
        cluster.kill(victim);
        return () -> {
          cluster.awaitMembersUp(survivors, null);
          removed[0] = (System.nanoTime() - killed) / 1e9;
        };
      }));
      awaitShards(cluster, survivors, before.total());
      load.close();
      watch.close();
      return outcome(cluster, "kill -9 of the busiest controller", events, load, watch, null, -1, victim, 0, removed[0],
          before.total(), started);
    }
  }

  /**
   * A network cut: the controller hosting the most node shards is cut off from the other
   * controllers, while it still reaches the database and its agents (the harness's namespaces,
   * {@link Netns}). The Split Brain Resolver (keep-majority) must resolve it on both sides: the
   * cut-off controller downs itself and exits (255), the majority removes it and takes its shards,
   * its agents fail over. Then the cut heals and it is started again; at the end all three are up
   * and host as many shards as before.
   */
  public static Outcome networkCut(ScenarioCluster cluster) throws Exception {
    long started = System.nanoTime();
    Shards before = shardsHosted(cluster, cluster.serving());
    String victim = before.busiest();
    String version = cluster.controller(victim).appVersion();
    Set<String> survivors = new TreeSet<>(cluster.serving());
    survivors.remove(victim);
    List<EventFigures> events = new ArrayList<>();
    double[] removed = {Double.NaN};
    int[] exit = {-1};
    Map<String, Boolean> checks = new LinkedHashMap<>();
    long downedBefore = cluster.linesInLogs(SBR_DOWNS_UNREACHABLE);
    long conflictsBefore = journalConflicts(cluster);
    try (OperatorLoad load = OperatorLoad.start(cluster, WRITE_EVERY, MAX_WRITES, LOAD_LIMIT);
        ApiWatch watch = ApiWatch.start(cluster, WATCH_EVERY, LOAD_LIMIT)) {
      try {
        events.add(event(cluster, "cut", victim, () -> {
          long cut = System.nanoTime();
          cluster.cut(victim);
          checks.put("the cut-off controller stayed reachable from the hub (its agents, the database)",
              cluster.reachableFromHere(victim));
          exit[0] = cluster.awaitExit(victim, CUT_EXIT_LIMIT);
          return () -> {
            cluster.awaitMembersUp(survivors, null);
            removed[0] = (System.nanoTime() - cut) / 1e9;
          };
        }));
        if (exit[0] == -1) {
          say("%s still runs %s after the cut; killing it", victim, CUT_EXIT_LIMIT);
          cluster.kill(victim);
        }
        checks.put("the cut-off controller's Split Brain Resolver downed it (DownReachable, including itself)",
            cluster.controller(victim).linesContaining(true, "SBR took decision DownReachable", "including myself") > 0);
        checks.put("a survivor's Split Brain Resolver downed the cut-off controller (DownUnreachable)",
            cluster.linesInLogs(SBR_DOWNS_UNREACHABLE) > downedBefore);
        awaitShards(cluster, survivors, before.total());
      } finally {
        cluster.heal(victim);
      }
      events.add(event(cluster, "heal and restart", victim, () -> cluster.restart(victim, version)));
      awaitShards(cluster, new TreeSet<>(cluster.names()), before.total());
      load.close();
      watch.close();
      checks.put("no journal write failed or conflicted in any controller's log", journalConflicts(cluster) == conflictsBefore);
      return outcome(cluster, "network cut of the busiest controller", events, load, watch, null, -1, victim, exit[0],
          removed[0], before.total(), started, checks);
    }
  }

  /** What a majority's Split Brain Resolver logs when it downs the unreachable side. */
  private static final String SBR_DOWNS_UNREACHABLE = "SBR took decision DownUnreachable";

  /**
   * Journal writes that failed, in every controller's log: an entity running on two controllers at
   * once would write the same sequence numbers (PostgreSQL refuses the second as a duplicate key).
   */
  private static long journalConflicts(ScenarioCluster cluster) {
    return cluster.linesInLogs("Failed to persist") + cluster.linesInLogs("duplicate key");
  }


  // ---- events -------------------------------------------------------------------------------

  /** A fault; what it returns runs while the fleet's acknowledgement round is under way. */
  @FunctionalInterface
  interface Fault {
    Meanwhile run() throws Exception;
  }

  @FunctionalInterface
  interface Meanwhile {
    void run() throws Exception;
  }

  @FunctionalInterface
  interface Step {
    void run() throws Exception;
  }

  private static EventFigures event(ScenarioCluster cluster, String event, String controller, Step step) throws Exception {
    return event(cluster, event, controller, () -> {
      step.run();
      return () -> { };
    });
  }

  private static EventFigures event(ScenarioCluster cluster, String event, String controller, Fault fault)
      throws Exception {
    say("%s %s", event, controller);
    long startMillis = System.currentTimeMillis();
    long start = System.nanoTime();
    Meanwhile meanwhile = fault.run();
    double faultSeconds = (System.nanoTime() - start) / 1e9;
    long doneMillis = System.currentTimeMillis();
    cluster.fleet().send(FleetSimulator.ACKED + " " + doneMillis + " " + ACKED_LIMIT.toSeconds());
    meanwhile.run();
    String[] acked = cluster.fleet().await(FleetSimulator.ACKED, ACKED_LIMIT.plusSeconds(30)).split(" ");
    long endMillis = System.currentTimeMillis();
    JsonNode stats = stats(cluster, startMillis, endMillis);
    long toLast = Long.parseLong(acked[2]);
    EventFigures figures = new EventFigures(event, controller, faultSeconds, Integer.parseInt(acked[1]),
        toLast < 0 ? Double.NaN : toLast / 1000.0, stats.path("roundTripP99Micros").asDouble() / 1000,
        stats.path("roundTripMaxMicros").asDouble() / 1000, stats.path("maxAckGapMillis").asDouble() / 1000,
        stats.path("ackGapsOverLease").asLong(), stats.path("heartbeatsSent").asLong(), stats.path("acks").asLong());
    say("%s", figures);
    return figures;
  }

  /**
   * Starts a rotation of the shared secret through {@code through} and returns the version it
   * rotates to. On a busy machine the answer can come too late (the set-up has just enrolled the
   * whole fleet): after a time-out or a 503 the harness reads the secret and takes the rotation
   * under way if there is one, else asks again, three times at most. A refusal fails at once.
   */
  private static long startRotation(ScenarioCluster cluster, String through) throws Exception {
    int port = cluster.controller(through).ports().api();
    String path = "/v1/rotating-secrets/" + ScenarioCluster.SHARED_SECRET;
    String failure = "";
    for (int attempt = 1; attempt <= 3; attempt++) {
      try {
        ApiTestClient.Reply rotate = cluster.api().post(port, path + "/rotate", "");
        if (rotate.status() == 202) {
          return rotate.body().path("rotation").path("version").asLong();
        }
        if (rotate.status() != 503) {
          throw new IllegalStateException("the rotation was refused: HTTP " + rotate.status() + " " + rotate.body());
        }
        failure = "HTTP 503 " + rotate.body().path("detail").asText();
      } catch (java.net.http.HttpTimeoutException e) {
        failure = "no answer within the client's 30 s";
      }
      try {
        JsonNode rotation = cluster.api().get(port, path).body().path("rotation");
        if (rotation.isObject()) {
          say("the rotation's POST got %s, but the rotation to version %d is under way", failure,
              rotation.path("version").asLong());
          return rotation.path("version").asLong();
        }
      } catch (java.net.http.HttpTimeoutException e) {
        failure += "; its status: no answer either";
      }
    }
    throw new IllegalStateException("the rotation did not start: " + failure);
  }

  private static JsonNode stats(ScenarioCluster cluster, long fromMillis, long toMillis) throws Exception {
    cluster.fleet().send(FleetSimulator.STATS + " " + fromMillis + " " + toMillis);
    String line = cluster.fleet().await(FleetSimulator.STATS, Duration.ofSeconds(30));
    return JSON.readTree(line.substring(FleetSimulator.STATS.length() + 1));
  }

  // ---- shards -------------------------------------------------------------------------------

  /** Node-entity shards per member name, as one serving controller counts them. */
  record Shards(Map<String, Long> byMember, boolean complete) {
    long total() {
      return byMember.values().stream().mapToLong(Long::longValue).sum();
    }

    String busiest() {
      return byMember.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }
  }

  static Shards shardsHosted(ScenarioCluster cluster, Set<String> through) throws Exception {
    JsonNode status = cluster.clusterStatus(new TreeSet<>(through).first());
    Map<String, Long> byMember = new LinkedHashMap<>();
    for (JsonNode member : status.path("members")) {
      byMember.put(cluster.nameOf(member.path("address").asText()), member.path("shards").asLong(0));
    }
    boolean complete = status.path("shardsCounted").asBoolean() && !status.has("shardsUnknown");
    return new Shards(byMember, complete);
  }

  private static void awaitShards(ScenarioCluster cluster, Set<String> members, long total) throws Exception {
    long giveUp = System.nanoTime() + SHARDS_LIMIT.toNanos();
    Shards last = null;
    while (System.nanoTime() < giveUp) {
      try {
        last = shardsHosted(cluster, members);
        if (last.complete() && last.byMember().keySet().equals(members) && last.total() >= total) {
          return;
        }
      } catch (IllegalStateException e) {
        say("shards not counted yet: %s", e.getMessage());
      }
      Thread.sleep(500);
    }
    say("the survivors did not host %d shards within %s; last %s", total, SHARDS_LIMIT, last);
  }

  // ---- the end ------------------------------------------------------------------------------

  private static Outcome outcome(ScenarioCluster cluster, String scenario, List<EventFigures> events, OperatorLoad load,
      ApiWatch watch, Invariants.RotationState rotation, long version, String victim, int victimExit, double removed,
      long shardsBefore, long started) throws Exception {
    return outcome(cluster, scenario, events, load, watch, rotation, version, victim, victimExit, removed, shardsBefore,
        started, Map.of());
  }

  private static Outcome outcome(ScenarioCluster cluster, String scenario, List<EventFigures> events, OperatorLoad load,
      ApiWatch watch, Invariants.RotationState rotation, long version, String victim, int victimExit, double removed,
      long shardsBefore, long started, Map<String, Boolean> checks) throws Exception {
    Set<String> serving = new TreeSet<>(cluster.serving());
    List<String> lost = load.lostWrites(serving.iterator().next());
    Invariants.NodeStages nodes = Invariants.nodeStages(cluster);
    long now = System.currentTimeMillis();
    JsonNode fleet = stats(cluster, now, now);
    Map<String, Map<String, String>> members = new LinkedHashMap<>();
    for (String name : serving) {
      Map<String, String> seen = new LinkedHashMap<>();
      for (JsonNode member : cluster.clusterStatus(name).path("members")) {
        seen.put(cluster.nameOf(member.path("address").asText()),
            member.path("status").asText() + " " + member.path("appVersion").asText());
      }
      members.put(name, seen);
    }
    long shardsAfter = shardsHosted(cluster, serving).total();
    Outcome outcome = new Outcome(scenario, events, load.counts(), lost, watch.counts(), watch.errorsWhileServing(), nodes,
        fleet, rotation, version, members, victim, victimExit, removed, shardsBefore, shardsAfter,
        (System.nanoTime() - started) / 1e9, Map.copyOf(checks));
    say("%s", outcome.summary());
    return outcome;
  }

  private static void say(String format, Object... arguments) {
    System.out.println("scenario: " + String.format(java.util.Locale.ROOT, format, arguments));
    System.out.flush();
  }
}
