package org.opencluster.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.protocol.testing.FreePorts;
import org.opencluster.protocol.tls.KeyMaterial;
import org.opencluster.protocol.tls.TlsContexts;
import org.opencluster.protocol.tls.TlsPolicy;

/**
 * The README's path, as processes: make a CA, issue a controller and an operator, start
 * 'opencluster controller --config', and unseal it with 'opencluster operator'. It reports sealed
 * and not ready, then ready after the threshold of shares; SIGTERM stops it. Then a node: the agent
 * CA imported, the node registered into a bundle, and 'opencluster agent --bundle' enrolled.
 */
class ControllerProcessIT {

  private static final Path LAUNCHER = Path.of(System.getProperty("opencluster.home", "..")).toAbsolutePath().normalize()
      .resolve("bin/opencluster");
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
  private static final String AGENT_CA_PASSPHRASE = "another long agent passphrase";

  @TempDir
  Path tmp;

  @Test
  void aControllerStartedByTheLauncher_reportsSealed_thenReadyAfterUnseal() throws Exception {
    Running running = startController();
    Process controller = running.process();
    int health = running.health();
    Map<String, String> operator = running.operator();
    try {
      Result status = opencluster(operator, "operator", "seal-status");
      assertThat(status.code()).as(status.err()).isZero();
      assertThat(status.out()).contains("not initialized");
      assertThat(ready(health)).isEqualTo(500);

      Result init = opencluster(operator, "operator", "init", "--shares", "3", "--threshold", "2", "--out", "shares");
      assertThat(init.code()).as(init.err()).isZero();
      assertThat(tmp.resolve("shares/share-3.txt")).exists();
      assertThat(Files.getPosixFilePermissions(tmp.resolve("shares/share-1.txt"))).containsExactlyInAnyOrder(
          java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);

      Result first = opencluster(operator, "operator", "unseal", "--share-file", "shares/share-1.txt");
      assertThat(first.out()).contains("sealed: 1 of 2 shares given");
      assertThat(ready(health)).isEqualTo(500);

      Result second = opencluster(operator, "operator", "unseal", "--share-file", "shares/share-3.txt");
      assertThat(second.code()).as(second.err()).isZero();
      assertThat(second.out()).contains("unsealed");
      await().atMost(Duration.ofSeconds(60)).until(() -> ready(health) == 200);

      Result again = opencluster(operator, "operator", "init", "--out", "more-shares");
      assertThat(again.code()).isEqualTo(1);
      assertThat(again.err()).contains("already initialized");

      Result controllers = opencluster(operator, "operator", "controllers");
      assertThat(controllers.code()).as(controllers.err()).isZero();
      assertThat(controllers.out()).containsPattern("ctl-1\\s+operators' unseal shares");
      Result approve = opencluster(operator, "operator", "approve-controller", "ctl-2");
      assertThat(approve.code()).as(approve.err()).isZero();
      assertThat(opencluster(operator, "operator", "controllers").out()).contains("ctl-2");
      assertThat(opencluster(operator, "operator", "remove-controller", "ctl-2").code()).isZero();
      assertThat(opencluster(operator, "operator", "controllers").out()).doesNotContain("ctl-2");
      Result badName = opencluster(operator, "operator", "approve-controller", "Not A Name");
      assertThat(badName.code()).isEqualTo(2);
      assertThat(badName.err()).contains("invalid controller name");
    } finally {
      controller.destroy();
      assertThat(controller.waitFor(90, TimeUnit.SECONDS)).as("the controller stops on SIGTERM").isTrue();
    }
    assertThat(Files.readString(tmp.resolve("controller.err"))).contains("Running CoordinatedShutdown");
  }

