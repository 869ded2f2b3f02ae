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
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.opencluster.controller.Controller;
import org.opencluster.controller.rotation.Rotators;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateRequest;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.Role;

/**
 * Controllers and agents for the agent's tests: controllers with real TLS on 127.0.0.1 and a short
 * heartbeat (1 s, 3 misses, 2 s grace: a 5 s deadline), unsealed with a run-time key, holding the
 * agent CA; nodes registered through the operator API, each with a bundle directory written as
 * 'opencluster node register' writes it.
 */
final class Testbed implements AutoCloseable {

  static final Duration HEARTBEAT = Duration.ofSeconds(1);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path directory;
  private final TestCluster cluster;
  private final ApiTestClient admin;
  private final StorageSettings storage;
  private final List<Agent> agents = new ArrayList<>();
  private final SecretBytes unsealKey = SecretBytes.random(32);

  Testbed(Path directory, StorageSettings storage) throws Exception {
    this.directory = directory;
    this.storage = storage;
    this.cluster = new TestCluster(directory);
    this.admin = new ApiTestClient(cluster.issueOperator("alice", Role.ADMIN));
  }

  TestCluster cluster() {
    return cluster;
  }

  ApiTestClient admin() {
    return admin;
  }

  /** Starts a controller; the first one made initializes the store, the others unseal with the same key. */
  Controller controller(String name, int clusterPort, List<Integer> seeds, Config extra) throws Exception {
    return controller(name, clusterPort, seeds, extra, Rotators.standard());
  }

  /** As above, with the rotator kinds of {@code rotators} (tests add instrumented ones). */
  Controller controller(String name, int clusterPort, List<Integer> seeds, Config extra, Rotators rotators)
      throws Exception {
    Config config = extra.withFallback(ConfigFactory.parseString("""
        opencluster.controller.node { heartbeat-interval = 1s, allowed-misses = 3, deadline-grace = 2s, lease-duration = 10s }
        opencluster.controller.seal.give-key-to = any-controller
        """)).withFallback(cluster.controllerConfig(name, clusterPort, seeds, storage));
    Controller controller = cluster.start(config, rotators);
    if (controller.seal().status().state() == org.opencluster.persistence.keys.Seal.State.UNINITIALIZED) {
      controller.seal().initializeWithKey(unsealKey);
    }
    controller.seal().unsealWithKey(unsealKey);
    await().atMost(Duration.ofSeconds(60)).until(() -> controller.readiness().shardingStarted());
    if (controller.agentCa().current().isEmpty()) {
      controller.agentCa().importCa(cluster.agentCa().certificate(), cluster.agentCaKey());
    }
    return controller;
  }

  Controller controller(String name) throws Exception {
    int port = TestCluster.freePort();
    return controller(name, port, List.of(port), ConfigFactory.empty());
  }

  /** Registers a node through {@code controller}'s API and writes its bundle; returns the bundle directory. */
  Path register(Controller controller, String nodeId, String bootstrap, List<String> edges) throws Exception {
    return register(controller, nodeId, bootstrap, edges, Duration.ofDays(1));
  }

  /** As above, for a node that lives {@code lifetime}. */
  Path register(Controller controller, String nodeId, String bootstrap, List<String> edges, Duration lifetime)
      throws Exception {
    KeyPair keys = EcKeys.generate();
    String body = JSON.writeValueAsString(Map.of("id", nodeId, "name", nodeId, "labels", Map.of("role", "test"),
        "lifetimeSeconds", lifetime.toSeconds(), "csr", Pem.encodeCertificateRequest(CertificateRequest.create(keys, Identity.node(nodeId))),
        "bootstrap", bootstrap));
    ApiTestClient.Reply reply = admin.post(controller.apiPort(), "/v1/nodes", body);
    assertThat(reply.status()).as(reply.body().toString()).isEqualTo(201);
    Path bundle = Files.createDirectories(directory.resolve("bundle-" + nodeId));
    Files.writeString(bundle.resolve("node.pem"), reply.body().path("certificate").asText());
    Files.writeString(bundle.resolve("ca.pem"), reply.body().path("ca").asText());
    Path key = bundle.resolve("node.key");
    Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (SecretBytes pem = Pem.encodePrivateKey(keys.getPrivate())) {
      Files.write(key, pem.copyBytes());
    }
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("r--------"));
    List<String> advertised = new ArrayList<>();
    reply.body().path("edges").forEach(edge -> advertised.add(edge.asText()));
    List<String> written = edges.isEmpty() ? advertised : edges;
    Files.writeString(bundle.resolve("agent.conf"), "opencluster.agent { node-id = \"" + nodeId + "\", edges = ["
        + String.join(", ", written.stream().map(e -> "\"" + e + "\"").toList()) + "] }\n");
    return bundle;
  }

  Path register(Controller controller, String nodeId) throws Exception {
    return register(controller, nodeId, "reusable", List.of());
  }

  /** The settings an agent of {@code bundle} runs with here: quick retries, a boot id of its own. */
  AgentSettings settings(Path bundle, String bootId) throws Exception {
    Path bootIdFile = Files.writeString(Files.createTempFile(directory, "boot-id", ".txt"), bootId + "\n");
    return AgentSettings.load(ConfigFactory.parseString("""
        opencluster.agent {
          boot-id-file = "%s"
          enrol-timeout = 2s
          backoff { min = 100ms, max = 1s }
        }
        """.formatted(bootIdFile)), bundle);
  }

  Agent agent(Path bundle, String bootId) throws Exception {
    Agent agent = Agent.start(settings(bundle, bootId), Clock.systemUTC());
    agents.add(agent);
    return agent;
  }

  /** A node's status through the API. */
  JsonNode status(Controller controller, String nodeId) throws Exception {
    return admin.get(controller.apiPort(), "/v1/nodes/" + nodeId).body();
  }

  String edgeOf(Controller controller) {
    return "127.0.0.1:" + controller.edge().port();
  }

  /** The launcher of this checkout. */
  static final Path LAUNCHER = Path.of(System.getProperty("opencluster.home", "..")).toAbsolutePath().normalize()
      .resolve("bin/opencluster");

  /**
   * An agent process started as a service would be: 'opencluster agent --config FILE', one
   * configuration file (written in {@code directory}) naming the bundle; output to {@code log}.
   */
  static Process startAgentProcess(Path directory, Path bundle, Path log, String bootId) throws java.io.IOException {
    Path bootIdFile = Files.writeString(directory.resolve(bootId + ".id"), bootId + "\n");
    Path config = Files.writeString(directory.resolve(bootId + ".conf"), """
        opencluster.agent {
          bundle = "%s"
          boot-id-file = "%s"
          enrol-timeout = 2s
          backoff { min = 100ms, max = 1s }
        }
        """.formatted(bundle, bootIdFile));
    ProcessBuilder builder = new ProcessBuilder(LAUNCHER.toString(), "agent", "--config", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("OPENCLUSTER_"));
    return builder.start();
  }

  /** kill -SIGNAL on an agent's JVM (the launcher execs java, so the process is the JVM). */
  static void signal(String signal, Process process) throws Exception {
    // bash's own kill: /bin/kill (procps) is not on every fresh machine, bash is.
    Process kill = new ProcessBuilder("bash", "-c", "kill -" + signal + " " + process.pid()).start();
    assertThat(kill.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).isZero();
  }

  static String text(Path file) throws Exception {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws Exception {
    for (Agent agent : agents) {
      agent.close();
    }
    cluster.close();
    unsealKey.close();
  }
}
