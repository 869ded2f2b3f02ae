package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.Controller;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.HookScript;
import org.opencluster.controller.testing.PasswordPostgres;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.pki.CertificateValidationException;
import org.slf4j.LoggerFactory;

/**
 * Rotating a PostgreSQL credential end to end, every part real: a controller with TLS on its own
 * PostgreSQL store, the alternating-users rotator against a second PostgreSQL that checks
 * passwords (SCRAM), two agents as processes materialising the credential into tmpfs files, and a
 * consumer process per node ({@link LoginLoop}) that logs in with whatever its file holds. The
 * credentials the tests try are read from those files, never from the API (which has no values).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RotationIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "db/orders";
  private static final String ADMIN_SECRET = "db/admin";
  private static final Duration ROTATION = Duration.ofSeconds(60);
  private static final Duration FILE_SWITCH = Duration.ofSeconds(30);
  /** An agent's first start may build the runnable jars (the launcher does when sources changed). */
  private static final Duration START = Duration.ofSeconds(120);
  private static final String TEMPLATE = "username={{ secret \"db/orders\" \"username\" }}\n"
      + "password={{ secret \"db/orders\" \"password\" }}\n";

  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

  private PasswordPostgres database;

  @TempDir
  Path root;
  /** This test's own directory (the class's instance, and its temp dir, are shared by the tests). */
  private Path tmp;
  private Path shm;
  private Testbed testbed;
  private Controller controller;
  private ApiTestClient api;
  private String roleA;
  private String roleB;
  private String adminRole;
  private String adminPassword;
  private final List<Process> processes = new ArrayList<>();
  /** Every password a test read from a file: none may be in a log. */
  private final java.util.Set<String> passwords = new java.util.HashSet<>();
  private final ListAppender<ILoggingEvent> controllerLog = new ListAppender<>();
  private final List<Path> logs = new ArrayList<>();

  @BeforeAll
  void passwordCheckingDatabase() {
    database = PasswordPostgres.fresh();
  }

  @BeforeEach
  void rolesAndTmpfs() throws Exception {
    tmp = Files.createTempDirectory(root, "test-");
    processes.clear();
    logs.clear();
    passwords.clear();
    controllerLog.list.clear();
    controllerLog.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(controllerLog);
    testbed = null;
    shm = Files.createTempDirectory(Path.of("/dev/shm"), "oc-rotation-it-");
    roleA = PasswordPostgres.name("orders_a");
    roleB = PasswordPostgres.name("orders_b");
    adminRole = PasswordPostgres.name("rotator");
    adminPassword = password("admin");
    // As docs/operations.md sets it up: a CREATEROLE admin holding the ADMIN option on both login roles.
    database.asSuperuser(
        "CREATE ROLE " + adminRole + " LOGIN CREATEROLE PASSWORD '" + adminPassword + "'",
        "CREATE ROLE " + roleA + " LOGIN",
        "CREATE ROLE " + roleB + " LOGIN",
        "GRANT " + roleA + ", " + roleB + " TO " + adminRole + " WITH ADMIN OPTION");
  }

  @AfterEach
  void stopEverything() throws Exception {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(controllerLog);
    for (Process process : processes) {
      if (process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
    if (testbed != null) {
      testbed.close();
    }
    for (Path log : logs) {
      if (Files.exists(log)) {
        System.out.println("---- " + log.getFileName() + " ----\n" + Files.readString(log));
      }
    }
    try (Stream<Path> files = Files.walk(shm)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  // ---- the tests ------------------------------------------------------------------------------

  /** Nodes web-1 and web-2, each with a running agent process holding the first version of db/orders. */
  private record TwoConsumers(Credentials first, Path web1, Path web2, Process agent2) {}

  /** The secret (retire keep), its two consumers' files and agents, both active and holding version 1. */
  private TwoConsumers twoConsumers() throws Exception {
    Credentials first = createSecret("keep");
    Path web1 = node("web-1");
    Path web2 = node("web-2");
    startAgent("web-1", "boot-web-1");
    Process agent2 = startAgent("web-2", "boot-web-2");
    awaitCredentials(web1, first);
    awaitCredentials(web2, first);
    awaitActive("web-1", "web-2");
    return new TwoConsumers(first, web1, web2, agent2);
  }

  @Test
  void twentyRotations_noConsumerLoginFails_andTheDatabaseAcceptsOnlyCurrentAndPrevious() throws Exception {
    start("distribute-timeout = 30s, grace-period = 1s, compromise-grace-period = 1s", "");
    TwoConsumers nodes = twoConsumers();
    Credentials first = nodes.first();
    Path web1 = nodes.web1();
    Path web2 = nodes.web2();
    Consumer consumer1 = startConsumer("web-1", web1);
    Consumer consumer2 = startConsumer("web-2", web2);

    Credentials twoBack = null;
    Credentials previous = null;
    Credentials current = first;
    for (long version = 2; version <= 21; version++) {
      rotateAndAwait(version);
      Credentials next = awaitSwitch(web1, current);
      awaitCredentials(web2, next);
      assertThat(next.username()).as("the roles alternate").isEqualTo(version % 2 == 0 ? roleB : roleA);
      twoBack = previous;
      previous = current;
      current = next;

      assertThat(login(current)).as("version %d (current) logs in", version).isEmpty();
      assertThat(login(previous)).as("version %d (previous, kept) logs in", version - 1).isEmpty();
      if (twoBack != null) {
        assertThat(login(twoBack)).as("version %d (two back: its role has a new password) is refused", version - 2)
            .contains("28P01");
      }
    }

    Consumer.Report report1 = consumer1.stop();
    Consumer.Report report2 = consumer2.stop();
    assertThat(report1.failures()).as("web-1's failed logins: %s", report1.failed()).isZero();
    assertThat(report2.failures()).as("web-2's failed logins: %s", report2.failed()).isZero();
    assertThat(report1.successes()).isGreaterThan(20);
    assertThat(report2.successes()).isGreaterThan(20);
    assertThat(credentials(web1).username()).isEqualTo(credentials(web2).username()).isEqualTo(current.username());
    assertNoPasswordLogged();
  }

  @Test
  void aConsumerOfflineDuringARotation_catchesUpWhenItReturns() throws Exception {
    // 60 missed heartbeats: the stopped agent's node stays active (and an expected consumer) throughout.
    start("distribute-timeout = 3s, grace-period = 1s, compromise-grace-period = 1s", "opencluster.controller.node.allowed-misses = 60");
    TwoConsumers nodes = twoConsumers();
    Credentials first = nodes.first();
    Path web1 = nodes.web1();
    Path web2 = nodes.web2();
    Process agent2 = nodes.agent2();

    agent2.destroy(); // SIGTERM
    assertThat(agent2.waitFor(30, TimeUnit.SECONDS)).as("SIGTERM stops the agent").isTrue();
    assertThat(web2).as("a stopped agent wipes its files").doesNotExist();

    rotateAndAwait(2);
    JsonNode distribution = status().path("distribution");
    assertThat(distribution.path("version").asLong()).isEqualTo(2);
    assertThat(distribution.path("expected").asInt()).isEqualTo(2);
    assertThat(distribution.path("behind").toString()).as("the saga went on without web-2").isEqualTo("[\"web-2\"]");
    Credentials second = awaitSwitch(web1, first);
    assertThat(login(second)).isEmpty();

    startAgent("web-2", "boot-web-2-again");
    awaitCredentials(web2, second);
    assertThat(login(credentials(web2))).as("the caught-up consumer logs in").isEmpty();
    await().atMost(FILE_SWITCH).untilAsserted(() -> {
      JsonNode caughtUp = status().path("distribution");
      assertThat(caughtUp.path("version").asLong()).isEqualTo(2);
      assertThat(caughtUp.path("behind").toString()).isEqualTo("[]");
      assertThat(caughtUp.path("acknowledged").asInt()).isEqualTo(2);
    });
    assertNoPasswordLogged();
  }

  @Test
  void aSilentConsumer_isQuarantined_itsSecretsRotated_itsOldPasswordRefused_andTheHookRanOnce() throws Exception {
    HookScript hook = HookScript.succeeding(Files.createDirectories(tmp.resolve("hook")));
    // compromise-grace-period must cover a heartbeat (1 s here) and a catalog refresh, as reference.conf
    // says: at 1 s web-1 could still hold the revoked version for a moment after the revocation.
    start("distribute-timeout = 10s, grace-period = 3s, compromise-grace-period = 3s",
        "opencluster.controller.provisioner.command = [\"" + hook.program() + "\"]");
    TwoConsumers nodes = twoConsumers();
    Credentials first = nodes.first();
    Path web1 = nodes.web1();
    Path web2 = nodes.web2();
    Path bundle2 = tmp.resolve("bundle-web-2");
    Process agent2 = nodes.agent2();
    Consumer consumer1 = startConsumer("web-1", web1);
    // One rotation first, so web-2 has known two versions: both must stop working.
    rotateAndAwait(2);
    Credentials second = awaitSwitch(web1, first);
    awaitCredentials(web2, second);
    Credentials knownBefore = first;
    Credentials lastHeld = credentials(web2);

    Testbed.signal("KILL", agent2);
    await().atMost(Duration.ofSeconds(30)).until(() -> "quarantined".equals(testbed.status(controller, "web-2")
        .path("stage").asText()));
    await().atMost(ROTATION).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
      JsonNode rotation = status().path("rotation");
      assertThat(rotation.path("urgent").asBoolean()).as("an urgent rotation runs").isTrue();
      assertThat(rotation.path("trigger").asText()).isEqualTo("compromise of web-2");
    });
    awaitIdleAt(3);
    Credentials third = awaitSwitch(web1, second);

    assertThat(login(lastHeld)).as("the password web-2 last held is revoked").contains("28P01");
    assertThat(login(knownBefore)).as("the one web-2 held before is refused too").contains("28P01");
    assertThat(login(third)).as("web-1's new credential logs in").isEmpty();
    assertThat(third.username()).isEqualTo(first.username());

    await().atMost(Duration.ofSeconds(30)).until(() -> hook.calls().size() == 1);
    assertThat(hook.calls()).containsExactly("web-2 heartbeat_missed env=web-2");
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> hook.calls().size() == 1);

    long refusedBefore = controller.edgeRefusals().count(CertificateValidationException.Reason.REVOKED);
    Path log = tmp.resolve("web-2-returning.log");
    Process returning = start(Testbed.startAgentProcess(tmp, bundle2, log, "boot-web-2-returning"), log);
    await().atMost(Duration.ofSeconds(30)).until(() ->
        controller.edgeRefusals().count(CertificateValidationException.Reason.REVOKED) > refusedBefore);
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(log).contains("No answer from"));
    assertThat(Files.readString(log)).as("the edge refused it at the handshake").doesNotContain("Enrolled with");
    assertThat(credentials(web2)).as("the returning agent got nothing: the file is the one the killed agent left")
        .isEqualTo(lastHeld);
    returning.destroy();

    Consumer.Report report1 = consumer1.stop();
    assertThat(report1.failures()).as("web-1's failed logins: %s", report1.failed()).isZero();
    assertThat(report1.successes()).isGreaterThan(0);
    assertNoPasswordLogged();
  }

  @Test
  void aFailingSet_leavesTheCurrentVersionInForce_andReportsTheFailure() throws Exception {
    start("distribute-timeout = 10s, grace-period = 1s, compromise-grace-period = 1s, max-attempts = 1", "");
    TwoConsumers nodes = twoConsumers();
    Credentials first = nodes.first();
    Path web1 = nodes.web1();
    Path web2 = nodes.web2();
    Consumer consumer1 = startConsumer("web-1", web1);
    Consumer consumer2 = startConsumer("web-2", web2);

    String wrong = password("wrong");
    putAdminSecret(wrong);
    ApiTestClient.Reply rotate = api.post(controller.apiPort(), "/v1/rotating-secrets/" + SECRET + "/rotate", "");
    assertThat(rotate.status()).as(rotate.body().toString()).isEqualTo(202);
    await().atMost(ROTATION).untilAsserted(() -> {
      JsonNode status = status();
      assertThat(status.path("rotation").isNull()).as("rolled back").isTrue();
      assertThat(status.path("last_failure").path("version").asLong()).isEqualTo(2);
      assertThat(status.path("last_failure").path("step").asText()).isEqualTo("set");
    });
    JsonNode status = status();
    assertThat(status.path("last_failure").path("message").asText())
        .isEqualTo("the admin login was refused: wrong username or password, or the role may not log in (SQLSTATE 28P01)");
    assertThat(versions(status)).containsExactly("1 CURRENT");
    assertThat(status.toString()).as("no value in the status").doesNotContain(wrong).doesNotContain(adminPassword)
        .doesNotContain(first.password());
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() ->
        credentials(web1).equals(first) && credentials(web2).equals(first));
    assertThat(login(first)).as("the current version stays in force").isEmpty();

    putAdminSecret(adminPassword);
    rotateAndAwait(3); // a rolled-back version's number (2) is never used again
    Credentials second = awaitSwitch(web1, first);
    awaitCredentials(web2, second);
    assertThat(login(second)).isEmpty();

    Consumer.Report report1 = consumer1.stop();
    Consumer.Report report2 = consumer2.stop();
    assertThat(report1.failures()).as("web-1's failed logins: %s", report1.failed()).isZero();
    assertThat(report2.failures()).as("web-2's failed logins: %s", report2.failed()).isZero();
    assertThat(report1.successes()).isGreaterThan(0);
    assertThat(report2.successes()).isGreaterThan(0);
    passwords.add(wrong);
    assertNoPasswordLogged();
  }

  // ---- the controller, the secret, the nodes --------------------------------------------------

  /** A controller with {@code secrets} in its secret settings and {@code extra} config, on a fresh store. */
  private void start(String secrets, String extra) throws Exception {
    testbed = new Testbed(tmp, TestDatabases.freshPostgres());
    int port = TestCluster.freePort();
    Config config = ConfigFactory.parseString("opencluster.controller.secrets { " + secrets + " }\n" + extra);
    controller = testbed.controller("ctl-1", port, List.of(port), config);
    api = testbed.admin();
  }

  /** The admin secret and the rotating secret, its first version role A with a password set here. */
  private Credentials createSecret(String retire) throws Exception {
    Credentials first = new Credentials(roleA, password("first"));
    database.asSuperuser("ALTER ROLE " + roleA + " PASSWORD '" + first.password() + "'");
    putAdminSecret(adminPassword);
    String body = JSON.writeValueAsString(Map.of(
        "rotator", Map.of("kind", "postgresql", "parameters", Map.of("jdbc-url", database.jdbcUrl(), "role-a", roleA,
            "role-b", roleB, "retire", retire), "admin_secret", ADMIN_SECRET),
        "consumers", Map.of("labels", Map.of("role", "test")),
        "fields", Map.of("username", base64(first.username()), "password", base64(first.password()))));
    ApiTestClient.Reply created = api.put(controller.apiPort(), "/v1/rotating-secrets/" + SECRET, body);
    assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
    return first;
  }

  private void putAdminSecret(String password) throws Exception {
    ApiTestClient.Reply put = api.put(controller.apiPort(), "/v1/secrets/" + ADMIN_SECRET,
        JSON.writeValueAsString(Map.of("fields", Map.of("username", adminRole, "password", password))));
    assertThat(put.status()).isEqualTo(200);
  }

  /** Registers {@code nodeId} (label role=test) with a file of its own rendering the secret; returns the file's path. */
  private Path node(String nodeId) throws Exception {
    Path file = shm.resolve(nodeId + "-db.conf");
    String body = JSON.writeValueAsString(Map.of("path", file.toString(), "owner", "root", "group", "root",
        "mode", "0400", "delivery", "tmpfs", "reload", List.of(), "selector", Map.of("nodes", List.of(nodeId)),
        "source", Map.of("kind", "template", "text", TEMPLATE)));
    ApiTestClient.Reply put = api.put(controller.apiPort(), "/v1/files/app/" + nodeId + "-db.conf", body);
    assertThat(put.status()).as(put.body().toString()).isEqualTo(200);
    testbed.register(controller, nodeId);
    return file;
  }

  private Process startAgent(String nodeId, String bootId) throws Exception {
    Path log = tmp.resolve(bootId + ".log");
    return start(Testbed.startAgentProcess(tmp, tmp.resolve("bundle-" + nodeId), log, bootId), log);
  }

  private Process start(Process process, Path log) {
    processes.add(process);
    logs.add(log);
    return process;
  }

  /** Until the node view lists {@code nodeIds} as active: a rotation expects the nodes it lists. */
  private void awaitActive(String... nodeIds) {
    await().atMost(START).untilAsserted(() -> {
      List<String> active = new ArrayList<>();
      api.get(controller.apiPort(), "/v1/nodes?state=active").body().path("nodes")
          .forEach(node -> active.add(node.path("id").asText()));
      assertThat(active).contains(nodeIds);
    });
  }

  private JsonNode status() throws Exception {
    ApiTestClient.Reply reply = api.get(controller.apiPort(), "/v1/rotating-secrets/" + SECRET);
    assertThat(reply.status()).isEqualTo(200);
    return reply.body();
  }

  /** Starts a rotation and waits until {@code version} is current and the previous one retired. */
  private void rotateAndAwait(long version) throws Exception {
    ApiTestClient.Reply reply = api.post(controller.apiPort(), "/v1/rotating-secrets/" + SECRET + "/rotate", "");
    assertThat(reply.status()).as(reply.body().toString()).isEqualTo(202);
    assertThat(reply.body().path("rotation").path("version").asLong()).isEqualTo(version);
    awaitIdleAt(version);
  }

  private void awaitIdleAt(long version) {
    await().atMost(ROTATION).untilAsserted(() -> {
      JsonNode status = status();
      assertThat(status.path("rotation").isNull()).as("no rotation runs").isTrue();
      assertThat(versions(status)).as("only the current version is left").containsExactly(version + " CURRENT");
    });
  }

  /** The versions the status shows, as "NUMBER LABEL". */
  private static List<String> versions(JsonNode status) {
    List<String> versions = new ArrayList<>();
    status.path("versions").forEach(v -> versions.add(v.path("number").asLong() + " " + v.path("label").asText()));
    return versions;
  }

  // ---- the materialised credentials ----------------------------------------------------------

  /** A version's credential as a node's file holds it. Its {@code toString} shows no password. */
  record Credentials(String username, String password) {
    @Override
    public String toString() {
      return "Credentials[" + username + ", password=[secret]]";
    }
  }

  private Credentials credentials(Path file) throws Exception {
    Map<String, String> values = LoginLoop.read(Files.readString(file, StandardCharsets.UTF_8));
    if (values.containsKey("password")) {
      passwords.add(values.get("password"));
    }
    return new Credentials(values.get("username"), values.get("password"));
  }

  /** No password a test saw, nor the admin's, is in the controller's log, an agent's or a consumer's. */
  private void assertNoPasswordLogged() throws Exception {
    passwords.add(adminPassword);
    assertThat(controllerLog.list).as("the controller logged").isNotEmpty();
    List<String> lines = new ArrayList<>();
    controllerLog.list.forEach(event -> lines.add(event.getFormattedMessage()));
    for (Path log : logs) {
      lines.add(Files.readString(log));
    }
    for (String password : passwords) {
      assertThat(lines).as("a log holds a password").noneMatch(line -> line.contains(password));
    }
  }

  private void awaitCredentials(Path file, Credentials expected) {
    await().atMost(START).ignoreExceptions().until(() -> credentials(file).equals(expected));
  }

  /** Waits until {@code file} no longer holds {@code before}; returns what it holds then. */
  private Credentials awaitSwitch(Path file, Credentials before) throws Exception {
    await().atMost(FILE_SWITCH).ignoreExceptions().until(() -> !credentials(file).equals(before));
    return credentials(file);
  }

  /** Logs in with {@code credentials} and runs SELECT 1: empty if it worked, else the SQLSTATE. */
  private Optional<String> login(Credentials credentials) {
    Properties properties = new Properties();
    properties.setProperty("user", credentials.username());
    properties.setProperty("password", credentials.password());
    properties.setProperty("connectTimeout", "5");
    properties.setProperty("socketTimeout", "5");
    try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), properties);
        Statement statement = connection.createStatement()) {
      statement.execute("SELECT 1");
      return Optional.empty();
    } catch (SQLException e) {
      return Optional.of(String.valueOf(e.getSQLState()));
    }
  }

  // ---- the consumers --------------------------------------------------------------------------

  private Consumer startConsumer(String nodeId, Path credentials) throws Exception {
    Path report = tmp.resolve("consumer-" + nodeId + ".report");
    Path log = tmp.resolve("consumer-" + nodeId + ".log");
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), LoginLoop.class.getName(),
        credentials.toString(), database.jdbcUrl(), report.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    start(process, log);
    Consumer consumer = new Consumer(process, report);
    await().atMost(START).until(() -> consumer.report().successes() > 0);
    return consumer;
  }

  /** A {@link LoginLoop} process and its report. */
  record Consumer(Process process, Path reportFile) {

    /** @param failures how many logins failed; @param failed the first of them: SQLSTATE and username */
    record Report(long successes, long failures, List<String> failed) {}

    Report report() throws Exception {
      long successes = 0;
      long failures = 0;
      List<String> failed = new ArrayList<>();
      for (String line : Files.exists(reportFile) ? Files.readAllLines(reportFile) : List.<String>of()) {
        if (line.startsWith(LoginLoop.SUCCESSES)) {
          successes = Long.parseLong(line.substring(LoginLoop.SUCCESSES.length()));
        } else if (line.startsWith(LoginLoop.FAILURES)) {
          failures = Long.parseLong(line.substring(LoginLoop.FAILURES.length()));
        } else if (line.startsWith(LoginLoop.FAILURE)) {
          failed.add(line.substring(LoginLoop.FAILURE.length()));
        }
      }
      return new Report(successes, failures, failed);
    }

    /** Stops the loop through its stop file and returns its last report. */
    Report stop() throws Exception {
      Files.writeString(LoginLoop.stopFile(reportFile), "");
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the consumer stops").isTrue();
      assertThat(process.exitValue()).isZero();
      return report();
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** A password for a test (letters and digits, so it needs no quoting in SQL). */
  private static String password(String purpose) {
    byte[] random = new byte[12];
    RANDOM.nextBytes(random);
    return purpose + java.util.HexFormat.of().formatHex(random);
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
