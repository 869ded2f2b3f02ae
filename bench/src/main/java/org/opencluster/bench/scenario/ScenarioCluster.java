package org.opencluster.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.opencluster.bench.fleet.FleetSimulator;
import org.opencluster.bench.fleet.SimulatorProcess;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.Role;

/**
 * A controller cluster for high-availability scenarios, as it runs in production but on one
 * machine: embedded PostgreSQL (in this JVM), a cluster CA made at run time, N controller
 * processes ({@link ControllerProcess}: seed nodes, their own ports, {@code give-key-to =
 * any-controller}, a short Split Brain Resolver {@code stable-after}), the first unsealed by an
 * operator's shares over the API and the others from their peers, and a simulated fleet in a JVM
 * of its own whose agents know every edge and fail over ({@link FleetSimulator} with
 * {@code failover}). Every node consumes one rotating secret through a template file.
 *
 * <p>Faults: {@link #terminate}, {@link #kill}, {@link #restart}, {@link #cut}. The harness keeps the set of
 * controllers it considers {@linkplain #serving() serving}: a controller leaves it just before a
 * fault and comes back once ready again, so that load and probes address only controllers that
 * are up. Everything binds 127.0.0.1; or, when this JVM runs in a hub made by
 * {@code bench/netns/bin/java}, each controller is in a network namespace of its own and can be
 * {@linkplain #cut cut off} from the others ({@link Netns}).
 */
public final class ScenarioCluster implements AutoCloseable {

  /** The rotating secret every simulated node consumes, and the template file that reads it. */
  public static final String SHARED_SECRET = "harness/shared";
  public static final String TEMPLATE_FILE = "harness/web.conf";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration START_LIMIT = Duration.ofMinutes(2);
  private static final Duration READY_LIMIT = Duration.ofMinutes(3);
  private static final Duration STOP_LIMIT = Duration.ofMinutes(2);
  private static final Duration POLL = Duration.ofMillis(250);

  /**
   * How a scenario's cluster is made.
   *
   * @param controllers controller processes (3 for a majority that survives one loss)
   * @param agents simulated nodes
   * @param links TLS connections the simulated agents share (agent actor systems)
   * @param heartbeatSeconds the nodes' heartbeat interval; the deadline is 3 intervals plus 5 s
   * @param controllerHeap each controller's {@code -Xmx}
   * @param simulatorHeap the simulator's {@code -Xmx}
   * @param directory where the certificates, configurations and logs go
   */
  public record Settings(int controllers, int agents, int links, int heartbeatSeconds, String controllerHeap,
      String simulatorHeap, Path directory) {

    /** 3 controllers of 512 MiB, 1 s heartbeats, agents over 8 links. */
    public static Settings of(int agents, Path directory) {
      return new Settings(3, agents, 8, 1, agents > 2_000 ? "1536m" : "512m", agents > 2_000 ? "3g" : "1g", directory);
    }
  }

  private final Settings settings;
  private final boolean namespaces = Netns.inHub();
  private final Map<Integer, String> hostOfPort = new ConcurrentHashMap<>();
  private final TestCluster ca;
  private final StorageSettings storage;
  private final Map<String, ControllerProcess> controllers = new LinkedHashMap<>();
  private final Set<String> serving = ConcurrentHashMap.newKeySet();
  private final Path logback;
  private final String startedAt = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
      .format(java.time.LocalDateTime.now());
  private ApiTestClient admin;
  private SimulatorProcess fleet;

  private ScenarioCluster(Settings settings) throws Exception {
    this.settings = settings;
    Files.createDirectories(settings.directory());
    this.ca = new TestCluster(settings.directory());
    this.storage = TestDatabases.freshPostgres(hubHost());
    this.logback = writeLogback(settings.directory());
  }

  /**
   * Starts everything: the controllers (the first unsealed by operators, the rest from peers),
   * the agent CA imported, the rotating secret and its template file, and the fleet registered,
   * enrolled and holding its file. Closes what it started if any step fails.
   */
  public static ScenarioCluster start(Settings settings) throws Exception {
    ScenarioCluster cluster = new ScenarioCluster(settings);
    try {
      cluster.startControllers();
      cluster.startFleet();
      return cluster;
    } catch (Exception | Error e) {
      System.out.println(cluster.diagnostics());
      cluster.close();
      throw e;
    }
  }

