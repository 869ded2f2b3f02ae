package org.opencluster.bench.boot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.opencluster.bench.BenchReport;
import org.opencluster.controller.Controller;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Role;

/**
 * Boot to secrets: from starting a real agent process ('opencluster agent --bundle DIR', the
 * runnable jar) to the last of its secure files materialized in tmpfs, over repeated starts of the
 * same node (each stopped with SIGTERM, which wipes its files, before the next). Three files: a
 * static one, a template reading a shared secret, a generated password. The enrolment share is
 * the part of that time until the agent's log says it enrolled.
 */
public final class BootToSecrets {

  private static final ObjectMapper JSON = new ObjectMapper();

  private BootToSecrets() {}

  public static BenchReport run(int starts) throws Exception {
    BenchReport report = new BenchReport("boot to secrets: agent process start to its last secure file in tmpfs");
    Path home = Path.of(System.getenv().getOrDefault("OPENCLUSTER_HOME", ".")).toAbsolutePath();
    Path launcher = home.resolve("bin/opencluster");
    Path directory = Files.createTempDirectory("opencluster-boot");
    Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "opencluster-boot-");
    List<Path> files = List.of(shm.resolve("static.conf"), shm.resolve("db.conf"), shm.resolve("local.pw"));
    List<Double> total = new ArrayList<>();
    List<Double> enrolment = new ArrayList<>();
    try (TestCluster cluster = new TestCluster(directory); SecretBytes key = SecretBytes.random(32)) {
      Controller controller = cluster.start(ConfigFactory.parseString(
              "opencluster.controller.node { heartbeat-interval = 1s, allowed-misses = 3, deadline-grace = 2s, lease-duration = 10s }")
          .withFallback(cluster.controllerConfig("ctl-1", TestCluster.freePort(), List.of(), TestDatabases.freshH2())));
      controller.seal().initializeWithKey(key);
      controller.seal().unsealWithKey(key);
      long giveUp = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (!controller.readiness().shardingStarted() && System.nanoTime() < giveUp) {
        Thread.sleep(50);
      }
      controller.agentCa().importCa(cluster.agentCa().certificate(), cluster.agentCaKey());
      Path operator = cluster.issueOperator("boot", Role.OPERATOR);
      ApiTestClient api = new ApiTestClient(operator);
      int port = controller.apiPort();
      put(api, port, "/v1/secrets/boot/db", Map.of("fields", Map.of("password", "boot-bench-password")));
      Map<String, Object> selector = Map.of("labels", Map.of("role", "boot"));
      put(api, port, "/v1/files/boot/static.conf", Map.of("path", files.get(0).toString(), "selector", selector,
          "source", Map.of("kind", "static", "content", Base64.getEncoder().encodeToString("static=1\n".getBytes(StandardCharsets.UTF_8)))));
      put(api, port, "/v1/files/boot/db.conf", Map.of("path", files.get(1).toString(), "selector", selector,
          "source", Map.of("kind", "template", "text", "password={{ secret \"boot/db\" \"password\" }}\n")));
      put(api, port, "/v1/files/boot/local.pw", Map.of("path", files.get(2).toString(), "selector", selector,
          "source", Map.of("kind", "generated", "generator", "random-password")));

      Path bundle = directory.resolve("bundle");
      ProcessBuilder register = new ProcessBuilder(launcher.toString(), "node", "register", "boot-1", "--label",
          "role=boot", "--lifetime", "1d", "--out", bundle.toString()).redirectErrorStream(true)
          .redirectOutput(directory.resolve("register.log").toFile());
      register.environment().put("OPENCLUSTER_ADDR", "https://127.0.0.1:" + port);
      register.environment().put("OPENCLUSTER_CLIENT_CERT", operator.resolve("cert.pem").toString());
      register.environment().put("OPENCLUSTER_CLIENT_KEY", operator.resolve("key.pem").toString());
      register.environment().put("OPENCLUSTER_CACERT", operator.resolve("ca.pem").toString());
      Process registering = register.start();
      if (!registering.waitFor(2, TimeUnit.MINUTES) || registering.exitValue() != 0) {
        throw new IllegalStateException("node register failed: " + Files.readString(directory.resolve("register.log")));
      }

      for (int i = 0; i <= starts; i++) {
        Path log = directory.resolve("agent-" + i + ".log");
        Instant startedAt = Instant.now();
        long started = System.nanoTime();
        Process agent = new ProcessBuilder(launcher.toString(), "agent", "--bundle", bundle.toString())
            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = started + Duration.ofSeconds(60).toNanos();
        while (!files.stream().allMatch(Files::exists)) {
          if (System.nanoTime() > deadline || !agent.isAlive()) {
            agent.destroyForcibly();
            throw new IllegalStateException("start " + i + ": the files did not appear; the agent's log:\n" + Files.readString(log));
          }
          Thread.sleep(2);
        }
        double millis = (System.nanoTime() - started) / 1e6;
        Instant enrolled = enrolledAt(log);
        agent.destroy();
        if (!agent.waitFor(30, TimeUnit.SECONDS)) {
          agent.destroyForcibly();
        }
        if (files.stream().anyMatch(Files::exists)) {
          throw new IllegalStateException("start " + i + ": SIGTERM left files behind");
        }
        if (i == 0) {
          continue; // the first start also builds the launcher's jar if needed, and warms the controller
        }
        total.add(millis);
        enrolment.add(enrolled == null ? Double.NaN : Duration.between(startedAt, enrolled).toMillis() / millis);
        System.out.printf(Locale.ROOT, "  start %d: %.0f ms%n", i, millis);
      }
    } finally {
      try (Stream<Path> left = Files.list(shm)) {
        left.forEach(p -> p.toFile().delete());
      }
      Files.deleteIfExists(shm);
    }
    String setup = starts + " starts of one node's agent process (JVM start included), one controller on H2 in the bench "
        + "JVM, 1 s heartbeat; " + BenchReport.machine().get("java") + ", " + BenchReport.machine().get("cores") + " cores";
    report.add("boot to secrets p50", "ms", quantile(total, 0.50), Double.NaN, setup);
    report.add("boot to secrets p99", "ms", quantile(total, 0.99), Double.NaN, "with " + starts + " samples, p99 is the slowest");
    report.add("enrolment share of it, p50", "%", 100 * quantile(enrolment, 0.50), Double.NaN,
        "process start to 'Enrolled' in the agent's log, over the whole");
    return report;
  }

  private static Instant enrolledAt(Path log) throws Exception {
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      if (line.contains("Enrolled with")) {
        try {
          return Instant.parse(line.substring(0, line.indexOf(' ')));
        } catch (RuntimeException e) {
          return null;
        }
      }
    }
    return null;
  }

  private static double quantile(List<Double> values, double q) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
  }

  private static void put(ApiTestClient api, int port, String path, Object body) throws Exception {
    ApiTestClient.Reply reply = api.put(port, path, JSON.writeValueAsString(body));
    if (reply.status() != 200) {
      throw new IllegalStateException("PUT " + path + " refused: " + reply.body());
    }
  }
}