  /** The README's agent path: import the agent CA, register a node, run its agent from the bundle. */
  @Test
  void aNodeRegisteredWithTheCommandLine_runsItsAgentFromTheBundle() throws Exception {
    Running running = startController();
    Map<String, String> operator = running.operator();
    Process agent = null;
    try {
      assertThat(opencluster(operator, "operator", "init", "--shares", "3", "--threshold", "2", "--out", "shares").code()).isZero();
      assertThat(opencluster(operator, "operator", "unseal", "--share-file", "shares/share-1.txt").code()).isZero();
      assertThat(opencluster(operator, "operator", "unseal", "--share-file", "shares/share-2.txt").code()).isZero();
      await().atMost(Duration.ofSeconds(60)).until(() -> ready(running.health()) == 200);

      Result noCa = opencluster(operator, "node", "register", "web-1", "--lifetime", "24h", "--out", "too-early");
      assertThat(noCa.code()).isEqualTo(1);
      assertThat(noCa.err()).contains("import-agent-ca");
      assertThat(tmp.resolve("too-early")).doesNotExist();

      Map<String, String> admin = new HashMap<>(operator);
      admin.put("OPENCLUSTER_AGENT_CA_PASSPHRASE", AGENT_CA_PASSPHRASE);
      Result imported = opencluster(admin, "operator", "import-agent-ca", "--dir", "ca");
      assertThat(imported.code()).as(imported.err()).isZero();
      assertThat(imported.out()).contains("'opencluster node register' works now");

      Result badLabel = opencluster(operator, "node", "register", "web-1", "--label", "role", "--lifetime", "24h", "--out", "bad");
      assertThat(badLabel.code()).isEqualTo(2);
      assertThat(badLabel.err()).contains("--label must be KEY=VALUE");

      Result registered = opencluster(operator, "node", "register", "web-1", "--id", "web-1", "--label", "role=web",
          "--lifetime", "24h", "--out", "web-1");
      assertThat(registered.code()).as(registered.err()).isZero();
      assertThat(registered.out()).contains("Registered node web-1").contains("opencluster agent --bundle");
      Path bundle = tmp.resolve("web-1");
      assertThat(Files.getPosixFilePermissions(bundle.resolve("node.key")))
          .containsExactly(java.nio.file.attribute.PosixFilePermission.OWNER_READ);
      assertThat(Files.readString(bundle.resolve("agent.conf"))).contains("\"127.0.0.1:" + running.edge() + "\"");
      assertThat(opencluster(operator, "node", "status", "web-1").out()).containsPattern("stage\\s+registered");

      Result twice = opencluster(operator, "node", "register", "web-1", "--id", "web-1", "--lifetime", "24h", "--out", "again");
      assertThat(twice.code()).isEqualTo(1);
      assertThat(twice.err()).contains("already registered");

      agent = new ProcessBuilder(LAUNCHER.toString(), "agent", "--bundle", bundle.toString())
          .directory(tmp.toFile())
          .redirectErrorStream(true)
          .redirectOutput(tmp.resolve("agent.log").toFile())
          .start();
      Process started = agent;
      await().atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(500)).until(() ->
          opencluster(operator, "node", "status", "web-1").out().contains("active") || !started.isAlive());
      assertThat(agent.isAlive()).as(Files.readString(tmp.resolve("agent.log"))).isTrue();
      String bootId = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
      assertThat(opencluster(operator, "node", "status", "web-1").out()).contains("boot " + bootId);
      assertThat(Files.readString(tmp.resolve("agent.log"))).contains("Enrolled with opencluster://controller/ctl-1");

      // The management verbs, as an operator types them.
      Result listed = opencluster(operator, "node", "list");
      assertThat(listed.code()).isZero();
      assertThat(listed.out()).contains("web-1").contains("active");
      assertThat(opencluster(operator, "node", "list", "--state", "quarantined").out()).contains("No node matches.");
      Result listedJson = opencluster(operator, "node", "list", "--label", "role=web", "--all", "--json");
      assertThat(listedJson.out()).contains("\"id\" : \"web-1\"").doesNotContain("nodes read");
      Result cluster = opencluster(operator, "cluster", "status");
      assertThat(cluster.code()).isZero();
      assertThat(cluster.out()).contains("controller ctl-1");

      agent.destroy();
      assertThat(agent.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(agent.exitValue()).as("stopped by SIGTERM").isEqualTo(143);

      Result quarantined = opencluster(operator, "node", "quarantine", "web-1", "--reason", "disk image leaked");
      assertThat(quarantined.code()).as(quarantined.err()).isZero();
      assertThat(opencluster(operator, "node", "list", "--state", "quarantined").out()).contains("web-1");
      assertThat(opencluster(Map.of("OPENCLUSTER_CA_PASSPHRASE", "correct horse battery staple"), "ca", "issue",
          "operator", "olga", "--role", "operator", "--dir", "ca", "--out", "olga").code()).isZero();
      Map<String, String> olga = new HashMap<>(operator);
      olga.put("OPENCLUSTER_CLIENT_CERT", tmp.resolve("olga/cert.pem").toString());
      olga.put("OPENCLUSTER_CLIENT_KEY", tmp.resolve("olga/key.pem").toString());
      Result notAdmin = opencluster(olga, "node", "release", "web-1");
      assertThat(notAdmin.code()).as("release needs the admin role").isEqualTo(1);
      assertThat(notAdmin.err()).contains("admin");

      Result auditorRefused = opencluster(olga, "audit", "list");
      assertThat(auditorRefused.code()).as("an operator may not read the audit log").isEqualTo(1);
      Result audit = opencluster(admin, "audit", "list", "--action", "api.post");
      assertThat(audit.code()).as(audit.err()).isZero();
      assertThat(audit.out()).contains("/v1/nodes/web-1/quarantine");
      Result verified = opencluster(admin, "audit", "verify");
      assertThat(verified.code()).as(verified.out() + verified.err()).isZero();
      assertThat(verified.out()).contains("The audit log is intact");
    } finally {
      if (agent != null && agent.isAlive()) {
        agent.destroyForcibly();
      }
      running.process().destroy();
      assertThat(running.process().waitFor(90, TimeUnit.SECONDS)).as("the controller stops on SIGTERM").isTrue();
    }
  }

