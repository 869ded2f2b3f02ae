package org.opencluster.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.opencluster.bench.fleet.FleetSimulator;
import org.opencluster.controller.testing.ApiTestClient;

/** The checks every scenario ends with, read through the operator API and the fleet simulator. */
public final class Invariants {

  private static final int THREADS = 8;
  private static final int TRIES = 3;
  private static final Duration POLL = Duration.ofMillis(500);

  private Invariants() {}

  /**
   * The simulated nodes' stages, each from {@code GET /v1/nodes/ID} (the node entity itself),
   * asked round-robin through the serving controllers.
   *
   * @param notActive nodes whose stage is not active
   * @param quarantined of those, quarantined
   * @param examples up to 10 of them, "id: stage"
   */
  public record NodeStages(int checked, int notActive, int quarantined, List<String> examples) {}

  public static NodeStages nodeStages(ScenarioCluster cluster) throws Exception {
    List<String> through = new ArrayList<>(cluster.serving());
    Collections.sort(through);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<String>> stages = new ArrayList<>();
      int agents = cluster.settings().agents();
      for (int i = 0; i < agents; i++) {
        String id = String.format(Locale.ROOT, "%s%05d", FleetSimulator.AGENT_PREFIX, i);
        int port = cluster.controller(through.get(i % through.size())).ports().api();
        stages.add(pool.submit(() -> stage(cluster.api(), port, id)));
      }
      int notActive = 0;
      int quarantined = 0;
      List<String> examples = new ArrayList<>();
      for (int i = 0; i < agents; i++) {
        String stage = stages.get(i).get(5, TimeUnit.MINUTES);
        if (!stage.equals("active")) {
          notActive++;
          quarantined += stage.startsWith("quarantined") ? 1 : 0;
          if (examples.size() < 10) {
            String id = String.format(Locale.ROOT, "%s%05d", FleetSimulator.AGENT_PREFIX, i);
            cluster.fleet().send(FleetSimulator.DESCRIBE + " " + id);
            String agent = cluster.fleet().await(FleetSimulator.DESCRIBED, Duration.ofSeconds(40));
            examples.add(id + ": " + stage + "; agent " + agent.substring(FleetSimulator.DESCRIBED.length() + 1));
          }
        }
      }
      return new NodeStages(agents, notActive, quarantined, examples);
    } finally {
      pool.shutdownNow();
    }
  }

  private static String stage(ApiTestClient api, int port, String id) throws Exception {
    String last = "";
    for (int attempt = 0; attempt < TRIES; attempt++) {
      try {
        ApiTestClient.Reply reply = api.get(port, "/v1/nodes/" + id);
        if (reply.status() == 200) {
          JsonNode body = reply.body();
          String stage = body.path("stage").asText();
          return stage.equals("active") ? stage : stage + " (" + body.path("quarantineReason").asText("") + ": "
              + body.path("detail").asText("") + "; since " + body.path("since").asText("") + "; last heartbeat "
              + body.path("lastHeartbeatAt").asText("none") + ")";
        }
        last = "HTTP " + reply.status();
      } catch (Exception e) {
        last = e.getClass().getSimpleName();
      }
    }
    return "unknown (" + last + ")";
  }

  /**
   * The rotating secret after a scenario.
   *
   * @param finished no rotation runs any more
   * @param currentVersion the CURRENT version's number
   * @param failure the last failure of the rotation to {@code expectedVersion}, or empty
   * @param agentsHoldingNewContent agents whose file changed since the mark taken before the rotation
   */
  public record RotationState(boolean finished, long currentVersion, String failure, int agentsHoldingNewContent,
      JsonNode status) {

    /** Finished at {@code version} without failure, and every agent holds the new content. */
    public boolean consistent(long version, int agents) {
      return finished && currentVersion == version && failure.isEmpty() && agentsHoldingNewContent == agents;
    }
  }

  /**
   * Waits (at most {@code limit}) until the rotation of {@link ScenarioCluster#SHARED_SECRET} to
   * {@code version} finished and every agent holds content that changed since the fleet's
   * {@code MARK}, and returns what it found then.
   */
  public static RotationState rotation(ScenarioCluster cluster, long version, Duration limit) throws Exception {
    long giveUp = System.nanoTime() + limit.toNanos();
    RotationState state;
    while (true) {
      state = rotationNow(cluster, version);
      if (state.consistent(version, cluster.settings().agents()) || !state.failure().isEmpty()
          || System.nanoTime() > giveUp) {
        return state;
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  private static RotationState rotationNow(ScenarioCluster cluster, long version) throws Exception {
    String through = Collections.min(cluster.serving());
    ApiTestClient.Reply reply = cluster.api().get(cluster.controller(through).ports().api(),
        "/v1/rotating-secrets/" + ScenarioCluster.SHARED_SECRET);
    if (reply.status() != 200) {
      return new RotationState(false, -1, "", -1, reply.body());
    }
    JsonNode status = reply.body();
    long current = -1;
    for (JsonNode v : status.path("versions")) {
      if (v.path("label").asText().equals("CURRENT")) {
        current = Math.max(current, v.path("number").asLong());
      }
    }
    JsonNode failure = status.path("last_failure");
    String failed = !failure.isNull() && !failure.isMissingNode() && failure.path("version").asLong() == version
        ? failure.path("step").asText() + ": " + failure.path("message").asText() : "";
    cluster.fleet().send(FleetSimulator.CHANGED);
    int changed = Integer.parseInt(cluster.fleet().await(FleetSimulator.CHANGED, Duration.ofSeconds(30)).split(" ")[1]);
    return new RotationState(status.path("rotation").isNull(), current, failed, changed, status);
  }
}