  // ---- start-up -------------------------------------------------------------------------------

  private void startControllers() throws Exception {
    List<ControllerProcess.Ports> ports = new ArrayList<>();
    for (int i = 0; i < settings.controllers(); i++) {
      String host = namespaces ? Netns.controllerHost(i + 1) : "127.0.0.1";
      ControllerProcess.Ports own = new ControllerProcess.Ports(host, fixedPort(), fixedPort(), fixedPort(), fixedPort());
      hostOfPort.put(own.api(), host);
      hostOfPort.put(own.health(), host);
      ports.add(own);
    }
    List<String> seeds = ports.stream().map(p -> p.host() + ":" + p.cluster()).toList();
    List<String> edges = ports.stream().map(p -> p.host() + ":" + p.edge()).toList();
    for (int i = 0; i < settings.controllers(); i++) {
      String name = "ctl-" + (i + 1);
      ControllerProcess.Ports own = ports.get(i);
      Config base = ca.controllerConfig(name, own.host(), own.cluster(), seeds, storage);
      controllers.put(name, new ControllerProcess(name, own, settings.directory().resolve(name + ".log"),
          appVersion -> writeConfig(name, own, edges, base, appVersion), settings.controllerHeap(), namespaces ? i + 1 : 0));
    }
    admin = new ApiTestClient(ca.issueOperator("harness", Role.ADMIN), port -> hostOfPort.getOrDefault(port, "127.0.0.1"));

    ControllerProcess first = controllers.values().iterator().next();
    first.start("", logback, START_LIMIT);
    unsealByOperators(first);
    awaitReady(first.name());
    serving.add(first.name());
    importAgentCa(first);
    for (ControllerProcess other : controllers.values()) {
      if (other != first) {
        other.start("", logback, START_LIMIT);
      }
    }
    for (ControllerProcess other : controllers.values()) {
      awaitReady(other.name());
      serving.add(other.name());
    }
    awaitMembersUp(controllers.keySet(), null);
  }

  private Path writeConfig(String name, ControllerProcess.Ports ports, List<String> edges, Config base, String appVersion)
      throws Exception {
    int heartbeat = settings.heartbeatSeconds();
    Config overrides = ConfigFactory.parseString("""
        opencluster.controller {
          app-version = "%s"
          api.port = %d
          health.port = %d
          edge { port = %d, addresses = [%s] }
          seal.give-key-to = any-controller
          node { heartbeat-interval = %ds, allowed-misses = 3, deadline-grace = 5s, lease-duration = %ds }
          secrets { distribute-timeout = 3m, grace-period = 10s, compromise-grace-period = 5s }
        }
        pekko.coordinated-shutdown.exit-jvm = on
        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = on
        pekko.cluster.split-brain-resolver.stable-after = 5s
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = off
        """.formatted(appVersion, ports.api(), ports.health(), ports.edge(),
        edges.stream().map(e -> "\"" + e + "\"").collect(Collectors.joining(", ")), heartbeat,
        FleetSimulator.LEASE.toSeconds()));
    String rendered = overrides.withFallback(base).root().render(ConfigRenderOptions.defaults().setOriginComments(false));
    Path file = settings.directory().resolve(name + ".conf");
    Files.writeString(file, rendered, StandardCharsets.UTF_8);
    return file;
  }

  private void unsealByOperators(ControllerProcess controller) throws Exception {
    int port = controller.ports().api();
    ApiTestClient.Reply init = admin.post(port, "/v1/sys/init", "{\"shares\":5,\"threshold\":3}");
    if (init.status() != 200) {
      throw new IllegalStateException("init refused by " + controller.name() + ": HTTP " + init.status());
    }
    for (int i = 0; i < 3; i++) {
      String share = init.body().path("shares").get(i).asText();
      ApiTestClient.Reply unseal = admin.post(port, "/v1/sys/unseal", "{\"share\":\"" + share + "\"}");
      if (unseal.status() != 200) {
        throw new IllegalStateException("share " + (i + 1) + " refused by " + controller.name() + ": HTTP " + unseal.status());
      }
    }
  }

