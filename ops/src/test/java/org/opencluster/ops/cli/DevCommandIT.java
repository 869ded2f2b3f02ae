package org.opencluster.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.protocol.testing.FreePorts;

/**
 * 'opencluster dev' as a user runs it: one command makes a CA, a controller and an admin, starts
 * the controller unsealed and ready, and says how to use octl against it; SIGTERM stops it; the
 * next run starts the same cluster again, with its data.
 */
class DevCommandIT {

  private static final Path LAUNCHER = Path.of(System.getProperty("opencluster.home", "..")).toAbsolutePath().normalize()
      .resolve("bin/opencluster");
  private static final Duration READY = Duration.ofMinutes(5);

  @TempDir
  Path tmp;

  @Test
  void oneCommand_startsAReadyDevController_andTheNextRunResumesIt() throws Exception {
    int edge = FreePorts.loopback();
    List<String> command = List.of(LAUNCHER.toString(), "dev", "--dir", tmp.resolve("dev").toString(),
        "--api-port", Integer.toString(FreePorts.loopback()), "--health-port", Integer.toString(FreePorts.loopback()),
        "--cluster-port", Integer.toString(FreePorts.loopback()), "--edge-port", Integer.toString(edge));

    Path firstOut = tmp.resolve("first.out");
    Process first = start(command, firstOut);
    Map<String, String> operator;
    try {
      awaitReady(first, firstOut);
      String printed = Files.readString(firstOut);
      assertThat(printed).contains("Creating a dev cluster").contains("INSECURE");
      operator = exportsIn(printed);
      Result status = octl(operator, "operator", "seal-status", "--json");
      assertThat(status.out()).contains("\"state\" : \"unsealed\"").contains("\"devMode\" : true");
      assertThat(octl(operator, "operator", "approve-controller", "ctl-later").code()).isZero();
      Result registered = octl(operator, "node", "register", "web-1", "--lifetime", "1h", "--out",
          tmp.resolve("web-1").toString());
      assertThat(registered.code()).as("dev imported the agent CA: " + registered.err()).isZero();
      assertThat(Files.readString(tmp.resolve("web-1/agent.conf"))).contains("\"127.0.0.1:" + edge + "\"");
    } finally {
      first.destroy();
      assertThat(first.waitFor(2, TimeUnit.MINUTES)).as("dev stops on SIGTERM").isTrue();
    }
    Path dev = tmp.resolve("dev");
    for (Path secret : List.of(dev.resolve("dev-unseal.key"), dev.resolve("ca-passphrases.env"),
        dev.resolve("admin/key.pem"), dev.resolve("controller/key.pem"), dev.resolve("ca/service-ca.key"))) {
      assertThat(Files.getPosixFilePermissions(secret)).as(secret.toString())
          .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }
    assertThat(Files.getPosixFilePermissions(dev)).doesNotContain(PosixFilePermission.OTHERS_READ);

    Path secondOut = tmp.resolve("second.out");
    Process second = start(command, secondOut);
    try {
      awaitReady(second, secondOut);
      assertThat(Files.readString(secondOut)).contains("Using the dev cluster").doesNotContain("Creating");
      assertThat(octl(operator, "operator", "controllers").out()).as("the same store as the first run")
          .contains("ctl-later");
    } finally {
      second.destroy();
      assertThat(second.waitFor(2, TimeUnit.MINUTES)).isTrue();
    }
  }

  @Test
  void detach_returnsOnceTheDemoFileIsServed_writesTheEnvFile_andStopStopsEverything() throws Exception {
    Path dev = tmp.resolve("dev");
    Result detached = run(List.of(LAUNCHER.toString(), "dev", "--detach", "--dir", dev.toString(),
        "--api-port", Integer.toString(FreePorts.loopback()), "--health-port", Integer.toString(FreePorts.loopback()),
        "--cluster-port", Integer.toString(FreePorts.loopback()), "--edge-port", Integer.toString(FreePorts.loopback())));
    assertThat(detached.code()).as(detached.err()).isZero();
    assertThat(detached.out()).contains("dev cluster is ready").contains("source " + dev.resolve("env"))
        .contains("dev stop");
    long controllerPid = pid(dev.resolve("controller.pid"));
    long agentPid = pid(dev.resolve("agent.pid"));
    long supervisorPid = pid(dev.resolve("dev.pid"));
    assertThat(List.of(controllerPid, agentPid, supervisorPid)).allMatch(pid -> ProcessHandle.of(pid).isPresent());
    assertThat(Files.getPosixFilePermissions(dev.resolve("env")))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    Result status = sourced(dev.resolve("env"), LAUNCHER + " cluster status");
    assertThat(status.code()).as(status.err()).isZero();
    assertThat(status.out()).contains("controller ctl-dev (unsealed)").contains("ADDRESS").contains(" up ");
    Result json = sourced(dev.resolve("env"), LAUNCHER + " cluster status --json");
    assertThat(json.out()).contains("\"members\"").contains("\"appVersion\"");

    Result again = run(List.of(LAUNCHER.toString(), "dev", "--detach", "--dir", dev.toString()));
    assertThat(again.code()).as("one dev cluster a directory").isEqualTo(1);
    assertThat(again.err()).contains("already running");

    Result stopped = run(List.of(LAUNCHER.toString(), "dev", "stop", "--dir", dev.toString()));
    assertThat(stopped.code()).as(stopped.err()).isZero();
    assertThat(stopped.out()).contains("Stopped the dev cluster");
    for (long pid : List.of(controllerPid, agentPid, supervisorPid)) {
      assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("pid " + pid + " stopped").isEmpty();
    }
    assertThat(Files.readString(dev.resolve("controller.log"))).as("the controller left cleanly")
        .contains("CoordinatedShutdown");
    assertThat(dev.resolve("controller.pid")).doesNotExist();
    assertThat(run(List.of(LAUNCHER.toString(), "dev", "stop", "--dir", dev.toString())).out())
        .contains("No dev cluster is running");
  }

