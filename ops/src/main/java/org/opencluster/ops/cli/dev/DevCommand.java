package org.opencluster.ops.cli.dev;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.api.ApiClient;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Octl;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code opencluster dev}: a one-controller development cluster on this machine, in one command.
 * The first run makes a CA, a controller and an admin operator under {@code .opencluster-dev/},
 * and a development unseal key; every run starts the controller on embedded H2, unsealed with
 * that key, and waits until it is ready. INSECURE by design: the key and the CA passphrases are
 * files in that directory.
 */
@Command(name = "dev", mixinStandardHelpOptions = true,
    description = "Start a one-controller development cluster on this machine (embedded H2, unsealed with a "
        + "development key kept in the dev directory: INSECURE, never for production). Ctrl-C stops it; the next "
        + "run picks up where it left off.")
public final class DevCommand implements Callable<Integer> {

  static final String HOME = "OPENCLUSTER_HOME";
  private static final String CONTROLLER = "ctl-dev";
  private static final String ADMIN = "dev-admin";
  private static final Duration READY_WITHIN = Duration.ofMinutes(5);
  private static final Duration STOP_WITHIN = Duration.ofSeconds(90);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final CliContext context;

  @Option(names = "--dir", defaultValue = ".opencluster-dev", paramLabel = "DIR",
      description = "Where the dev cluster keeps its files. Default: ${DEFAULT-VALUE}.")
  Path directory;

  @Option(names = "--api-port", defaultValue = "8443", paramLabel = "PORT",
      description = "The operator API's port (first run only). Default: ${DEFAULT-VALUE}.")
  int apiPort;

  @Option(names = "--health-port", defaultValue = "8558", paramLabel = "PORT",
      description = "The health endpoint's port (first run only). Default: ${DEFAULT-VALUE}.")
  int healthPort;

  @Option(names = "--cluster-port", defaultValue = "25520", paramLabel = "PORT",
      description = "The cluster port (first run only). Default: ${DEFAULT-VALUE}.")
  int clusterPort;

  DevCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    Path home = context.variable(HOME).map(Path::of).orElseThrow(() -> new OpsException(
        "run 'opencluster dev' through bin/opencluster (" + HOME + " is not set)"));
    Path dir = directory.toAbsolutePath().normalize();
    DevFiles files = new DevFiles(dir);
    if (!Files.exists(files.ports())) {
      create(files);
    } else {
      context.out().println("Using the dev cluster in " + dir + " (delete the directory to start afresh).");
    }
    DevConfig config = DevConfig.read(files);

