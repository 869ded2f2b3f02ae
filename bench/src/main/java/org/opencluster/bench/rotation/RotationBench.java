package org.opencluster.bench.rotation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.opencluster.bench.BenchReport;
import org.opencluster.bench.fleet.FleetSimulator;
import org.opencluster.bench.fleet.SimulatorProcess;
import org.opencluster.controller.Controller;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.secrets.SecretEntity;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Role;

/**
 * Rotating shared secrets at fleet size, one real controller (TLS edge, encrypted journal) and
 * the fleet simulator's agents in a second JVM:
 *
 * <ul>
 *   <li>rotation: one secret (rotator {@code none}) read by a template file on every node; after
 *       the fleet holds its file, rotate a few times through the operator API and poll its status:
 *       time until every consumer acknowledged the pending version (each agent opened the staged
 *       file and held it), until it became current, and until every agent holds it in its live
 *       file;
 *   <li>compromise: many secrets consumed by every node; one agent goes silent; from its heartbeat
 *       deadline: its quarantine, its certificate refused at a fresh TLS handshake, every secret's
 *       urgent rotation finished (and the previous version revoked).
 * </ul>
 */
public final class RotationBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SHARED = "bench/shared";
  private static final Duration ASK = Duration.ofSeconds(30);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration ENROL_LIMIT = Duration.ofMinutes(30);
  private static final Duration ROUND_LIMIT = Duration.ofMinutes(10);
  private static final Duration COMPROMISE_LIMIT = Duration.ofMinutes(5);
  private static final int SETTLE_SECONDS = 5;
  /** Heartbeat 1 s, 3 misses + 5 s grace (as the fleet suite): a node's deadline is 8 s after its last heartbeat. */
  private static final String NODE = "opencluster.controller.node { heartbeat-interval = 1s, allowed-misses = 3, "
      + "deadline-grace = 5s, lease-duration = 30s }\n";
  private static final String SECRETS = "opencluster.controller.secrets { distribute-timeout = 10m, grace-period = 5s, "
      + "compromise-grace-period = 5s }\n";

  private RotationBench() {}

  /**
   * @param fleets agents of each rotation run
   * @param rotations rotations per fleet
   * @param compromiseAgents agents of the compromise run
   * @param secrets rotating secrets every node consumes in the compromise run
   * @param database h2 or postgresql
   * @param systems TLS links the simulated agents share
   */
  public static BenchReport run(List<Integer> fleets, int rotations, int compromiseAgents, int secrets, String database,
      int systems) throws Exception {
    BenchReport report = new BenchReport("rotating secrets: one shared secret across the fleet, and the compromise response");
    for (int agents : fleets) {
      System.out.printf(Locale.ROOT, "Rotation of one shared secret across %,d agents%n", agents);
      rotation(report, agents, rotations, database, systems);
    }
    System.out.printf(Locale.ROOT, "Compromise of one of %,d agents consuming %d rotating secrets%n", compromiseAgents,
        secrets);
    compromise(report, compromiseAgents, secrets, database, systems);
    return report;
  }

  // ---- rotation of one shared secret ----------------------------------------------------------

  /** One rotation as seen from the operator API and the fleet; seconds from the POST. */
  private record Round(int expected, double acknowledged, double finished, double retired, long holding,
      double holdingAll, double holdingP50) {}

  private static void rotation(BenchReport report, int agents, int rotations, String database, int systems)
      throws Exception {
    String label = String.format(Locale.ROOT, "N=%,d ", agents);
    Path directory = Files.createTempDirectory("opencluster-rotation");
    String setup = setup(agents, systems, database);
    try (TestCluster cluster = new TestCluster(directory);
        SecretBytes key = SecretBytes.random(32)) {
      Controller controller = start(cluster, key, storage(database));
      int port = controller.apiPort();
      Path operator = cluster.issueOperator("rotation", Role.OPERATOR);
      ApiTestClient api = new ApiTestClient(operator);
      put(api, port, "/v1/rotating-secrets/" + SHARED, Map.of("rotator", Map.of("kind", "none"),
          "consumers", Map.of("labels", Map.of("role", "web"))));
      put(api, port, "/v1/files/bench/web.conf", Map.of("path", "/run/bench/web.conf",
          "selector", Map.of("labels", Map.of("role", "web")), "source", Map.of("kind", "template",
              "text", "node={{ node.name }}\npassword={{ secret \"" + SHARED + "\" \"password\" }}\n")));
      List<Round> rounds = new ArrayList<>();
      long holding;
      long started = System.nanoTime();
      try (SimulatorProcess fleet = SimulatorProcess.start(port, operator, agents, systems, SETTLE_SECONDS, directory)) {
        fleet.await(FleetSimulator.MEASURED, ENROL_LIMIT);
        fleet.send(FleetSimulator.HOLDING + " 600");
        holding = Long.parseLong(fleet.await(FleetSimulator.HOLDING, Duration.ofMinutes(11)).split(" ")[1]);
        say("%d of %d agents hold the file, %.0f s after the start", holding, agents, (System.nanoTime() - started) / 1e9);
        for (int r = 1; r <= rotations; r++) {
          Round round = rotateOnce(api, port, fleet);
          say("rotation %d: %d consumers; all acknowledged %.1f s, finished %.1f s, previous retired %.1f s, "
                  + "%d agents hold it live, the last %.1f s", r, round.expected(), round.acknowledged(), round.finished(),
              round.retired(), round.holding(), round.holdingAll());
          rounds.add(round);
        }
      }
      String rounds3 = rotations + " rotations, median and max; rotator none, 1 template file per node reading the "
          + "secret, distribute-timeout 10m, grace-period 5s; polled every " + POLL.toMillis() + " ms through GET";
      report.add(label + "consumers expected per rotation", "nodes", rounds.get(0).expected(), Double.NaN,
          setup + "; " + holding + " agents held the file before the first rotation");
      double[] acked = rounds.stream().mapToDouble(Round::acknowledged).toArray();
      double[] finished = rounds.stream().mapToDouble(Round::finished).toArray();
      double[] holdingAll = rounds.stream().mapToDouble(Round::holdingAll).toArray();
      report.add(label + "rotate -> all consumers acknowledged (median)", "s", median(acked), Double.NaN, rounds3);
      report.add(label + "rotate -> all consumers acknowledged (max)", "s", max(acked), Double.NaN,
          "each agent opened its staged file (pending version) and acked held=true");
      report.add(label + "rotate -> finished: pending is CURRENT (median)", "s", median(finished), Double.NaN, "");
      report.add(label + "rotate -> finished: pending is CURRENT (max)", "s", max(finished), Double.NaN, "");
      report.add(label + "rotate -> every agent holds it in its live file (median)", "s", median(holdingAll), Double.NaN,
          "agent side: the file's content changed after the POST; the finish is published, then each node "
              + "at its next heartbeat");
      report.add(label + "rotate -> every agent holds it in its live file (max)", "s", max(holdingAll), Double.NaN, "");
      report.add(label + "per agent: rotate -> holds it live, p50 (median)", "s",
          median(rounds.stream().mapToDouble(Round::holdingP50).toArray()), Double.NaN, "");
      report.add(label + "agents holding the new version live (min over rotations)", "agents",
          rounds.stream().mapToLong(Round::holding).min().orElse(0), Double.NaN, "of " + agents);
    }
  }

  private static Round rotateOnce(ApiTestClient api, int port, SimulatorProcess fleet) throws Exception {
    String path = "/v1/rotating-secrets/" + SHARED;
    long idleBy = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (!get(api, port, path).path("rotation").isNull()) {
      if (System.nanoTime() > idleBy) {
        throw new IllegalStateException("the previous rotation of " + SHARED + " did not end within 2 minutes");
      }
      Thread.sleep(POLL.toMillis());
    }
    long since = System.currentTimeMillis();
    fleet.send(FleetSimulator.DELIVER + " " + since + " " + ROUND_LIMIT.toSeconds());
    fleet.await(FleetSimulator.ARMED, Duration.ofMinutes(1));
    long postedAt = System.currentTimeMillis();
    ApiTestClient.Reply started = api.post(port, path + "/rotate", "");
    if (started.status() != 202) {
      throw new IllegalStateException("POST " + path + "/rotate refused: " + started.body());
    }
    long pending = started.body().path("rotation").path("version").asLong();
    int expected = started.body().path("distribution").path("expected").asInt();
    long acknowledgedAt = -1;
    long finishedAt = -1;
    long retiredAt = -1;
    String delivered = null;
    long giveUp = System.nanoTime() + ROUND_LIMIT.toNanos();
    while (System.nanoTime() < giveUp && (acknowledgedAt < 0 || finishedAt < 0 || retiredAt < 0 || delivered == null)) {
      JsonNode status;
      try {
        status = get(api, port, path);
      } catch (Exception e) {
        say("GET %s failed (%s); polling on", path, e.getClass().getSimpleName());
        Thread.sleep(POLL.toMillis());
        continue;
      }
      long now = System.currentTimeMillis();
      if (!status.path("last_failure").isNull() && status.path("last_failure").path("version").asLong() == pending) {
        throw new IllegalStateException("the rotation to version " + pending + " failed: " + status.path("last_failure"));
      }
      JsonNode distribution = status.path("distribution");
      if (acknowledgedAt < 0 && distribution.path("version").asLong() == pending
          && distribution.path("acknowledged").asInt() >= distribution.path("expected").asInt()) {
        acknowledgedAt = now;
      }
      if (finishedAt < 0 && label(status, pending).equals("CURRENT")) {
        finishedAt = now;
      }
      if (retiredAt < 0 && finishedAt >= 0 && status.path("rotation").isNull()) {
        retiredAt = now;
      }
      if (delivered == null) {
        delivered = fleet.poll(FleetSimulator.DELIVERED);
      }
      Thread.sleep(POLL.toMillis());
    }
    if (delivered == null) {
      delivered = fleet.await(FleetSimulator.DELIVERED, Duration.ofMinutes(1));
    }
    if (acknowledgedAt < 0 || finishedAt < 0) {
      throw new IllegalStateException("the rotation to version " + pending + " did not finish within " + ROUND_LIMIT);
    }
    String[] words = delivered.split(" ");
    long holding = Long.parseLong(words[1]);
    double skew = (postedAt - since) / 1000.0;
    return new Round(expected, seconds(acknowledgedAt - postedAt), seconds(finishedAt - postedAt),
        retiredAt < 0 ? Double.NaN : seconds(retiredAt - postedAt), holding, Long.parseLong(words[2]) / 1000.0 - skew,
        Double.parseDouble(words[4]) / 1000.0 - skew);
  }

  private static String label(JsonNode status, long version) {
    for (JsonNode v : status.path("versions")) {
      if (v.path("number").asLong() == version) {
        return v.path("label").asText();
      }
    }
    return "";
  }

  // ---- compromise ---------------------------------------------------------------------------

  private static void compromise(BenchReport report, int agents, int secrets, String database, int systems)
      throws Exception {
    String label = String.format(Locale.ROOT, "compromise, %d secrets, N=%,d: ", secrets, agents);
    Path directory = Files.createTempDirectory("opencluster-compromise");
    String setup = setup(agents, systems, database) + "; " + secrets + " rotating secrets (rotator none) with consumers "
        + "role=web (every node), no file reads them (each node acks at its next heartbeat); deadline 8 s "
        + "(1 s x 3 + 5 s), compromise-grace-period 5s";
    try (TestCluster cluster = new TestCluster(directory);
        SecretBytes key = SecretBytes.random(32)) {
      Controller controller = start(cluster, key, storage(database));
      int port = controller.apiPort();
      Path operator = cluster.issueOperator("rotation", Role.OPERATOR);
      ApiTestClient api = new ApiTestClient(operator);
      List<String> names = new ArrayList<>();
      for (int i = 0; i < secrets; i++) {
        String name = String.format(Locale.ROOT, "bench/dep-%03d", i);
        put(api, port, "/v1/rotating-secrets/" + name, Map.of("rotator", Map.of("kind", "none"),
            "consumers", Map.of("labels", Map.of("role", "web"))));
        names.add(name);
      }
      ClusterSharding sharding = ClusterSharding.get(controller.system());
      String victim = String.format(Locale.ROOT, "%s%05d", FleetSimulator.AGENT_PREFIX, agents / 2);
      try (SimulatorProcess fleet = SimulatorProcess.start(port, operator, agents, systems, SETTLE_SECONDS, directory)) {
        fleet.await(FleetSimulator.MEASURED, ENROL_LIMIT);
        fleet.send(FleetSimulator.PROBE + " " + victim + " 60 accepted");
        String[] before = fleet.await(FleetSimulator.PROBED, Duration.ofSeconds(90)).split(" ");
        if (!before[5].equals("accepted")) {
          throw new IllegalStateException("a TLS handshake with " + victim + "'s certificate was not accepted before "
              + "the compromise: " + before[5]);
        }
        long[] startVersions = new long[secrets];
        List<SecretEntity.SecretStatus> initial = statuses(sharding, names, true);
        for (int i = 0; i < secrets; i++) {
          startVersions[i] = current(initial.get(i));
        }
        int deniedBefore = controller.denyList().size();

        fleet.send(FleetSimulator.SILENCE + " " + victim);
        long lastBeat = Long.parseLong(fleet.await(FleetSimulator.SILENCED, Duration.ofSeconds(30)).split(" ")[2]);
        fleet.send(FleetSimulator.PROBE + " " + victim + " " + COMPROMISE_LIMIT.toSeconds() + " refused");
        say("%s went silent (last heartbeat sent %s)", victim, Instant.ofEpochMilli(lastBeat));

        Optional<Instant> deadline = Optional.empty();
        Optional<Instant> quarantinedSince = Optional.empty();
        long deniedAt = -1;
        String probed = null;
        long[] finishedAt = new long[secrets];
        long[] revokedAt = new long[secrets];
        boolean[] urgent = new boolean[secrets];
        int[] expected = new int[secrets];
        Arrays.fill(finishedAt, -1);
        Arrays.fill(revokedAt, -1);
        long giveUp = System.nanoTime() + COMPROMISE_LIMIT.toNanos();
        int tick = 0;
        while (System.nanoTime() < giveUp
            && (quarantinedSince.isEmpty() || deniedAt < 0 || probed == null || Arrays.stream(revokedAt).anyMatch(t -> t < 0))) {
          NodeEntity.NodeStatus node = sharding.entityRefFor(NodeEntity.ENTITY_KEY, victim)
              .<NodeEntity.NodeStatus>ask(NodeEntity.GetStatus::new, ASK).toCompletableFuture().get(1, TimeUnit.MINUTES);
          long now = System.currentTimeMillis();
          if (node.stage() != NodeEntity.Stage.QUARANTINED) {
            if (node.liveness().deadlineAt().isPresent()) {
              deadline = node.liveness().deadlineAt();
            }
          } else if (quarantinedSince.isEmpty()) {
            quarantinedSince = node.since();
            if (node.liveness().deadlineAt().isPresent()) {
              deadline = node.liveness().deadlineAt();
            }
            say("%s quarantined at %s (%s), deadline %s", victim, node.since().orElse(null),
                node.quarantineReason().orElse(null), deadline.orElse(null));
          }
          if (deniedAt < 0 && controller.denyList().size() > deniedBefore) {
            deniedAt = now;
          }
          if (probed == null) {
            probed = fleet.poll(FleetSimulator.PROBED);
          }
          if (quarantinedSince.isPresent() && tick++ % 2 == 0) {
            List<String> open = new ArrayList<>();
            for (int i = 0; i < secrets; i++) {
              if (revokedAt[i] < 0) {
                open.add(names.get(i));
              }
            }
            List<SecretEntity.SecretStatus> statuses = statuses(sharding, open, false);
            long seen = System.currentTimeMillis();
            for (SecretEntity.SecretStatus status : statuses) {
              int i = names.indexOf(status.name());
              boolean beyond = current(status) > startVersions[i];
              status.rotation().filter(p -> p.version() > startVersions[i]).ifPresent(p -> {
                urgent[i] |= p.urgent();
                expected[i] = status.distribution().map(SecretEntity.DistributionSummary::expected).orElse(0);
              });
              if (beyond && finishedAt[i] < 0) {
                finishedAt[i] = seen;
              }
              if (beyond && status.rotation().isEmpty() && revokedAt[i] < 0) {
                revokedAt[i] = seen;
              }
            }
          }
          Thread.sleep(100);
        }
        if (probed == null) {
          probed = fleet.await(FleetSimulator.PROBED, Duration.ofSeconds(30));
        }
        if (quarantinedSince.isEmpty() || deadline.isEmpty()) {
          throw new IllegalStateException(victim + " was not quarantined within " + COMPROMISE_LIMIT);
        }
        long missed = deadline.get().toEpochMilli();
        String[] refusal = probed.split(" ");
        boolean refused = Boolean.parseBoolean(refusal[2]);
        long[] finished = Arrays.stream(finishedAt).filter(t -> t >= 0).map(t -> t - missed).sorted().toArray();
        long[] revoked = Arrays.stream(revokedAt).filter(t -> t >= 0).map(t -> t - missed).sorted().toArray();
        int urgentCount = 0;
        for (boolean u : urgent) {
          urgentCount += u ? 1 : 0;
        }
        int apiShowsNew = 0;
        for (int i = 0; i < secrets; i++) {
          JsonNode status = get(api, port, "/v1/rotating-secrets/" + names.get(i));
          for (JsonNode v : status.path("versions")) {
            if (v.path("label").asText().equals("CURRENT") && v.path("number").asLong() > startVersions[i]) {
              apiShowsNew++;
            }
          }
        }
        say("quarantine %d ms after the deadline; refused %s; %d of %d secrets finished, %d revoked, %d seen urgent, "
            + "%d shown with a new CURRENT through GET", quarantinedSince.get().toEpochMilli() - missed, refusal[5],
            finished.length, secrets, revoked.length, urgentCount, apiShowsNew);

        report.add(label + "last heartbeat sent -> deadline", "s", seconds(missed - lastBeat), Double.NaN, setup);
        report.add(label + "deadline -> quarantined (node status 'since')", "s",
            seconds(quarantinedSince.get().toEpochMilli() - missed), Double.NaN, "controller timestamps");
        report.add(label + "deadline -> certificate on the deny list", "s", deniedAt < 0 ? Double.NaN : seconds(deniedAt - missed),
            Double.NaN, "the edge's deny list, read in the controller's JVM every 100 ms");
        report.add(label + "deadline -> fresh TLS handshake with its certificate refused", "s",
            refused ? seconds(Long.parseLong(refusal[3]) - missed) : Double.NaN, Double.NaN,
            "start of the first refused probe; probes back to back with its certificate from the simulator's JVM, "
                + "each waits up to 300 ms for the edge's alert; " + refusal[5]);
        report.add(label + "deadline -> all urgent rotations finished", "s",
            finished.length == secrets ? seconds(finished[finished.length - 1]) : Double.NaN, Double.NaN,
            finished.length + " of " + secrets + " finished (a new version CURRENT); statuses asked every 200 ms in "
                + "the controller's JVM; " + urgentCount + " seen urgent");
        report.add(label + "per secret: deadline -> finished, p50", "s", percentile(finished, 0.5), Double.NaN, "");
        report.add(label + "per secret: deadline -> finished, max", "s", percentile(finished, 1.0), Double.NaN, "");
        report.add(label + "deadline -> all previous versions revoked", "s",
            revoked.length == secrets ? seconds(revoked[revoked.length - 1]) : Double.NaN, Double.NaN,
            "after compromise-grace-period 5s; the rotation over");
        report.add(label + "consumers expected per urgent rotation (min)", "nodes",
            Arrays.stream(expected).min().orElse(0), Double.NaN, "of " + agents + ", the silent node left out");
        report.add(label + "secrets shown with a new CURRENT version by GET afterwards", "secrets", apiShowsNew,
            Double.NaN, "of " + secrets);
      }
    }
  }

  /**
   * The secrets' statuses; unless {@code all} are required, one that does not answer in time (its
   * entity busy journaling acknowledgements) is left out of this round.
   */
  private static List<SecretEntity.SecretStatus> statuses(ClusterSharding sharding, List<String> names, boolean all)
      throws Exception {
    List<CompletableFuture<SecretEntity.SecretStatus>> asked = new ArrayList<>();
    for (String name : names) {
      asked.add(sharding.entityRefFor(SecretEntity.ENTITY_KEY, name)
          .<SecretEntity.SecretStatus>ask(SecretEntity.GetStatus::new, ASK).toCompletableFuture());
    }
    List<SecretEntity.SecretStatus> statuses = new ArrayList<>();
    for (CompletableFuture<SecretEntity.SecretStatus> status : asked) {
      try {
        statuses.add(status.get(1, TimeUnit.MINUTES));
      } catch (java.util.concurrent.ExecutionException e) {
        if (all) {
          throw e;
        }
      }
    }
    return statuses;
  }

  private static long current(SecretEntity.SecretStatus status) {
    return status.versions().stream().filter(v -> v.label() == SecretEntity.Label.CURRENT)
        .mapToLong(SecretEntity.VersionInfo::number).max().orElse(0);
  }

  // ---- the controller -----------------------------------------------------------------------

  private static Controller start(TestCluster cluster, SecretBytes key, StorageSettings storage) throws Exception {
    Config config = ConfigFactory.parseString(NODE + SECRETS)
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
    return controller;
  }

  private static StorageSettings storage(String database) throws Exception {
    return database.equals("h2") ? TestDatabases.freshH2() : TestDatabases.freshPostgres();
  }

  private static String setup(int agents, int systems, String database) {
    return String.format(Locale.ROOT, "%d agents (1 s heartbeat) over %d TLS links in a second JVM, one controller, %s; "
            + "%s; %s cores, shared with other builds", agents, systems,
        database.equals("h2") ? "H2 file" : "PostgreSQL 17 embedded", BenchReport.machine().get("java"),
        BenchReport.machine().get("cores"));
  }

  private static void put(ApiTestClient api, int port, String path, Object body) throws Exception {
    ApiTestClient.Reply reply = api.put(port, path, JSON.writeValueAsString(body));
    if (reply.status() != 200 && reply.status() != 201) {
      throw new IllegalStateException("PUT " + path + " refused: " + reply.body());
    }
  }

  private static JsonNode get(ApiTestClient api, int port, String path) throws Exception {
    ApiTestClient.Reply reply = api.get(port, path);
    if (reply.status() != 200) {
      throw new IllegalStateException("GET " + path + ": HTTP " + reply.status() + " " + reply.body());
    }
    return reply.body();
  }

  private static double seconds(long millis) {
    return millis / 1000.0;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static double max(double[] values) {
    return Arrays.stream(values).max().orElse(Double.NaN);
  }

  /** Nearest-rank percentile of sorted millis, in seconds. */
  private static double percentile(long[] sortedMillis, double q) {
    if (sortedMillis.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(q * sortedMillis.length);
    return seconds(sortedMillis[Math.max(0, rank - 1)]);
  }

  private static void say(String format, Object... arguments) {
    System.out.println("rotation: " + String.format(Locale.ROOT, format, arguments));
  }
}