  private void importAgentCa(ControllerProcess controller) throws Exception {
    String key;
    try (SecretBytes pem = Pem.encodePrivateKey(ca.agentCaKey())) {
      key = new String(pem.copyBytes(), StandardCharsets.US_ASCII);
    }
    String body = JSON.writeValueAsString(Map.of("certificate", Pem.encodeCertificates(List.of(ca.agentCa().certificate())),
        "key", key));
    ApiTestClient.Reply reply = admin.put(controller.ports().api(), "/v1/sys/agent-ca", body);
    if (reply.status() != 200) {
      throw new IllegalStateException("the agent CA import was refused: HTTP " + reply.status() + " " + reply.body());
    }
  }

  private void startFleet() throws Exception {
    int port = controllers.values().iterator().next().ports().api();
    put(port, "/v1/rotating-secrets/" + SHARED_SECRET, Map.of("rotator", Map.of("kind", "none"),
        "consumers", Map.of("labels", Map.of("role", "web"))));
    put(port, "/v1/files/" + TEMPLATE_FILE, Map.of("path", "/run/harness/web.conf",
        "selector", Map.of("labels", Map.of("role", "web")), "source", Map.of("kind", "template",
            "text", "node={{ node.name }}\npassword={{ secret \"" + SHARED_SECRET + "\" \"password\" }}\n")));
    Path operator = settings.directory().resolve("operator-harness");
    List<String> apis = controllers.values().stream().map(c -> c.ports().host() + ":" + c.ports().api()).toList();
    fleet = SimulatorProcess.start(apis, hubHost(), operator, settings.agents(), settings.links(), 2,
        Files.createDirectories(settings.directory().resolve("simulator")), true, settings.simulatorHeap());
    Duration enrolLimit = Duration.ofSeconds(120 + settings.agents() / 20);
    fleet.await(FleetSimulator.MEASURED, enrolLimit);
    fleet.send(FleetSimulator.HOLDING + " 300");
    long holding = Long.parseLong(fleet.await(FleetSimulator.HOLDING, Duration.ofMinutes(6)).split(" ")[1]);
    if (holding < settings.agents()) {
      throw new IllegalStateException("only " + holding + " of " + settings.agents() + " agents hold their file");
    }
  }

  private void put(int port, String path, Object body) throws Exception {
    ApiTestClient.Reply reply = admin.put(port, path, JSON.writeValueAsString(body));
    if (reply.status() != 200 && reply.status() != 201) {
      throw new IllegalStateException("PUT " + path + ": HTTP " + reply.status() + " " + reply.body());
    }
  }

  // ---- faults ---------------------------------------------------------------------------------

  /** SIGTERM to {@code name} (it leaves {@link #serving()} first); waits for its exit and returns its exit code. */
  public int terminate(String name) throws Exception {
    serving.remove(name);
    return controller(name).terminate(STOP_LIMIT);
  }

  /** SIGKILL to {@code name} (it leaves {@link #serving()} first); waits for the process to be gone. */
  public int kill(String name) throws Exception {
    serving.remove(name);
    return controller(name).kill(STOP_LIMIT);
  }

  /**
   * Starts {@code name} again announcing {@code appVersion} and waits until it is ready (it
   * unsealed from its peers and runs sharding) and every serving controller lists it up; it is
   * serving again then.
   */
  public void restart(String name, String appVersion) throws Exception {
    ControllerProcess controller = controller(name);
    controller.start(appVersion, logback, START_LIMIT);
    awaitReady(name);
    Set<String> expected = ConcurrentHashMap.newKeySet();
    expected.addAll(serving);
    expected.add(name);
    awaitMembersUp(expected, null);
    serving.add(name);
  }

  /** Whether {@link #cut} can run: this JVM is in a hub and every controller in a namespace of its own ({@link Netns}). */
  public boolean canCut() {
    return namespaces;
  }

  /**
   * Cuts the network between {@code name} and every other controller (it leaves {@link #serving()}
   * first): their packets to each other are dropped; each still reaches the database and the
   * agents. Only where {@link #canCut()}.
   */
  public void cut(String name) throws Exception {
    requireNamespaces();
    serving.remove(name);
    Netns.cut(controller(name).namespace(), others(name));
  }