    Files.createDirectories(files.log().getParent());
    ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/opencluster").toString(), "controller",
        "--config", files.config().toString(), "--dev-unseal-key-file", files.unsealKey().toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(files.log().toFile()));
    Process controller = builder.start();
    Thread stopper = new Thread(() -> stop(controller), "opencluster-dev-stop");
    Runtime.getRuntime().addShutdownHook(stopper);

    ApiClient admin = ApiClient.create(config.apiAddress(), files.admin().resolve("cert.pem"),
        files.admin().resolve("key.pem"), files.admin().resolve("ca.pem"), context.clock());
    context.out().println("Starting controller " + CONTROLLER + " (log: " + files.log() + ") ...");
    context.out().flush();
    if (!awaitReady(controller, admin, config)) {
      context.err().println("error: the dev controller " + (controller.isAlive() ? "did not become ready within "
          + READY_WITHIN.toMinutes() + " minutes" : "stopped with exit code " + controller.exitValue())
          + "; the end of its log (" + files.log() + "):");
      tail(files.log(), 20).forEach(line -> context.err().println("  " + line));
      context.err().flush();
      return Octl.FAILURE;
    }
    printWelcome(files, config);
    int code = controller.waitFor();
    try {
      Runtime.getRuntime().removeShutdownHook(stopper);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running: it stops the controller.
    }
    context.out().println("The dev controller stopped (exit code " + code + ").");
    return code == 0 || code == 143 || code == 130 ? 0 : Octl.FAILURE;
  }

  /** First run: the CA, the controller's and the admin's certificates, the dev key and the configuration. */
  private void create(DevFiles files) throws Exception {
    Files.createDirectories(files.directory(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    context.out().println("Creating a dev cluster in " + files.directory() + " ...");
    String rootPassphrase = randomToken(24);
    String agentPassphrase = randomToken(24);
    writePrivate(files.passphrases(), "# 'opencluster dev' made these passphrases for its CA keys. INSECURE: dev only.\n"
        + "OPENCLUSTER_CA_PASSPHRASE=" + rootPassphrase + "\n"
        + "OPENCLUSTER_AGENT_CA_PASSPHRASE=" + agentPassphrase + "\n");
    Map<String, String> environment = new HashMap<>();
    environment.put("OPENCLUSTER_CA_PASSPHRASE", rootPassphrase);
    environment.put("OPENCLUSTER_AGENT_CA_PASSPHRASE", agentPassphrase);
    octl(environment, "ca", "init", "--dir", files.ca().toString(), "--cluster-name", "opencluster-dev");
    octl(environment, "ca", "issue", "controller", CONTROLLER, "--dir", files.ca().toString(),
        "--out", files.controller().toString(), "--san-ip", "127.0.0.1", "--san-dns", "localhost");
    octl(environment, "ca", "issue", "operator", ADMIN, "--role", "admin", "--dir", files.ca().toString(),
        "--out", files.admin().toString());
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    writePrivate(files.unsealKey(), Base64.getEncoder().encodeToString(key) + "\n");
    Arrays.fill(key, (byte) 0);
    new DevConfig(CONTROLLER, files, clusterPort, healthPort, apiPort).write();
  }

  private void octl(Map<String, String> environment, String... args) throws OpsException {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CliContext quiet = new CliContext(Map.copyOf(environment), prompt -> Optional.empty(), new PrintWriter(out),
        new PrintWriter(err), context.clock());
    int code = Octl.run(quiet, args);
    if (code != 0) {
      throw new OpsException("'opencluster " + String.join(" ", args) + "' failed: " + err.toString().strip());
    }
  }

  /** Polls the seal status and the readiness endpoint until both say so, or the controller stops. */
  private boolean awaitReady(Process controller, ApiClient admin, DevConfig config) throws InterruptedException {
    Instant giveUp = context.clock().instant().plus(READY_WITHIN);
    URI ready = URI.create(config.healthAddress() + "/ready");
    while (context.clock().instant().isBefore(giveUp)) {
      if (controller.waitFor(500, TimeUnit.MILLISECONDS)) {
        return false;
      }
      try {
        if ("unsealed".equals(admin.get("/v1/sys/seal-status").path("state").asText()) && admin.probe(ready) == 200) {
          return true;
        }
      } catch (OpsException notYet) {
        // Not listening yet.
      }
    }
    return false;
  }

  private void printWelcome(DevFiles files, DevConfig config) {
    PrintWriter out = context.out();
    out.println();
    out.println("OpenCluster dev cluster is ready. INSECURE: development mode, unsealed with the key in "
        + files.unsealKey() + ".");
    out.println("  controller    " + CONTROLLER + ", embedded H2 in " + files.data());
    out.println("  operator API  " + config.apiAddress());
    out.println("  readiness     " + config.healthAddress() + "/ready");
    out.println("  log           " + files.log());
    out.println();
    out.println("In another shell, act as the admin operator '" + ADMIN + "':");
    out.println("  export OPENCLUSTER_ADDR=" + config.apiAddress());
    out.println("  export OPENCLUSTER_CLIENT_CERT=" + files.admin().resolve("cert.pem"));
    out.println("  export OPENCLUSTER_CLIENT_KEY=" + files.admin().resolve("key.pem"));
    out.println("  export OPENCLUSTER_CACERT=" + files.admin().resolve("ca.pem"));
    out.println("  bin/opencluster operator seal-status");
    out.println();
    out.println("Ctrl-C stops the controller; the next 'opencluster dev' starts it again with its data.");
    out.flush();
  }

  private static void stop(Process controller) {
    if (controller.isAlive()) {
      controller.destroy();
      try {
        if (!controller.waitFor(STOP_WITHIN.toSeconds(), TimeUnit.SECONDS)) {
          controller.destroyForcibly();
        }
      } catch (InterruptedException e) {
        controller.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  private static List<String> tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return all.subList(Math.max(0, all.size() - lines), all.size());
    } catch (IOException e) {
      return List.of("(cannot read the log: " + e.getMessage() + ")");
    }
  }

  private static void writePrivate(Path file, String content) throws IOException {
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, content, StandardCharsets.US_ASCII);
  }

  private static String randomToken(int bytes) {
    byte[] random = new byte[bytes];
    RANDOM.nextBytes(random);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
  }
}
