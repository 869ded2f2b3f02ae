package org.opencluster.bench.fleet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.ConfigFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.edge.EdgeSystem;
import org.opencluster.protocol.pki.CertificateRequest;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.tls.KeyMaterial;
import org.opencluster.protocol.tls.ReloadingTlsContext;
import org.opencluster.protocol.tls.TlsPolicy;

/**
 * The fleet: N simulated agents in this JVM, started by {@link FleetBench} in a process of its
 * own so that the controller's heap is measured alone. It registers its nodes through the
 * operator API (each key pair made here, only the CSR sent), opens a few agent actor systems over
 * TLS, each presenting one node certificate and carrying a share of the agents, enrols every
 * agent, lets the fleet settle, and measures for a while between the lines {@code MEASURING} and
 * {@code MEASURED}. It then keeps the fleet beating and answers commands on its standard input
 * (a delivery round, waiting for every agent to hold its files, silencing one agent, TLS
 * handshake probes with one node's certificate; for the fail-over scenarios, acknowledgement
 * rounds, the heartbeat figures of a time window and the files' content) until another line
 * arrives, and exits.
 *
 * <pre>
 * FleetSimulator API_PORT[,API_PORT...] OPERATOR_DIR AGENTS SYSTEMS WARMUP_S MEASURE_S WINDOW WORK_DIR RESULT_FILE [failover]
 * </pre>
 *
 * With {@code failover} every agent knows all the edges its registration named and fails over as
 * the real agent does ({@link SimulatedAgent}); without, each keeps to the first edge.
 */
public final class FleetSimulator {

  /**
   * The agents' config lease the scenario controllers set ({@code node.lease-duration}): a real
   * agent that goes this long without an acknowledgement wipes its files and stops; the fleet
   * counts such gaps.
   */
  public static final Duration LEASE = Duration.ofSeconds(60);

  public static final String MEASURING = "MEASURING";
  public static final String MEASURED = "MEASURED";
  /**
   * {@code DELIVER <unix millis> [<limit s>]}: count the agents whose files' content changes from
   * then on, until all did or the limit (default 120 s).
   */
  public static final String DELIVER = "DELIVER";
  /**
   * {@code DELIVERED <agents> <millis from the DELIVER instant to the last> <files opened in all> <p50 ms> <p99 ms>
   * <staged files opened in all>}.
   */
  public static final String DELIVERED = "DELIVERED";
  /** The simulator counts from now on: the bench makes the change. */
  public static final String ARMED = "ARMED";
  /** {@code HOLDING <limit s>}: answers {@code HOLDING <agents holding a file>} once all do, or at the limit. */
  public static final String HOLDING = "HOLDING";
  /** {@code SILENCE <node>}: that agent stops heartbeating; answers {@code SILENCED <node> <last beat, unix millis>}. */
  public static final String SILENCE = "SILENCE";
  public static final String SILENCED = "SILENCED";
  /**
   * {@code PROBE <node> <limit s> accepted|refused}: fresh TLS handshakes to the edge with that
   * node's certificate until one is accepted (or refused); answers {@code PROBED <node> <refused>
   * <unix millis of the last probe> <probes> <detail>}.
   */
  public static final String PROBE = "PROBE";
  public static final String PROBED = "PROBED";
  /**
   * {@code ACKED <unix millis> <limit s>}: waits until every agent got a heartbeat acknowledged at
   * or after that instant, or the limit; answers {@code ACKED <agents> <millis from the instant to
   * the last agent's first acknowledgement, or -1>}.
   */
  public static final String ACKED = "ACKED";
  /**
   * {@code STATS <from unix millis> <to unix millis>}: answers {@code STATS <one line of JSON>}:
   * the heartbeat figures of those seconds ({@code heartbeatsSent, acks, roundTripP50Micros,
   * roundTripP99Micros, roundTripMaxMicros, maxAckGapMillis}) and the counts since the start
   * ({@code failovers, redirects, quarantined, reEnrolments, enrolTimeouts, refused} by reason).
   */
  public static final String STATS = "STATS";
  /** {@code MARK}: remembers the content every agent holds; answers {@code MARKED <agents holding files>}. */
  public static final String MARK = "MARK";
  public static final String MARKED = "MARKED";
  /** {@code CHANGED}: answers {@code CHANGED <agents whose content differs from the mark>}. */
  public static final String CHANGED = "CHANGED";
  /** {@code DESCRIBE <node>}: answers {@code DESCRIBED <one line: its edge, session, unacknowledged beats, ...>}. */
  public static final String DESCRIBE = "DESCRIBE";
  public static final String DESCRIBED = "DESCRIBED";
  public static final String AGENT_PREFIX = "sim-";
  /** The first words of the lines this process answers with (everything else it prints is a log line). */
  public static final java.util.Set<String> ANSWERS = java.util.Set.of(MEASURING, MEASURED, ARMED, DELIVERED, HOLDING,
      SILENCED, PROBED, ACKED, STATS, MARKED, CHANGED, DESCRIBED);
  private static final long DELIVERY_LIMIT_SECONDS = 120;
  private static final int REGISTER_THREADS = 16;
  private static final Duration ENROL_LIMIT = Duration.ofMinutes(15);