  /**
   * Undoes {@link #cut} (safe to call again, or after a cut that failed half-way); the controller
   * is not serving again until {@link #restart} (a cut-off one is downed). Throws if a rule is left.
   */
  public void heal(String name) throws Exception {
    requireNamespaces();
    List<String> left = Netns.heal(controller(name).namespace(), others(name));
    if (!left.isEmpty()) {
      throw new IllegalStateException("the cut of " + name + " did not heal; rules left in the hub: " + left);
    }
  }

  /**
   * Whether this JVM reaches {@code name}'s edge port (a TCP connection within 2 s): through a cut,
   * the cut-off controller must still be reachable from the hub, where its agents and the
   * database are.
   */
  public boolean reachableFromHere(String name) {
    ControllerProcess.Ports ports = controller(name).ports();
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.connect(new java.net.InetSocketAddress(ports.host(), ports.edge()), 2_000);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** Lines of every controller's log (all starts) containing each of {@code needles}. */
  public long linesInLogs(String... needles) {
    long count = 0;
    for (ControllerProcess controller : controllers.values()) {
      count += controller.linesContaining(needles);
    }
    return count;
  }

  /** Waits until {@code name}'s process exits by itself; its exit code, or -1 if it still runs after {@code limit}. */
  public int awaitExit(String name, Duration limit) throws Exception {
    return controller(name).awaitExit(limit);
  }

  private List<Integer> others(String name) {
    return controllers.values().stream().filter(c -> !c.name().equals(name)).map(ControllerProcess::namespace).toList();
  }

  private void requireNamespaces() {
    if (!namespaces) {
      throw new IllegalStateException("a network cut needs each controller in a network namespace of its own: run this "
          + "JVM through bench/netns/bin/java, as root");
    }
  }

  private String hubHost() {
    return namespaces ? Netns.HUB : "127.0.0.1";
  }

  // ---- observation ----------------------------------------------------------------------------

  public Settings settings() {
    return settings;
  }

  /** An admin operator's client (the harness's own certificate). */
  public ApiTestClient api() {
    return admin;
  }

  public SimulatorProcess fleet() {
    return fleet;
  }

  public List<String> names() {
    return List.copyOf(controllers.keySet());
  }

  public ControllerProcess controller(String name) {
    ControllerProcess controller = controllers.get(name);
    if (controller == null) {
      throw new IllegalArgumentException("no controller " + name);
    }
    return controller;
  }

  /** The controllers the harness considers up: not faulted, or restarted and ready again. */
  public Set<String> serving() {
    return Set.copyOf(serving);
  }

  /** The name of the controller whose cluster address is {@code address} (by its cluster port), or null. */
  public String nameOf(String address) {
    for (ControllerProcess controller : controllers.values()) {
      if (address.endsWith(":" + controller.ports().cluster())) {
        return controller.name();
      }
    }
    return null;
  }

  /** {@code GET /v1/cluster} through {@code name}; throws unless it answers 200. */
  public JsonNode clusterStatus(String name) throws Exception {
    ApiTestClient.Reply reply = admin.get(controller(name).ports().api(), "/v1/cluster");
    if (reply.status() != 200) {
      throw new IllegalStateException("GET /v1/cluster through " + name + ": HTTP " + reply.status() + " " + reply.body());
    }
    return reply.body();
  }

  /** Whether {@code name}'s readiness endpoint says 200 (unsealed, database reachable, sharding up). */
  public boolean ready(String name) {
    try {
      return admin.status(controller(name).ports().health(), "/ready") == 200;
    } catch (Exception e) {
      return false;
    }
  }

  /** Waits until {@code name} is ready; fails fast if its process exits. */
  public void awaitReady(String name) throws Exception {
    ControllerProcess controller = controller(name);
    long giveUp = System.nanoTime() + READY_LIMIT.toNanos();
    while (!ready(name)) {
      if (!controller.isAlive()) {
        throw new IllegalStateException(name + " exited before it was ready");
      }
      if (System.nanoTime() > giveUp) {
        throw new IllegalStateException(name + " was not ready within " + READY_LIMIT + " (sealed? never unsealed from peers?)");
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  /**
   * Waits until, through every controller of {@code names}, the members are exactly {@code names}
   * and all up (and, unless null, all announcing {@code appVersion}).
   */
  public void awaitMembersUp(Set<String> names, String appVersion) throws Exception {
    long giveUp = System.nanoTime() + READY_LIMIT.toNanos();
    String last = "";
    while (true) {
      boolean agreed = true;
      for (String name : names) {
        try {
          JsonNode status = clusterStatus(name);
          Map<String, String> members = new LinkedHashMap<>();
          for (JsonNode member : status.path("members")) {
            members.put(nameOf(member.path("address").asText()), member.path("status").asText() + " "
                + member.path("appVersion").asText());
          }
          last = name + " sees " + members;
          boolean same = members.keySet().equals(names) && members.values().stream().allMatch(s -> s.startsWith("up ")
              && (appVersion == null || s.equals("up " + appVersion)));
          agreed &= same;
        } catch (Exception e) {
          last = name + ": " + e.getMessage();
          agreed = false;
        }
        if (!agreed) {
          break;
        }
      }
      if (agreed) {
        return;
      }
      if (System.nanoTime() > giveUp) {
        throw new IllegalStateException("the members did not become " + names + " all up"
            + (appVersion == null ? "" : " at " + appVersion) + " within " + READY_LIMIT + "; last: " + last);
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  /** The last lines of every controller's log, for a failure's report. */
  public String diagnostics() {
    StringBuilder out = new StringBuilder();
    for (ControllerProcess controller : controllers.values()) {
      out.append("\n---- ").append(controller).append(", log ").append(controller.log()).append(", last 60 lines\n")
          .append(controller.tail(60)).append('\n');
    }
    return out.toString();
  }

  /**
   * Stops the fleet and kills every controller process that still runs. With the system property
   * {@value #KEEP_LOGS} set to a directory, the controllers' logs are copied there first (into a
   * sub-directory named after the start time), as the scenario's own directory is often temporary.
   */
  @Override
  public void close() throws Exception {
    try {
      if (fleet != null) {
        fleet.close(Duration.ofSeconds(10));
      }
    } finally {
      for (ControllerProcess controller : controllers.values()) {
        controller.destroy();
      }
      ca.close();
      keepLogs();
    }
  }

  /** The system property naming a directory to copy the controllers' logs to when the cluster closes. */
  public static final String KEEP_LOGS = "opencluster.scenario.logs";

  private void keepLogs() throws Exception {
    String into = System.getProperty(KEEP_LOGS);
    if (into == null || into.isBlank()) {
      return;
    }
    Path target = Files.createDirectories(Path.of(into).resolve(startedAt));
    for (ControllerProcess controller : controllers.values()) {
      if (Files.exists(controller.log())) {
        Files.copy(controller.log(), target.resolve(controller.log().getFileName()),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    System.out.println("scenario: controller logs kept in " + target);
  }

  private static Path writeLogback(Path directory) throws Exception {
    return Files.writeString(directory.resolve("controller-logback.xml"), """
        <configuration>
          <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{30} - %msg%n</pattern></encoder>
          </appender>
          <logger name="org.opencluster" level="INFO"/>
          <logger name="org.apache.pekko.cluster" level="INFO"/>
          <root level="WARN"><appender-ref ref="OUT"/></root>
        </configuration>
        """);
  }

  /**
   * A free port below the kernel's ephemeral range (32768 and up): the controllers keep their ports
   * across restarts, and a port from the ephemeral range can be taken meanwhile by any outbound
   * connection on the machine (a bind then fails with "Address already in use").
   */
  private static int fixedPort() throws java.io.IOException {
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int tries = 0; tries < 200; tries++) {
      int port = random.nextInt(20_000, 32_000);
      try (java.net.ServerSocket socket = new java.net.ServerSocket(port, 1,
          java.net.InetAddress.getLoopbackAddress())) {
        return port;
      } catch (java.io.IOException taken) {
        // try another
      }
    }
    return TestCluster.freePort();
  }
}
