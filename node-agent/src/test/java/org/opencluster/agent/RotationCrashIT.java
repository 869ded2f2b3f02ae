package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.opencluster.controller.Controller;
import org.opencluster.controller.secrets.SecretEntity.Step;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.GatedRotator;
import org.opencluster.controller.testing.GatedRotator.Call;
import org.opencluster.controller.testing.GatedRotator.Phase;
import org.opencluster.controller.testing.PasswordPostgres;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;

/**
 * A controller that holds a rotation stops mid-saga, at each waiting step in turn: three
 * controllers in this JVM (real TLS, one real PostgreSQL store), a rotating secret of a real
 * PostgreSQL that checks passwords (the alternating-users rotator behind {@link GatedRotator}'s
 * gates), and two real agents in this JVM, each rendering the secret into a template file in
 * /dev/shm. The rotation is held at the step (DISTRIBUTE: one consumer's agent is down, so its
 * acknowledgement is missing; SET, TEST: the rotator call waits at its closed gate; RETIRE: the
 * grace period runs, the retire gate closed), the controller whose entity runs the saga (the
 * status' {@code host}) is stopped gracefully, and the saga resumes on a survivor by itself, then
 * ends consistent: version 2 current and version 1 retired, both consumers' files on version 2,
 * the database agreeing (the new credentials and, retire keeping it, the previous ones log in; the
 * new role's password from before the rotation is refused), and no completed rotator call repeated
 * (only the one in flight at the stop is entered again).
 */
class RotationCrashIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final String SECRET = "db/app";
  private static final String ADMIN_PASSWORD = "Adm1nPassw0rdForTheCrashTest";
  private static final String FIRST_PASSWORD = "F1rstPassw0rdOfRoleAForTheCrashTest";
  private static final String BEFORE_PASSWORD = "Bef0rePassw0rdOfRoleBForTheCrashTest";
  private static final List<String> NODES = List.of("web-1", "web-2");

  @TempDir
  Path tmp;
  private Path shm;
  private PasswordPostgres database;
  private String roleA;
  private String roleB;
  private String adminRole;

  @BeforeEach
  void databaseAndTmpfs() throws Exception {
    shm = Files.createTempDirectory(Path.of("/dev/shm"), "oc-rotation-crash-it-");
    GatedRotator.reset();
    database = PasswordPostgres.fresh();
    roleA = PasswordPostgres.name("app_a");
    roleB = PasswordPostgres.name("app_b");
    String admin = PasswordPostgres.name("rotator");
    String group = PasswordPostgres.name("app");
    database.asSuperuser(
        "CREATE ROLE " + admin + " LOGIN CREATEROLE PASSWORD '" + ADMIN_PASSWORD + "'",
        "CREATE ROLE " + group + " NOLOGIN",
        "CREATE ROLE " + roleA + " LOGIN PASSWORD '" + FIRST_PASSWORD + "'",
        "CREATE ROLE " + roleB + " LOGIN PASSWORD '" + BEFORE_PASSWORD + "'",
        "GRANT " + group + " TO " + roleA + ", " + roleB,
        "GRANT " + roleA + ", " + roleB + " TO " + admin + " WITH ADMIN OPTION");
    adminRole = admin;
  }

  @AfterEach
  void openGatesAndCleanUp() throws Exception {
    GatedRotator.reset();
    try (Stream<Path> files = Files.walk(shm)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @ParameterizedTest(name = "stopped at {0}")
  @EnumSource(Step.class)
  void whenTheControllerHoldingTheSagaStops_itResumesOnAnother_andEndsConsistent(Step step) throws Exception {
    try (Testbed testbed = new Testbed(tmp, TestDatabases.freshPostgres())) {
      Config config = controllerConfig(step == Step.RETIRE ? Duration.ofSeconds(15) : Duration.ofSeconds(3));
      int seed = TestCluster.freePort();
      List<Controller> running = new ArrayList<>();
      running.add(testbed.controller("ctl-1", seed, List.of(seed), config, GatedRotator.withStandard()));
      for (String name : List.of("ctl-2", "ctl-3")) {
        running.add(testbed.controller(name, TestCluster.freePort(), List.of(seed), config, GatedRotator.withStandard()));
      }
      ApiTestClient api = testbed.admin();
      int port = running.get(0).apiPort();
      put(api, port, "/v1/secrets/db/admin", Map.of("fields", Map.of("username", adminRole, "password", ADMIN_PASSWORD)),
          200);
      put(api, port, "/v1/rotating-secrets/" + SECRET, Map.of(
          "rotator", Map.of("kind", GatedRotator.KIND, "parameters", Map.of("jdbc-url", database.jdbcUrl(),
              "role-a", roleA, "role-b", roleB, "retire", "keep"), "admin_secret", "db/admin"),
          "consumers", Map.of("nodes", NODES),
          "fields", Map.of("username", base64(roleA), "password", base64(FIRST_PASSWORD))), 201);
      for (String node : NODES) {
        put(api, port, "/v1/files/app/" + node + ".conf", Map.of("path", file(node).toString(), "owner", "root",
            "group", "root", "mode", "0400", "delivery", "tmpfs", "reload", List.of(),
            "selector", Map.of("nodes", List.of(node)), "source", Map.of("kind", "template",
                "text", "user={{ secret \"" + SECRET + "\" \"username\" }}\npassword={{ secret \"" + SECRET
                    + "\" \"password\" }}\n")), 200);
      }
      List<String> edges = running.stream().map(testbed::edgeOf).toList();
      Map<String, AgentSettings> settings = new java.util.TreeMap<>();
      for (String node : NODES) {
        settings.put(node, testbed.settings(testbed.register(running.get(0), node, "reusable", edges), "boot-" + node));
      }
      Agent web1 = Agent.start(settings.get("web-1"), Clock.systemUTC());
      Agent web2 = Agent.start(settings.get("web-2"), Clock.systemUTC());
      try {
        for (String node : NODES) {
          await().atMost(TIMEOUT).until(() -> rendered(node).equals(Optional.of(List.of(roleA, FIRST_PASSWORD))));
        }
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(activeNodes(api, port))
            .as("the consumers are live in the read model").containsAll(NODES));

        switch (step) {
          case DISTRIBUTE -> web2.close();
          case SET -> GatedRotator.close(Call.SET);
          case TEST -> GatedRotator.close(Call.TEST);
          case RETIRE -> GatedRotator.close(Call.RETIRE);
        }
        ApiTestClient.Reply rotate = api.post(port, "/v1/rotating-secrets/" + SECRET + "/rotate", "");
        assertThat(rotate.status()).as(rotate.body().toString()).isEqualTo(202);
        assertThat(rotate.body().path("rotation").path("version").asLong()).isEqualTo(2);
        assertThat(rotate.body().path("distribution").path("expected").asInt()).as("both consumers").isEqualTo(2);

        JsonNode held = await().atMost(TIMEOUT).until(() -> status(api, port), status -> heldAt(status, step));
        Instant stoppedAt = Instant.now();
        Controller host = running.stream().filter(c -> c.system().address().toString().equals(held.path("host").asText()))
            .findFirst().orElseThrow(() -> new AssertionError("no running controller is " + held.path("host")));
        running.remove(host);
        long enteredBefore = gated(step).map(call -> GatedRotator.count(call, Phase.ENTERED)).orElse(0L);
        testbed.cluster().stop(host);

        if (step == Step.DISTRIBUTE) {
          web2 = Agent.start(settings.get("web-2"), Clock.systemUTC());
        } else {
          Call call = gated(step).orElseThrow();
          await("the saga resumed on a survivor by itself, at its step").atMost(TIMEOUT)
              .until(() -> GatedRotator.count(call, Phase.ENTERED) > enteredBefore);
          GatedRotator.open(call);
        }
        int survivor = running.get(0).apiPort();

        JsonNode finished = await().atMost(TIMEOUT).until(() -> status(api, survivor),
            status -> versions(status).equals(List.of("2 CURRENT", "1 PREVIOUS")) || versions(status).equals(List.of("2 CURRENT")));
        JsonNode retired = await().atMost(TIMEOUT).until(() -> status(api, survivor),
            status -> status.path("rotation").isNull() && versions(status).equals(List.of("2 CURRENT")));

        assertThat(finished.path("host").asText()).as("finished on a survivor").isNotEqualTo(held.path("host").asText());
        assertThat(retired.path("last_failure").isNull()).as(retired.toString()).isTrue();
        assertThat(retired.path("distribution").path("version").asLong()).isEqualTo(2);
        assertThat(retired.path("distribution").path("acknowledged").asInt()).as("both consumers acknowledged")
            .isEqualTo(2);
        if (step == Step.RETIRE) {
          assertThat(stoppedAt).as("stopped within the grace period")
              .isBefore(Instant.parse(held.path("rotation").path("retire_at").asText()));
        }

        for (String node : NODES) {
          await(node + " renders version 2").atMost(TIMEOUT)
              .until(() -> rendered(node).map(values -> values.get(0)).equals(Optional.of(roleB)));
        }
        List<String> current = rendered("web-1").orElseThrow();
        assertThat(rendered("web-2")).as("every consumer on the same version").contains(current);
        assertThat(current.get(1)).isNotEqualTo(BEFORE_PASSWORD);
        assertThat(login(roleB, current.get(1))).as("the current version logs in").isEmpty();
        assertThat(login(roleA, FIRST_PASSWORD)).as("retire keeps the previous version").isEmpty();
        assertThat(login(roleB, BEFORE_PASSWORD)).as("the new role's password from before is refused")
            .contains("28P01");

        String pending = GatedRotator.fingerprint(current.get(1));
        String previous = GatedRotator.fingerprint(FIRST_PASSWORD);
        assertThat(GatedRotator.records()).as("no rotator call failed")
            .noneMatch(e -> e.phase() == Phase.FAILED);
        for (Call call : Call.values()) {
          String expected = call == Call.RETIRE ? previous : pending;
          assertThat(GatedRotator.records()).filteredOn(e -> e.call() == call && e.phase() == Phase.DONE)
              .as(call + " completed once, with its version").singleElement()
              .satisfies(e -> assertThat(e.fingerprint()).isEqualTo(expected));
          long entered = GatedRotator.count(call, Phase.ENTERED);
          if (gated(step).equals(Optional.of(call))) {
            assertThat(entered).as(call + ": the call in flight at the stop, and its repeat").isBetween(1L, 2L);
          } else {
            assertThat(entered).as(call + " was not repeated").isEqualTo(1);
          }
        }
      } finally {
        GatedRotator.reset();
        Agent first = web1;
        Agent second = web2;
        inParallel(List.of(first::close, second::close));
        inParallel(running.stream().<Stop>map(c -> () -> testbed.cluster().stop(c)).toList());
      }
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private interface Stop {
    void run() throws Exception;
  }

  /**
   * Runs the stops at once and waits for all: an actor system that stalls on its way down
   * (apache/pekko#3247, bounded by Agent.close and Controller.close) then delays the test once, not
   * once per system.
   */
  private static void inParallel(List<Stop> stops) throws Exception {
    List<Thread> threads = new ArrayList<>();
    List<Exception> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (Stop stop : stops) {
      Thread thread = new Thread(() -> {
        try {
          stop.run();
        } catch (Exception e) {
          failures.add(e);
        }
      }, "rotation-crash-it-stop");
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
  }

  /**
   * A heartbeat deadline long enough (about a minute) for a consumer's agent to be down through the
   * stop; a distribute timeout longer than the test, so only the acknowledgements end DISTRIBUTE.
   */
  private static Config controllerConfig(Duration gracePeriod) {
    return ConfigFactory.parseString("""
        opencluster.controller.node { heartbeat-interval = 1s, allowed-misses = 60, deadline-grace = 5s, lease-duration = 30s }
        opencluster.controller.secrets { distribute-timeout = 10m, grace-period = %ds, compromise-grace-period = 1s }
        """.formatted(gracePeriod.toSeconds()));
  }

  /** Whether {@code status} shows the rotation held at {@code step} (for SET and TEST, inside the rotator's call). */
  private static boolean heldAt(JsonNode status, Step step) {
    String at = status.path("rotation").path("step").asText();
    return switch (step) {
      case DISTRIBUTE -> at.equals("distribute") && status.path("distribution").path("acknowledged").asInt() == 1;
      case SET -> at.equals("set") && GatedRotator.count(Call.SET, Phase.ENTERED) == 1;
      case TEST -> at.equals("test") && GatedRotator.count(Call.TEST, Phase.ENTERED) == 1;
      case RETIRE -> at.equals("retire") && status.path("rotation").hasNonNull("retire_at");
    };
  }

  private static Optional<Call> gated(Step step) {
    return switch (step) {
      case DISTRIBUTE -> Optional.empty();
      case SET -> Optional.of(Call.SET);
      case TEST -> Optional.of(Call.TEST);
      case RETIRE -> Optional.of(Call.RETIRE);
    };
  }

  /** The secret's status through {@code port}; a missing node (a shard moving) reads as an empty object. */
  private static JsonNode status(ApiTestClient api, int port) throws Exception {
    ApiTestClient.Reply reply = api.get(port, "/v1/rotating-secrets/" + SECRET);
    return reply.status() == 200 ? reply.body() : JSON.createObjectNode();
  }

  /** "NUMBER LABEL" of each version, in the status' order. */
  private static List<String> versions(JsonNode status) {
    List<String> versions = new ArrayList<>();
    status.path("versions").forEach(v -> versions.add(v.path("number").asLong() + " " + v.path("label").asText()));
    return versions;
  }

  private static List<String> activeNodes(ApiTestClient api, int port) throws Exception {
    List<String> ids = new ArrayList<>();
    api.get(port, "/v1/nodes?state=active").body().path("nodes").forEach(n -> ids.add(n.path("id").asText()));
    return ids;
  }

  private Path file(String node) {
    return shm.resolve(node + ".conf");
  }

  /** The user and password {@code node}'s file holds, if it is there. */
  private Optional<List<String>> rendered(String node) throws Exception {
    Path file = file(node);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    if (lines.size() != 2 || !lines.get(0).startsWith("user=") || !lines.get(1).startsWith("password=")) {
      return Optional.empty();
    }
    return Optional.of(List.of(lines.get(0).substring("user=".length()), lines.get(1).substring("password=".length())));
  }

  /** Empty when {@code role} logs in with {@code password}, else the refusal's SQL state. */
  private Optional<String> login(String role, String password) {
    try (var connection = DriverManager.getConnection(database.jdbcUrl(), role, password)) {
      return Optional.empty();
    } catch (SQLException e) {
      return Optional.of(String.valueOf(e.getSQLState()));
    }
  }

  private static void put(ApiTestClient api, int port, String path, Object body, int status) throws Exception {
    ApiTestClient.Reply reply = api.put(port, path, JSON.writeValueAsString(body));
    assertThat(reply.status()).as(path + ": " + reply.body()).isEqualTo(status);
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
