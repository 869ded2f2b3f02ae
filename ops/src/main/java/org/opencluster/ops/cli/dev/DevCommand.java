package org.opencluster.ops.cli.dev;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.api.ApiClient;
import org.opencluster.ops.ca.CaDirectory;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Octl;
import org.opencluster.ops.cli.ca.CaPassphrase;
import org.opencluster.ops.internal.NewDirectory;
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
        + "development key kept in the dev directory: INSECURE, never for production). Ctrl-C (or 'dev stop') stops "
        + "it; --detach runs it in the background; the next run picks up where it left off.",
    subcommands = DevStopCommand.class)
public final class DevCommand implements Callable<Integer> {

  static final String HOME = "OPENCLUSTER_HOME";
  private static final String CONTROLLER = "ctl-dev";
  private static final String ADMIN = "dev-admin";
  private static final Duration READY_WITHIN = Duration.ofMinutes(5);
  private static final Duration STOP_WITHIN = Duration.ofSeconds(90);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int SIGTERM_EXIT = 143;

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

  @Option(names = "--edge-port", defaultValue = "" + DevConfig.DEFAULT_EDGE_PORT, paramLabel = "PORT",
      description = "The port agents connect to (first run only). Default: ${DEFAULT-VALUE}.")
  int edgePort;

  @Option(names = "--detach", description = "Run in the background: return once the demo agent serves its files "
      + "(output in DIR/dev.out); stop it with 'opencluster dev stop'.")
  boolean detach;

  DevCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    Path home = context.variable(HOME).map(Path::of).orElseThrow(() -> new OpsException(
        "run 'opencluster dev' through bin/opencluster (" + HOME + " is not set)"));
    Path dir = directory.toAbsolutePath().normalize();
    DevFiles files = new DevFiles(dir);
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      create(files);
    } else {
      requirePrivate(dir);
      context.out().println("Using the dev cluster in " + dir + " (delete the directory to start afresh).");
    }
    DevConfig config = DevConfig.read(files);
    if (detach) {
      return new DetachedDev(context, files).start(home, detachedArguments());
    }
    try (FileChannel lockFile = FileChannel.open(files.lock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockFile.tryLock()) {
      if (lock == null) {
        throw new OpsException("another 'opencluster dev' is running on " + dir + "; stop it first (Ctrl-C)");
      }
      requireFreePorts(config);
      ensureServiceCa(files);
      return run(home, files, config);
    }
  }

  /** This run's options, for the background 'opencluster dev' that --detach starts. */
  private List<String> detachedArguments() {
    return List.of("dev", "--dir", directory.toAbsolutePath().normalize().toString(), "--api-port", Integer.toString(apiPort),
        "--health-port", Integer.toString(healthPort), "--cluster-port", Integer.toString(clusterPort),
        "--edge-port", Integer.toString(edgePort));
  }

  private int run(Path home, DevFiles files, DevConfig config) throws Exception {
    ApiClient admin = ApiClient.create(config.apiAddress(), files.admin().resolve("cert.pem"),
        files.admin().resolve("key.pem"), files.admin().resolve("ca.pem"), context.clock());
    ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/opencluster").toString(), "controller",
        "--config", files.config().toString(), "--dev-unseal-key-file", files.unsealKey().toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(files.log().toFile()));
    Process controller = builder.start();
    PidFiles.write(files.devPid(), ProcessHandle.current().pid());
    PidFiles.write(files.controllerPid(), controller.pid());
    AtomicBoolean interrupted = new AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<Process> agent = new java.util.concurrent.atomic.AtomicReference<>();
    Thread stopper = new Thread(() -> {
      interrupted.set(true);
      if (agent.get() != null) {
        stop(agent.get());
      }
      stop(controller);
    }, "opencluster-dev-stop");
    Runtime.getRuntime().addShutdownHook(stopper);
    try {
      context.out().println("Starting controller " + config.name() + " (log: " + files.log() + ") ...");
      context.out().flush();
      if (!awaitReady(controller, admin, config)) {
        if (interrupted.get()) {
          return Octl.FAILURE;
        }
        context.err().println("error: the dev controller " + (controller.isAlive() ? "did not become ready within "
            + READY_WITHIN.toMinutes() + " minutes" : "stopped with exit code " + controller.exitValue())
            + "; the end of its log (" + files.log() + "):");
        tail(files.log(), 20).forEach(line -> context.err().println("  " + line));
        context.err().flush();
        return Octl.FAILURE;
      }
      importCas(files, config);
      Process demoAgent = startDemo(home, files, config);
      agent.set(demoAgent);
      PidFiles.write(files.agentPid(), demoAgent.pid());
      writeEnvironment(files, config);
      printWelcome(files, config);
      int code = controller.waitFor();
      context.out().println("The dev controller stopped (exit code " + code + ").");
      return interrupted.get() || code == 0 || code == SIGTERM_EXIT ? 0 : Octl.FAILURE;
    } finally {
      if (agent.get() != null) {
        stop(agent.get());
      }
      stop(controller);
      PidFiles.remove(files.agentPid(), files.controllerPid(), files.devPid());
      try {
        Runtime.getRuntime().removeShutdownHook(stopper);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running: it stops the controller.
      }
    }
  }

  /**
   * First run: the CA, the controller's and the admin's certificates, the dev key and the
   * configuration, made in a private staging directory and renamed into place, so an interrupted
   * first run leaves no half-made dev cluster behind.
   */
  private void create(DevFiles files) throws Exception {
    Path parent = files.directory().getParent();
    Files.createDirectories(parent);
    Path staging = Files.createTempDirectory(parent, "." + files.directory().getFileName() + ".tmp-",
        PosixFilePermissions.asFileAttribute(NewDirectory.PRIVATE_DIRECTORY));
    context.out().println("Creating a dev cluster in " + files.directory() + " ...");
    DevFiles staged = new DevFiles(staging);
    try {
      String rootPassphrase = randomToken(24);
      String agentPassphrase = randomToken(24);
      writePrivate(staged.passphrases(), "# 'opencluster dev' made these passphrases for its CA keys. INSECURE: dev only.\n"
          + "OPENCLUSTER_CA_PASSPHRASE=" + rootPassphrase + "\n"
          + "OPENCLUSTER_AGENT_CA_PASSPHRASE=" + agentPassphrase + "\n");
      Map<String, String> environment = new HashMap<>();
      environment.put("OPENCLUSTER_CA_PASSPHRASE", rootPassphrase);
      environment.put("OPENCLUSTER_AGENT_CA_PASSPHRASE", agentPassphrase);
      octl(environment, "ca", "init", "--dir", staged.ca().toString(), "--cluster-name", "opencluster-dev");
      octl(environment, "ca", "issue", "controller", CONTROLLER, "--dir", staged.ca().toString(),
          "--out", staged.controller().toString(), "--san-ip", "127.0.0.1", "--san-dns", "localhost");
      octl(environment, "ca", "issue", "operator", ADMIN, "--role", "admin", "--dir", staged.ca().toString(),
          "--out", staged.admin().toString());
      byte[] key = new byte[32];
      RANDOM.nextBytes(key);
      writePrivate(staged.unsealKey(), Base64.getEncoder().encodeToString(key) + "\n");
      Arrays.fill(key, (byte) 0);
      // The configuration names the files where they will be, not where they are made.
      new DevConfig(CONTROLLER, files, clusterPort, healthPort, apiPort, edgePort).writeTo(staged);
      Files.move(staging, files.directory(), StandardCopyOption.ATOMIC_MOVE);
    } catch (Exception e) {
      try {
        NewDirectory.deleteRecursively(staging);
      } catch (IOException notDeleted) {
        throw new OpsException("could not create the dev cluster (" + e.getMessage() + "); " + staging
            + " holds what was made, private keys included: delete it", e);
      }
      throw new OpsException("could not create the dev cluster: " + e.getMessage(), e);
    }
  }

  /** The dev directory and its files must be this user's alone: they hold every key of the dev cluster. */
  private static void requirePrivate(Path dir) throws IOException, OpsException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new OpsException(dir + " exists and is not a directory");
    }
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
    UserPrincipal owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS);
    UserPrincipal me = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(System.getProperty("user.name"));
    if (!mode.equals(NewDirectory.PRIVATE_DIRECTORY) || !owner.equals(me)) {
      throw new OpsException(dir + " must belong to " + me.getName() + " with mode 0700 (it holds the dev cluster's keys); "
          + "it is " + PosixFilePermissions.toString(mode) + " owned by " + owner.getName());
    }
  }

  /** A dev controller whose ports are taken would fail late, or worse, another would answer for it. */
  private static void requireFreePorts(DevConfig config) throws OpsException {
    for (int port : new int[] {config.apiPort(), config.healthPort(), config.clusterPort(), config.edgePort()}) {
      try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        probe.setReuseAddress(true);
      } catch (IOException e) {
        throw new OpsException("port " + port + " on 127.0.0.1 is in use (an earlier dev controller still running? "
            + "another program?); stop it, or start afresh with other --api-port/--health-port/--cluster-port/--edge-port "
            + "and a new --dir");
      }
    }
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

  /**
   * Gives the dev CA a service CA if it has none: on the first run, and on the first run of a dev
   * cluster made before there was one. Its passphrase joins the others in the passphrases file.
   */
  private void ensureServiceCa(DevFiles files) throws IOException, OpsException {
    if (Files.exists(files.ca().resolve(CaDirectory.SERVICE_CERTIFICATE), LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Map<String, String> passphrases = passphrases(files);
    if (!passphrases.containsKey(CaPassphrase.SERVICE.variable())) {
      String passphrase = randomToken(24);
      Files.writeString(files.passphrases(), CaPassphrase.SERVICE.variable() + "=" + passphrase + "\n",
          StandardCharsets.US_ASCII, LinkOption.NOFOLLOW_LINKS, StandardOpenOption.APPEND);
      passphrases.put(CaPassphrase.SERVICE.variable(), passphrase);
    }
    require(files, passphrases, CaPassphrase.ROOT);
    // --replace: a run cut short may have left a service-ca.key without its certificate.
    octl(passphrases, "ca", "create-service-ca", "--dir", files.ca().toString(), "--replace");
  }

  /**
   * Hands the dev agent CA and service CA to the controller (again, at every start: an import
   * replaces the previous one), so 'node register' and tls-certificate files work at once, as
   * 'operator import-agent-ca' and 'import-service-ca' would.
   */
  private void importCas(DevFiles files, DevConfig config) throws IOException, OpsException {
    Map<String, String> passphrases = passphrases(files);
    Map<String, String> environment = new HashMap<>(operatorEnvironment(files, config));
    for (CaPassphrase which : List.of(CaPassphrase.AGENT, CaPassphrase.SERVICE)) {
      environment.put(which.variable(), require(files, passphrases, which));
    }
    octl(environment, "operator", "import-agent-ca", "--dir", files.ca().toString());
    octl(environment, "operator", "import-service-ca", "--dir", files.ca().toString());
  }

  /** The passphrases file's VARIABLE=VALUE lines. */
  private static Map<String, String> passphrases(DevFiles files) throws IOException {
    Map<String, String> passphrases = new HashMap<>();
    for (String line : Files.readAllLines(files.passphrases(), StandardCharsets.UTF_8)) {
      int equals = line.indexOf('=');
      if (!line.startsWith("#") && equals > 0) {
        passphrases.put(line.substring(0, equals), line.substring(equals + 1));
      }
    }
    return passphrases;
  }

  private static String require(DevFiles files, Map<String, String> passphrases, CaPassphrase which)
      throws OpsException {
    String passphrase = passphrases.get(which.variable());
    if (passphrase == null) {
      throw new OpsException(files.passphrases() + " names no " + which.variable() + "; delete " + files.directory()
          + " to start afresh");
    }
    return passphrase;
  }

  /**
   * The demo: a node registered once ('demo-1', label role=demo), three secure files for it (a
   * template rendered with the node's facts, a password the controller generates for it, and a
   * TLS key and certificate for its name from the service CA), and a real agent process that
   * materializes them in a tmpfs directory. Returns the agent.
   */
  private Process startDemo(Path home, DevFiles files, DevConfig config) throws Exception {
    Map<String, String> environment = operatorEnvironment(files, config);
    if (!Files.exists(files.demoBundle())) {
      octl(environment, "node", "register", "demo-1", "--id", "demo-1", "--label", "role=demo", "--lifetime", "30d", "--out",
          files.demoBundle().toString());
    }
    Path tmpfs = demoDirectory();
    Path hello = tmpfs.resolve("hello.conf");
    Files.writeString(files.demoTemplate(), "# rendered for this node by the controllers; only in memory and tmpfs\n"
        + "node={{ node.name }} ({{ node.id }})\nrole={{ node.label \"role\" }}\n", StandardCharsets.UTF_8);
    octl(environment, "file", "put", "demo/hello.conf", "--template", files.demoTemplate().toString(),
        "--path", hello.toString(), "--mode", "0400", "--selector", "role=demo");
    octl(environment, "file", "put", "demo/db.password", "--generate", "random-password", "--length", "24",
        "--path", tmpfs.resolve("db.password").toString(), "--mode", "0400", "--selector", "role=demo");
    Path tls = tmpfs.resolve("tls.pem");
    octl(environment, "file", "put", "demo/tls.pem", "--generate", "tls-certificate", "--node", "demo-1",
        "--path", tls.toString(), "--mode", "0400");
    Path token = tmpfs.resolve("token.conf");
    try {
      octl(environment, "secret", "show", "demo/token");
    } catch (OpsException absent) {
      octl(environment, "secret", "create", "demo/token", "--rotator", "none", "--consumers", "role=demo");
    }
    Path tokenTemplate = files.demoTemplate().resolveSibling("token.conf.tmpl");
    Files.writeString(tokenTemplate, "# a rotating secret: 'opencluster secret rotate demo/token --wait' changes it\n"
        + "token={{ secret \"demo/token\" \"password\" }}\n", StandardCharsets.UTF_8);
    octl(environment, "file", "put", "demo/token.conf", "--template", tokenTemplate.toString(),
        "--path", token.toString(), "--mode", "0400", "--selector", "role=demo");
    Process agent = new ProcessBuilder(home.resolve("bin/opencluster").toString(), "agent", "--bundle",
        files.demoBundle().toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(files.agentLog().toFile()))
        .start();
    Instant giveUp = context.clock().instant().plus(Duration.ofSeconds(60));
    while (!Files.exists(hello) && agent.isAlive() && context.clock().instant().isBefore(giveUp)) {
      agent.waitFor(200, TimeUnit.MILLISECONDS);
    }
    if (!Files.exists(hello)) {
      context.err().println("warning: the demo agent did not materialize " + hello + "; see " + files.agentLog());
    }
    demoFiles = List.of(new DemoFile("cat", hello), new DemoFile("cat", tmpfs.resolve("db.password")),
        new DemoFile("openssl x509 -noout -subject -ext subjectAltName -in", tls), new DemoFile("cat", token));
    return agent;
  }

  /** A private directory on tmpfs: the user's runtime directory if there is one, else /dev/shm. */
  private Path demoDirectory() throws IOException, OpsException {
    String runtime = context.variable("XDG_RUNTIME_DIR").orElse("");
    Path base = !runtime.isEmpty() && Files.isDirectory(Path.of(runtime)) ? Path.of(runtime) : Path.of("/dev/shm");
    Path directory = base.resolve("opencluster-dev-" + ProcessHandle.current().info().user().orElse("user"));
    if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    requirePrivate(directory);
    return directory;
  }

  private static Map<String, String> operatorEnvironment(DevFiles files, DevConfig config) {
    return Map.of("OPENCLUSTER_ADDR", config.apiAddress(),
        "OPENCLUSTER_CLIENT_CERT", files.admin().resolve("cert.pem").toString(),
        "OPENCLUSTER_CLIENT_KEY", files.admin().resolve("key.pem").toString(),
        "OPENCLUSTER_CACERT", files.admin().resolve("ca.pem").toString());
  }

  /** DIR/env: the operator variables as export lines (mode 0600), so 'source DIR/env' points octl at it. */
  private static void writeEnvironment(DevFiles files, DevConfig config) throws IOException {
    StringBuilder lines = new StringBuilder("# 'opencluster dev': point octl at the dev controller as its admin.\n");
    operatorEnvironment(files, config).entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(variable -> lines.append("export ").append(variable.getKey()).append('=')
            .append(PidFiles.shellQuoted(variable.getValue())).append('\n'));
    Path staged = files.directory().resolve(".env.tmp");
    Files.deleteIfExists(staged);
    writePrivate(staged, lines.toString());
    Files.move(staged, files.env(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** A demo file, and the command that shows it. */
  private record DemoFile(String command, Path path) {}

  private List<DemoFile> demoFiles = List.of();

  private void printWelcome(DevFiles files, DevConfig config) {
    PrintWriter out = context.out();
    out.println();
    out.println("OpenCluster dev cluster is ready. INSECURE: development mode, unsealed with the key in "
        + files.unsealKey() + ".");
    out.println("  controller    " + CONTROLLER + ", embedded H2 in " + files.data());
    out.println("  operator API  " + config.apiAddress());
    out.println("  readiness     " + config.healthAddress() + "/ready");
    out.println("  agents' edge  127.0.0.1:" + config.edgePort());
    out.println("  log           " + files.log());
    out.println();
    out.println("In another shell, act as the admin operator '" + ADMIN + "':");
    out.println("  source " + files.env());
    out.println("or");
    operatorEnvironment(files, config).entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(variable -> out.println("  export " + variable.getKey() + "=" + variable.getValue()));
    out.println("  bin/opencluster operator seal-status; bin/opencluster cluster status");
    out.println();
    out.println("A demo agent (node demo-1, log " + files.agentLog() + ") serves four secure files from memory, on "
        + "tmpfs (tls.pem: its key, its certificate for demo-1 from the service CA, and that CA's; token.conf: a "
        + "rotating secret):");
    demoFiles.forEach(file -> out.println("  " + file.command() + " " + file.path()
        + (Files.exists(file.path()) ? "" : "    (not there yet)")));
    out.println("  bin/opencluster file list; bin/opencluster node status demo-1 --json");
    demoFiles.stream().filter(file -> file.path().getFileName().toString().equals("token.conf")).findFirst()
        .ifPresent(token -> out.println("  bin/opencluster secret rotate demo/token --wait; cat " + token.path()));
    out.println();
    out.println("Register a node and run its agent (the agent CA is imported):");
    out.println("  bin/opencluster node register web-1 --label role=web --lifetime 24h --out ./web-1");
    out.println("  bin/opencluster agent --bundle ./web-1");
    out.println();
    out.println("Ctrl-C (or 'bin/opencluster dev stop') stops the controller and the agent; the next "
        + "'opencluster dev' starts them again with their data.");
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

  static void writePrivate(Path file, String content) throws IOException {
    Files.createFile(file, PosixFilePermissions.asFileAttribute(NewDirectory.PRIVATE_FILE));
    Files.writeString(file, content, StandardCharsets.US_ASCII, LinkOption.NOFOLLOW_LINKS, StandardOpenOption.WRITE);
  }

  private static String randomToken(int bytes) {
    byte[] random = new byte[bytes];
    RANDOM.nextBytes(random);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
  }
}