  private static long pid(Path file) throws IOException {
    return Long.parseLong(Files.readString(file).strip());
  }

  /** {@code command} run by sh after sourcing {@code env}, as a user would. */
  private Result sourced(Path env, String command) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("sh", "-c", ". '" + env + "' && " + command).directory(tmp.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("OPENCLUSTER_"));
    return collect(builder);
  }

  @Test
  void aDamagedDevDirectory_isReportedNotGuessedAt() throws Exception {
    Path dev = Files.createDirectory(tmp.resolve("dev"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.writeString(dev.resolve("dev.properties"), "name=ctl-dev\n");
    Result result = run(List.of(LAUNCHER.toString(), "dev", "--dir", dev.toString()));
    assertThat(result.code()).isEqualTo(1);
    assertThat(result.err()).contains("is incomplete").contains("delete the directory");
  }

  @Test
  void aDevDirectoryOthersCanRead_isRefused() throws Exception {
    Path dev = Files.createDirectory(tmp.resolve("dev"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Result result = run(List.of(LAUNCHER.toString(), "dev", "--dir", dev.toString()));
    assertThat(result.code()).isEqualTo(1);
    assertThat(result.err()).contains("with mode 0700");
  }

  @Test
  void aPortInUse_isReportedBeforeAnyControllerStarts() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Result result = run(List.of(LAUNCHER.toString(), "dev", "--dir", tmp.resolve("dev").toString(),
          "--api-port", Integer.toString(taken.getLocalPort()), "--health-port", Integer.toString(FreePorts.loopback()),
          "--cluster-port", Integer.toString(FreePorts.loopback())));
      assertThat(result.code()).isEqualTo(1);
      assertThat(result.err()).contains("port " + taken.getLocalPort() + " on 127.0.0.1 is in use");
      assertThat(tmp.resolve("dev/controller.log")).doesNotExist();
    }
  }

  private Process start(List<String> command, Path out) throws IOException {
    return new ProcessBuilder(command).directory(tmp.toFile()).redirectErrorStream(true)
        .redirectOutput(out.toFile()).start();
  }

  private static void awaitReady(Process dev, Path out) {
    await().atMost(READY).pollInterval(Duration.ofMillis(500)).until(() ->
        Files.readString(out).contains("dev cluster is ready") || !dev.isAlive());
    assertThat(dev.isAlive()).as(() -> {
      try {
        return Files.readString(out);
      } catch (IOException e) {
        return e.toString();
      }
    }).isTrue();
  }

  /** The variables the welcome text tells the user to export. */
  private static Map<String, String> exportsIn(String printed) {
    Map<String, String> exports = new java.util.HashMap<>();
    for (String line : printed.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.startsWith("export ")) {
        String[] pair = trimmed.substring("export ".length()).split("=", 2);
        exports.put(pair[0], pair[1]);
      }
    }
    assertThat(exports).containsKeys("OPENCLUSTER_ADDR", "OPENCLUSTER_CLIENT_CERT", "OPENCLUSTER_CLIENT_KEY",
        "OPENCLUSTER_CACERT");
    return exports;
  }

  private Result octl(Map<String, String> environment, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(LAUNCHER.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(tmp.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("OPENCLUSTER_"));
    builder.environment().putAll(environment);
    return collect(builder);
  }

  private Result run(List<String> command) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).directory(tmp.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("OPENCLUSTER_"));
    return collect(builder);
  }

  private Result collect(ProcessBuilder builder) throws Exception {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("timed out: " + builder.command());
    }
    return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  private record Result(int code, String out, String err) {}
}
