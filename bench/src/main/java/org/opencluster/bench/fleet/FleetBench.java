package org.opencluster.bench.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.opencluster.bench.BenchReport;
import org.opencluster.controller.Controller;
import org.opencluster.controller.edge.EdgeCounters;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Role;

/**
 * The fleet simulator: one controller here (real TLS edge, encrypted journal), N simulated agents
 * in a second JVM ({@link FleetSimulator}), each with its own node key, session and 1 s heartbeat
 * schedule. Reports heartbeats/s sustained, ack latency, enrolments/s, the controller's heap with
 * the fleet live, and false quarantines (which must be 0).
 */
public final class FleetBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration ASK = Duration.ofSeconds(60);
  private static final int STATUS_IN_FLIGHT = 500;

  private FleetBench() {}

  /**
   * @param agents simulated agents
   * @param seconds the measured steady state, after the fleet enrolled and settled
   * @param database h2 or postgresql
   * @param systems agent actor systems (TLS connections to the edge) the fleet shares
   */
  public static BenchReport run(List<Integer> fleets, int seconds, String database, int systems) throws Exception {
    BenchReport report = new BenchReport("fleet simulator: simulated agents at a 1 s heartbeat against one controller");
    for (int agents : fleets) {
      System.out.printf(Locale.ROOT, "Fleet of %,d agents%n", agents);
      runOne(report, agents, seconds, database, systems);
    }
    return report;
  }

  private static void runOne(BenchReport report, int agents, int seconds, String database, int systems)
      throws Exception {
    int warmup = Math.max(5, seconds / 3);
    int window = 64;
    String label = String.format(Locale.ROOT, "N=%,d ", agents);
    StorageSettings storage = database.equals("h2") ? TestDatabases.freshH2() : TestDatabases.freshPostgres();
    Path directory = Files.createTempDirectory("opencluster-fleet");
    String setup = String.format(Locale.ROOT, "%d agents over %d TLS links in a second JVM, one controller, %s; "
            + "%s; %s cores", agents, systems, database.equals("h2") ? "H2 file" : "PostgreSQL 17 embedded",
        BenchReport.machine().get("java"), BenchReport.machine().get("cores"));
    try (TestCluster cluster = new TestCluster(directory);
        SecretBytes key = SecretBytes.random(32)) {
      Config config = ConfigFactory.parseString("""
              opencluster.controller.node { heartbeat-interval = 1s, allowed-misses = 3, deadline-grace = 5s, lease-duration = 30s }
              """)
          .withFallback(cluster.controllerConfig("ctl-1", TestCluster.freePort(), List.of(), storage));
      Controller controller = cluster.start(config);
      controller.seal().initializeWithKey(key);
      controller.seal().unsealWithKey(key);
      long waitUntil = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (!controller.readiness().shardingStarted()) {
        if (System.nanoTime() > waitUntil) {
          throw new IllegalStateException("sharding did not start within 2 minutes of the unseal");
        }
        Thread.sleep(50);
      }
      controller.agentCa().importCa(cluster.agentCa().certificate(), cluster.agentCaKey());
      Path operator = cluster.issueOperator("fleet", Role.OPERATOR);
      ApiTestClient api = new ApiTestClient(operator);
      putSecret(api, controller.apiPort(), "first");
      put(api, controller.apiPort(), "/v1/files/fleet/app.conf", Map.of("path", "/run/fleet/app.conf",
          "selector", Map.of("all", true), "source", Map.of("kind", "template",
              "text", "node={{ node.name }}\npassword={{ secret \"fleet/db\" \"password\" }}\n")));
      long heapBaseline = usedHeap();

      Path work = Files.createDirectory(directory.resolve("fleet"));
      Path result = directory.resolve("fleet-result.json");
      List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx4g", "-cp", System.getProperty("java.class.path"), FleetSimulator.class.getName(),
          Integer.toString(controller.apiPort()), operator.toString(), Integer.toString(agents),
          Integer.toString(systems), Integer.toString(warmup), Integer.toString(seconds), Integer.toString(window),
          work.toString(), result.toString());
      Process simulator = new ProcessBuilder(command).redirectErrorStream(true).start();
      long framesBefore = -1;
      long framesMeasured = -1;
      long controllerHeap = -1;
      long falseQuarantines = -1;
      long notActive = -1;
      String[] delivered = null;
      EdgeCounters counters = controller.edge().counters();
      try (BufferedReader out = new BufferedReader(new InputStreamReader(simulator.getInputStream(), StandardCharsets.UTF_8));
          Writer in = new OutputStreamWriter(simulator.getOutputStream(), StandardCharsets.UTF_8)) {
        String line;
        while ((line = out.readLine()) != null) {
          if (line.equals(FleetSimulator.MEASURING)) {
            framesBefore = counters.count(EdgeCounters.Outcome.FRAME);
          } else if (line.equals(FleetSimulator.MEASURED)) {
            framesMeasured = counters.count(EdgeCounters.Outcome.FRAME) - framesBefore;
            long[] stages = stages(controller, agents);
            falseQuarantines = stages[0];
            notActive = stages[1];
            controllerHeap = usedHeap();
            in.write(FleetSimulator.DELIVER + " " + System.currentTimeMillis() + "\n");
            in.flush();
          } else if (line.equals(FleetSimulator.ARMED)) {
            putSecret(api, controller.apiPort(), "second");
          } else if (line.startsWith(FleetSimulator.DELIVERED)) {
            delivered = line.split(" ");
            in.write("stop\n");
            in.flush();
          } else {
            System.out.println("  " + line);
          }
        }
      }
      if (!simulator.waitFor(2, TimeUnit.MINUTES) || simulator.exitValue() != 0 || controllerHeap < 0) {
        simulator.destroyForcibly();
        throw new IllegalStateException("the fleet simulator failed (its output is above)");
      }
      JsonNode fleet = JSON.readTree(result.toFile());
      double measured = fleet.path("measuredSeconds").asDouble();
      report.add(label + "heartbeats sent", "per s", fleet.path("heartbeatsSent").asLong() / measured, Double.NaN, setup);
      report.add(label + "heartbeats acknowledged (sustained)", "per s", fleet.path("acks").asLong() / measured, Double.NaN,
          setup + "; measured " + Math.round(measured) + " s after " + warmup + " s settling");
      report.add(label + "ack latency p50", "ms", fleet.path("ackP50Micros").asDouble() / 1000, Double.NaN,
          "agent send to ack opened, " + fleet.path("ackLatencyCount").asLong() + " samples");
      report.add(label + "ack latency p99", "ms", fleet.path("ackP99Micros").asDouble() / 1000, Double.NaN, "");
      report.add(label + "ack latency p99.9", "ms", fleet.path("ackP999Micros").asDouble() / 1000, Double.NaN, "");
      report.add(label + "enrolments", "per s", agents / fleet.path("enrolSeconds").asDouble(), Double.NaN,
          "all " + agents + " agents, " + fleet.path("enrolWindow").asInt() + " in flight; signed Hello, "
              + "verified Welcome, session persisted encrypted");
      report.add(label + "enrolment latency p50", "ms", fleet.path("enrolP50Micros").asDouble() / 1000, Double.NaN, "");
      report.add(label + "enrolment latency p99", "ms", fleet.path("enrolP99Micros").asDouble() / 1000, Double.NaN, "");
      report.add(label + "registrations (operator API, HTTPS)", "per s", (agents + systems)
          / fleet.path("registrationSeconds").asDouble(), Double.NaN, "16 concurrent POST /v1/nodes with a CSR each");
      report.add(label + "controller heap with the fleet live", "MiB", controllerHeap / (1024.0 * 1024), Double.NaN,
          "used heap after full GC, controller JVM only");
      report.add(label + "controller heap per live node", "bytes", (controllerHeap - heapBaseline) / (double) agents,
          Double.NaN, "over the same controller before any node was registered");
      report.add(label + "false quarantines", "nodes", falseQuarantines, Double.NaN, "must be 0; from every node's status");
      report.add(label + "nodes not active", "nodes", notActive, Double.NaN, "must be 0");
      report.add(label + "quarantine frames seen by agents", "frames", fleet.path("quarantinedSeenByAgents").asLong(),
          Double.NaN, "must be 0");
      report.add(label + "frames handed to node entities by the edge", "per s", framesMeasured / measured, Double.NaN,
          "controller side, over the same window");
      report.add(label + "enrolment retries", "count", fleet.path("enrolTimeouts").asLong() + fleet.path("reEnrolments").asLong(),
          Double.NaN, "timeouts and re-enrolments; refusals " + fleet.path("refused"));
      if (delivered != null) {
        long reached = Long.parseLong(delivered[1]);
        double toLast = Long.parseLong(delivered[2]) / 1000.0;
        report.add(label + "one template change: nodes holding the new rendering", "nodes", reached, Double.NaN,
            "of " + agents + "; a shared secret the template reads was changed through the operator API; counted when "
                + "an agent opens a set whose content differs from the one before");
        report.add(label + "one template change: time until the last node holds it", "s", toLast, Double.NaN,
            "the changing controller reads the catalog at once; then each node at its next heartbeat (1 s)");
        report.add(label + "one template change: time until a node holds it, p50", "s",
            Double.parseDouble(delivered[4]) / 1000, Double.NaN, "per node, from the change through the API");
        report.add(label + "one template change: time until a node holds it, p99", "s",
            Double.parseDouble(delivered[5]) / 1000, Double.NaN, "");
        report.add(label + "one template change: files rendered, sealed and delivered", "per s", reached / toLast,
            Double.NaN, "each rendered per node, sealed to its agent's boot key, opened by the agent");
      }
      if (falseQuarantines != 0) {
        System.out.println("WARNING: " + falseQuarantines + " nodes were quarantined while their agents ran");
      }
    }
  }

  private static void putSecret(ApiTestClient api, int port, String value) throws Exception {
    put(api, port, "/v1/secrets/fleet/db", Map.of("fields", Map.of("password", "fleet-" + value + "-"
        + java.util.HexFormat.of().formatHex(SecretBytes.random(8).copyBytes()))));
  }

  private static void put(ApiTestClient api, int port, String path, Object body) throws Exception {
    ApiTestClient.Reply reply = api.put(port, path, JSON.writeValueAsString(body));
    if (reply.status() != 200) {
      throw new IllegalStateException("PUT " + path + " refused: " + reply.body());
    }
  }

  /** [quarantined, not active] over the simulated nodes, from each entity's status. */
  private static long[] stages(Controller controller, int agents) throws Exception {
    ClusterSharding sharding = ClusterSharding.get(controller.system());
    long quarantined = 0;
    long notActive = 0;
    for (int batch = 0; batch < agents; batch += STATUS_IN_FLIGHT) {
      List<CompletableFuture<NodeEntity.NodeStatus>> pending = new ArrayList<>();
      for (int i = batch; i < Math.min(agents, batch + STATUS_IN_FLIGHT); i++) {
        String id = String.format("%s%05d", FleetSimulator.AGENT_PREFIX, i);
        pending.add(sharding.entityRefFor(NodeEntity.ENTITY_KEY, id)
            .<NodeEntity.NodeStatus>ask(NodeEntity.GetStatus::new, ASK).toCompletableFuture());
      }
      for (CompletableFuture<NodeEntity.NodeStatus> status : pending) {
        NodeEntity.Stage stage = status.get(2, TimeUnit.MINUTES).stage();
        if (stage == NodeEntity.Stage.QUARANTINED) {
          quarantined++;
        }
        if (stage != NodeEntity.Stage.ACTIVE) {
          notActive++;
        }
      }
    }
    return new long[] {quarantined, notActive};
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