  /**
   * The system property naming the address the agents' links bind (127.0.0.1 unless the
   * controllers are in network namespaces of their own and reach the simulator at another).
   */
  public static final String BIND_HOST = "opencluster.simulator.host";

  private FleetSimulator() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 9 && !(args.length == 10 && args[9].equals("failover"))) {
      System.err.println("FleetSimulator API_PORT OPERATOR_DIR AGENTS SYSTEMS WARMUP_S MEASURE_S WINDOW WORK_DIR RESULT_FILE "
          + "[failover]");
      System.exit(2);
    }
    boolean failover = args.length == 10;
    // One operator API port, or several separated by commas: registrations go round-robin through
    // them. Each may be HOST:PORT (controllers in network namespaces of their own); else 127.0.0.1.
    Map<Integer, String> apiHosts = new java.util.HashMap<>();
    int[] apiPorts = java.util.Arrays.stream(args[0].split(",")).mapToInt(entry -> {
      int colon = entry.lastIndexOf(':');
      int port = Integer.parseInt(entry.substring(colon + 1));
      apiHosts.put(port, colon < 0 ? "127.0.0.1" : entry.substring(0, colon));
      return port;
    }).toArray();
    Path operator = Path.of(args[1]);
    int agents = Integer.parseInt(args[2]);
    int systems = Integer.parseInt(args[3]);
    Duration warmup = Duration.ofSeconds(Long.parseLong(args[4]));
    Duration measure = Duration.ofSeconds(Long.parseLong(args[5]));
    int window = Integer.parseInt(args[6]);
    Path work = Path.of(args[7]);
    Path result = Path.of(args[8]);

    Map<String, Object> figures = new LinkedHashMap<>();
    ApiTestClient api = new ApiTestClient(operator, port -> apiHosts.getOrDefault(port, "127.0.0.1"));
    ExecutorService pool = Executors.newFixedThreadPool(REGISTER_THREADS);
    List<ActorSystem> started = new ArrayList<>();
    try {
      // ---- registration: one node per agent system (its TLS identity), one per simulated agent
      List<Future<Registered>> links = new ArrayList<>();
      for (int s = 0; s < systems; s++) {
        String id = "fleet-link-" + s;
        int port = apiPorts[s % apiPorts.length];
        links.add(pool.submit(() -> register(api, port, id)));
      }
      long registering = System.nanoTime();
      List<Future<Registered>> pending = new ArrayList<>();
      for (int i = 0; i < agents; i++) {
        String id = String.format("%s%05d", AGENT_PREFIX, i);
        int port = apiPorts[i % apiPorts.length];
        pending.add(pool.submit(() -> register(api, port, id)));
      }
      List<Registered> nodes = new ArrayList<>();
      for (Future<Registered> node : pending) {
        nodes.add(node.get(10, TimeUnit.MINUTES));
      }
      double registrationSeconds = (System.nanoTime() - registering) / 1e9;
      figures.put("registrationSeconds", registrationSeconds);
      say("registered %d nodes in %.1f s", agents, registrationSeconds);

      // ---- agent systems
      FleetStats stats = new FleetStats(window, agents);
      List<ActorSystem> agentSystems = new ArrayList<>();
      CertificateValidator controllers = null;
      for (Future<Registered> link : links) {
        Registered node = link.get(10, TimeUnit.MINUTES);
        Path bundle = node.writeBundle(work);
        KeyMaterial material = KeyMaterial.load(bundle.resolve("node.pem"), bundle.resolve("node.key"),
            bundle.resolve("ca.pem"));
        controllers = CertificateValidator.trusting(material.trustAnchors());
        ActorSystem system = agentSystem(bundle, failover);
        started.add(system);
        agentSystems.add(system);
      }
      List<ActorRef> fleet = new ArrayList<>();
      for (int i = 0; i < nodes.size(); i++) {
        Registered node = nodes.get(i);
        fleet.add(agentSystems.get(i % systems).actorOf(
            SimulatedAgent.props(node.id(), i, node.keys().getPrivate(), controllers, node.edges(), failover, stats),
            node.id()));
      }

      // ---- enrolment, at most WINDOW in flight
      long enrolling = System.nanoTime();
      for (ActorRef agent : fleet) {
        if (!stats.enrolWindow.tryAcquire(ENROL_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new IllegalStateException("the enrolment window did not drain within " + ENROL_LIMIT);
        }
        agent.tell(new SimulatedAgent.Enrol(), ActorRef.noSender());
      }
      long giveUpAt = System.nanoTime() + ENROL_LIMIT.toNanos();
      while (stats.enrolled.get() < agents) {
        if (System.nanoTime() > giveUpAt) {
          throw new IllegalStateException(stats.enrolled.get() + " of " + agents + " agents enrolled within " + ENROL_LIMIT);
        }
        Thread.sleep(50);
      }
      double enrolSeconds = (System.nanoTime() - enrolling) / 1e9;
      figures.put("enrolSeconds", enrolSeconds);
      say("enrolled %d agents in %.1f s; settling for %d s", agents, enrolSeconds, warmup.toSeconds());

      // ---- steady state
      Thread.sleep(warmup.toMillis());
      System.out.println(MEASURING);
      System.out.flush();
      stats.measuring = true;
      long measuring = System.nanoTime();
      Thread.sleep(measure.toMillis());
      stats.measuring = false;
      double measuredSeconds = (System.nanoTime() - measuring) / 1e9;

      figures.put("agents", agents);
      figures.put("systems", systems);
      figures.put("enrolWindow", window);
      figures.put("measuredSeconds", measuredSeconds);
      figures.put("heartbeatsSent", stats.heartbeatsSent.sum());
      figures.put("acks", stats.acks.sum());
      figures.put("ackLatencyCount", stats.ackLatency.count());
      figures.put("ackP50Micros", stats.ackLatency.quantile(0.50));
      figures.put("ackP99Micros", stats.ackLatency.quantile(0.99));
      figures.put("ackP999Micros", stats.ackLatency.quantile(0.999));
      figures.put("enrolP50Micros", stats.enrolLatency.quantile(0.50));
      figures.put("enrolP99Micros", stats.enrolLatency.quantile(0.99));
      figures.put("enrolAttempts", stats.enrolAttempts.sum());
      figures.put("enrolTimeouts", stats.enrolTimeouts.sum());
      figures.put("reEnrolments", stats.reEnrolments.sum());
      figures.put("quarantinedSeenByAgents", stats.quarantined.sum());
      figures.put("badFrames", stats.badFrames.sum());
      figures.put("refused", stats.refusedByReason());
      figures.put("simulatorHeapMiB", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024));
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(result.toFile(), figures);

      // ---- keep beating while the controller's side is measured
      System.out.println(MEASURED);
      System.out.flush();
      BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      Map<String, ActorRef> agentsById = new LinkedHashMap<>();
      Map<String, Registered> registered = new LinkedHashMap<>();
      for (int i = 0; i < nodes.size(); i++) {
        agentsById.put(nodes.get(i).id(), fleet.get(i));
        registered.put(nodes.get(i).id(), nodes.get(i));
      }
      int[] marks = new int[agents];
      String command;
      while ((command = commands.readLine()) != null) {
        String[] words = command.trim().split(" ");
        if (words[0].equals(DELIVER)) {
          deliver(stats, agents, Long.parseLong(words[1]),
              Duration.ofSeconds(words.length > 2 ? Long.parseLong(words[2]) : DELIVERY_LIMIT_SECONDS));
        } else if (words[0].equals(HOLDING)) {
          long giveUp = System.nanoTime() + Duration.ofSeconds(Long.parseLong(words[1])).toNanos();
          while (stats.holdingFiles.sum() < agents && System.nanoTime() < giveUp) {
            Thread.sleep(20);
          }
          answer(HOLDING + " " + stats.holdingFiles.sum());
        } else if (words[0].equals(SILENCE)) {
          CompletableFuture<Long> lastBeat = new CompletableFuture<>();
          agentsById.get(words[1]).tell(new SimulatedAgent.Silence(lastBeat), ActorRef.noSender());
          answer(SILENCED + " " + words[1] + " " + lastBeat.get(30, TimeUnit.SECONDS));
        } else if (words[0].equals(PROBE)) {
          Registered node = registered.get(words[1]);
          HandshakeProbe probe = new HandshakeProbe(node.writeBundle(work), node.edges().get(0));
          HandshakeProbe.Outcome outcome = probe.until(words[3].equals("refused"),
              Duration.ofSeconds(Long.parseLong(words[2])));
          answer(PROBED + " " + words[1] + " " + outcome.refused() + " " + outcome.atMillis() + " " + outcome.attempts()
              + " " + outcome.detail());
        } else if (words[0].equals(ACKED)) {
          acked(stats, Long.parseLong(words[1]), Duration.ofSeconds(Long.parseLong(words[2])));
        } else if (words[0].equals(STATS)) {
          Map<String, Object> seen = stats.windows.between(Long.parseLong(words[1]), Long.parseLong(words[2]));
          seen.put("failovers", stats.failovers.sum());
          seen.put("redirects", stats.redirects.sum());
          seen.put("unavailableIgnoredWhileFailingOver", stats.staleRefusals.sum());
          seen.put("quarantined", stats.quarantined.sum());
          seen.put("reEnrolments", stats.reEnrolments.sum());
          seen.put("enrolTimeouts", stats.enrolTimeouts.sum());
          seen.put("badFrames", stats.badFrames.sum());
          seen.put("refused", stats.refusedByReason());
          answer(STATS + " " + JSON.writeValueAsString(seen));
        } else if (words[0].equals(DESCRIBE)) {
          CompletableFuture<String> description = new CompletableFuture<>();
          ActorRef agent = agentsById.get(words[1]);
          if (agent == null) {
            answer(DESCRIBED + " " + words[1] + ": no such agent");
          } else {
            agent.tell(new SimulatedAgent.Describe(description), ActorRef.noSender());
            answer(DESCRIBED + " " + description.get(30, TimeUnit.SECONDS));
          }
        } else if (words[0].equals(MARK)) {
          int holding = 0;
          for (int i = 0; i < agents; i++) {
            marks[i] = stats.contentHashes.get(i);
            holding += marks[i] != 0 ? 1 : 0;
          }
          answer(MARKED + " " + holding);
        } else if (words[0].equals(CHANGED)) {
          int changed = 0;
          for (int i = 0; i < agents; i++) {
            changed += stats.contentHashes.get(i) != marks[i] ? 1 : 0;
          }
          answer(CHANGED + " " + changed);
        } else {
          break;
        }
      }
      say("after the controller's measurement: quarantine frames seen %d, refusals %s", stats.quarantined.sum(),
          stats.refusedByReason());
    } finally {
      pool.shutdownNow();
      for (ActorSystem system : started) {
        EdgeSystem.terminate(system, Duration.ofSeconds(30));
      }
    }
    System.exit(0);
  }

  /** A delivery round: counts the agents whose files' content changed since {@code since}, until all did or the limit. */
  private static void deliver(FleetStats stats, int agents, long since, Duration limit) throws InterruptedException {
    stats.deliveredThisRound.reset();
    stats.lastDeliveryMillis.set(0);
    stats.deliveryMillis = new LatencyHistogram();
    stats.deliveryRound++;
    stats.deliverySince = since;
    answer(ARMED);
    long giveUp = System.nanoTime() + limit.toNanos();
    while (stats.deliveredThisRound.sum() < agents && System.nanoTime() < giveUp) {
      Thread.sleep(20);
    }
    answer(DELIVERED + " " + stats.deliveredThisRound.sum() + " " + (stats.lastDeliveryMillis.get() - since)
        + " " + stats.filesOpened.sum() + " " + stats.deliveryMillis.quantile(0.50) + " "
        + stats.deliveryMillis.quantile(0.99) + " " + stats.stagedOpened.sum());
  }

  /** An acknowledgement round from {@code since}: until every agent got one at or after it, or the limit. */
  private static void acked(FleetStats stats, long since, Duration limit) throws InterruptedException {
    stats.startAckRound(since);
    int agents = stats.firstAckSince.length();
    long giveUp = System.nanoTime() + limit.toNanos();
    int acked = 0;
    long last = -1;
    while (true) {
      acked = 0;
      last = -1;
      int quarantined = 0;
      for (int i = 0; i < agents; i++) {
        long at = stats.firstAckSince.get(i);
        if (at != 0) {
          acked++;
          last = Math.max(last, at);
        }
        quarantined += stats.quarantinedAgents.get(i);
      }
      // a quarantined agent is never acknowledged again: waiting for it would only wait out the limit
      if (acked + quarantined >= agents || System.nanoTime() > giveUp) {
        break;
      }
      Thread.sleep(20);
    }
    stats.ackRoundSince = Long.MAX_VALUE;
    answer(ACKED + " " + acked + " " + (acked == agents ? last - since : -1));
  }

  private static void answer(String line) {
    System.out.println(line);
    System.out.flush();
  }

  /** A registered node: its key pair (made here) and what the controller answered. */
  private record Registered(String id, KeyPair keys, String certificatePem, String caPem, List<String> edges) {

    /** Writes this node's bundle (its key readable by this user only) for an agent system's TLS. */
    Path writeBundle(Path work) throws Exception {
      if (Files.isDirectory(work.resolve(id))) {
        return work.resolve(id);
      }
      Path bundle = Files.createDirectory(work.resolve(id),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Files.writeString(bundle.resolve("node.pem"), certificatePem);
      Files.writeString(bundle.resolve("ca.pem"), caPem);
      Path key = Files.createFile(bundle.resolve("node.key"),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try (SecretBytes pem = Pem.encodePrivateKey(keys.getPrivate())) {
        Files.write(key, pem.copyBytes());
      }
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("r--------"));
      return bundle;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private static Registered register(ApiTestClient api, int apiPort, String id) throws Exception {
    KeyPair keys = EcKeys.generate();
    String body = JSON.writeValueAsString(Map.of("id", id, "name", id, "labels", Map.of("fleet", "simulated", "role", "web"),
        "lifetimeSeconds", 86_400, "bootstrap", "reusable",
        "csr", Pem.encodeCertificateRequest(CertificateRequest.create(keys, Identity.node(id)))));
    ApiTestClient.Reply reply = api.post(apiPort, "/v1/nodes", body);
    if (reply.status() != 201) {
      throw new IllegalStateException("registering " + id + ": HTTP " + reply.status() + " " + reply.body());
    }
    List<String> edges = new ArrayList<>();
    reply.body().path("edges").forEach(edge -> edges.add(edge.asText()));
    if (edges.isEmpty()) {
      throw new IllegalStateException("the controller advertises no edge address");
    }
    return new Registered(id, keys, reply.body().path("certificate").asText(), reply.body().path("ca").asText(), edges);
  }

  /** An agent actor system; with fail-over its warnings are off (a stopped edge refuses connections for a while). */
  private static ActorSystem agentSystem(Path bundle, boolean failover) throws Exception {
    ReloadingTlsContext tls = ReloadingTlsContext.load(bundle.resolve("node.pem"), bundle.resolve("node.key"),
        bundle.resolve("ca.pem"), TlsPolicy.clientOfControllers(refusal -> say("TLS refusal: %s", refusal.getMessage()),
            Clock.systemUTC()), Duration.ofMinutes(10), failure -> { });
    return EdgeSystem.start("opencluster-agent", System.getProperty(BIND_HOST, "127.0.0.1"), 0, List.of(), false, tls, ConfigFactory.parseString("""
        pekko.loglevel = %s
        pekko.actor.default-dispatcher.fork-join-executor.parallelism-max = 2
        """.formatted(failover ? "ERROR" : "WARNING")), FleetSimulator.class.getClassLoader());
  }

  private static void say(String format, Object... arguments) {
    System.out.println("fleet: " + String.format(format, arguments));
    System.out.flush();
  }
}