  private record Running(Process process, int api, int health, int edge, Map<String, String> operator) {}

  /** Makes a CA, a controller and an admin operator, and starts the controller by the launcher: sealed, not initialized. */
  private Running startController() throws Exception {
    Map<String, String> ca = Map.of("OPENCLUSTER_CA_PASSPHRASE", "correct horse battery staple",
        "OPENCLUSTER_AGENT_CA_PASSPHRASE", AGENT_CA_PASSPHRASE);
    assertThat(opencluster(ca, "ca", "init", "--dir", "ca").code()).isZero();
    assertThat(opencluster(ca, "ca", "issue", "controller", "ctl-1", "--dir", "ca", "--out", "ctl-1", "--san-ip", "127.0.0.1").code()).isZero();
    assertThat(opencluster(ca, "ca", "issue", "operator", "alice", "--role", "admin", "--dir", "ca", "--out", "alice").code()).isZero();

    int api = FreePorts.loopback();
    int health = FreePorts.loopback();
    int edge = FreePorts.loopback();
    Path config = Files.writeString(tmp.resolve("ctl-1.conf"), """
        opencluster.controller {
          name = "ctl-1"
          data-dir = "%s"
          tls { certificate = "%s", key = "%s", ca = "%s" }
          cluster { host = "127.0.0.1", port = %d }
          health { host = "127.0.0.1", port = %d }
          api { host = "127.0.0.1", port = %d }
          edge { host = "127.0.0.1", port = %d }
        }
        """.formatted(tmp.resolve("data"), tmp.resolve("ctl-1/cert.pem"), tmp.resolve("ctl-1/key.pem"),
        tmp.resolve("ctl-1/ca.pem"), FreePorts.loopback(), health, api, edge));

    Process controller = new ProcessBuilder(LAUNCHER.toString(), "controller", "--config", config.toString())
        .directory(tmp.toFile())
        .redirectOutput(tmp.resolve("controller.out").toFile())
        .redirectError(tmp.resolve("controller.err").toFile())
        .start();
    await().atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(500)).until(() ->
        Files.readString(tmp.resolve("controller.out")).contains("running") || !controller.isAlive());
    assertThat(controller.isAlive()).as(Files.readString(tmp.resolve("controller.err"))).isTrue();
    Map<String, String> operator = Map.of(
        "OPENCLUSTER_ADDR", "https://127.0.0.1:" + api,
        "OPENCLUSTER_CLIENT_CERT", tmp.resolve("alice/cert.pem").toString(),
        "OPENCLUSTER_CLIENT_KEY", tmp.resolve("alice/key.pem").toString(),
        "OPENCLUSTER_CACERT", tmp.resolve("alice/ca.pem").toString());
    return new Running(controller, api, health, edge, operator);
  }

  @Test
  void aDevelopmentKey_withoutDevMode_isRefusedBeforeAnythingStarts() throws Exception {
    Map<String, String> ca = Map.of("OPENCLUSTER_CA_PASSPHRASE", "correct horse battery staple",
        "OPENCLUSTER_AGENT_CA_PASSPHRASE", "another long agent passphrase");
    assertThat(opencluster(ca, "ca", "init", "--dir", "ca").code()).isZero();
    assertThat(opencluster(ca, "ca", "issue", "controller", "ctl-1", "--dir", "ca", "--out", "ctl-1").code()).isZero();
    Path config = Files.writeString(tmp.resolve("ctl-1.conf"), """
        opencluster.controller {
          name = "ctl-1"
          data-dir = "%s"
          tls { certificate = "%s", key = "%s", ca = "%s" }
        }
        """.formatted(tmp.resolve("data"), tmp.resolve("ctl-1/cert.pem"), tmp.resolve("ctl-1/key.pem"),
        tmp.resolve("ctl-1/ca.pem")));
    Result refused = opencluster(Map.of(), "controller", "--config", config.toString(),
        "--dev-unseal-key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains("dev-mode = on");
    assertThat(tmp.resolve("data")).doesNotExist();
  }

  /** The readiness endpoint's status, checking the server is a controller of this cluster. */
  private int ready(int port) throws Exception {
    KeyMaterial material = KeyMaterial.load(tmp.resolve("alice/cert.pem"), tmp.resolve("alice/key.pem"), tmp.resolve("alice/ca.pem"));
    HttpClient client = HttpClient.newBuilder()
        .sslContext(TlsContexts.create(material, TlsPolicy.clientOfControllers(r -> { }, Clock.systemUTC()))).build();
    return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/ready")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private Result opencluster(Map<String, String> environment, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(LAUNCHER.toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(tmp.toFile());
    Map<String, String> env = new HashMap<>(environment);
    builder.environment().keySet().removeIf(k -> k.startsWith("OPENCLUSTER_"));
    builder.environment().putAll(env);
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("timed out: " + String.join(" ", command));
    }
    return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }

  private record Result(int code, String out, String err) {}
}
