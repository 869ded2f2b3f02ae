package org.opencluster.bench.api;

import com.typesafe.config.Config;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.opencluster.bench.BenchReport;
import org.opencluster.controller.Controller;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Role;
import org.opencluster.protocol.tls.KeyMaterial;
import org.opencluster.protocol.tls.TlsContexts;
import org.opencluster.protocol.tls.TlsPolicy;

/**
 * The operator API under load at fleet size: one controller holding N registered nodes (each its
 * node entity, and a row of the read model), and an operator client on loopback sending requests
 * from C threads for a fixed time per scenario. Every request goes through mutual TLS, the role
 * check and the audit log (a GET waits for its outcome record), as in production.
 *
 * <p>Scenarios: {@code GET /v1/nodes/ID} of a random node (asks its entity through sharding), and
 * the first page of a filtered list ({@code GET /v1/nodes?label=zone=zK&limit=100}, a tenth of
 * the fleet matches; the read model).
 */
public final class ApiBench {

  private static final int IN_FLIGHT = 200;
  private static final int ZONES = 10;
  private static final Duration ASK = Duration.ofSeconds(60);
  private static final Duration CATCH_UP_LIMIT = Duration.ofMinutes(20);

  private ApiBench() {}

  public static BenchReport run(int nodes, int seconds, int clients, String database) throws Exception {
    BenchReport report = new BenchReport("operator API at fleet size");
    StorageSettings storage = database.equals("h2") ? TestDatabases.freshH2() : TestDatabases.freshPostgres();
    Path directory = Files.createTempDirectory("opencluster-api-bench");
    String setup = String.format(Locale.ROOT, "%d registered nodes, one controller, %s; %d client threads on loopback, "
            + "%d s per scenario, mutual TLS, every request audited; %s heap max %s MiB; %s cores", nodes,
        database.equals("h2") ? "H2 file" : "PostgreSQL 17 embedded", clients, seconds, BenchReport.machine().get("java"),
        BenchReport.machine().get("maxHeapMiB"), BenchReport.machine().get("cores"));
    try (TestCluster cluster = new TestCluster(directory);
        SecretBytes key = SecretBytes.random(32)) {
      Config config = cluster.controllerConfig("ctl-1", TestCluster.freePort(), List.of(), storage);
      Controller controller = cluster.start(config);
      controller.seal().initializeWithKey(key);
      controller.seal().unsealWithKey(key);
      long registering = System.nanoTime();
      register(controller, nodes);
      double registrationSeconds = (System.nanoTime() - registering) / 1e9;
      double lagSeconds = awaitReadModel(controller, nodes);
      report.add("register (entity + journal)", "nodes/s", nodes / registrationSeconds, Double.NaN, setup);
      report.add("read model complete, after the last registration", "s", lagSeconds, Double.NaN, setup);

      HttpClient http = client(cluster.issueOperator("bench", Role.AUDITOR));
      String base = "https://127.0.0.1:" + controller.apiPort();
      Latencies byId = load(http, clients, seconds,
          n -> URI.create(base + "/v1/nodes/n-" + ThreadLocalRandom.current().nextInt(nodes)));
      Latencies filtered = load(http, clients, seconds,
          n -> URI.create(base + "/v1/nodes?label=zone=z" + ThreadLocalRandom.current().nextInt(ZONES) + "&limit=100"));
      byId.report(report, "GET /v1/nodes/{id}", setup);
      filtered.report(report, "GET /v1/nodes?label=zone=zK&limit=100 (first page, 1/10 match)", setup);
    }
    return report;
  }

  /** Registers nodes n-0 .. n-(N-1) through sharding, {@value #IN_FLIGHT} at a time, in ten zones. */
  private static void register(Controller controller, int nodes) throws Exception {
    ClusterSharding sharding = ClusterSharding.get(controller.system());
    for (int batch = 0; batch < nodes; batch += IN_FLIGHT) {
      List<CompletableFuture<?>> pending = new ArrayList<>();
      for (int n = batch; n < Math.min(nodes, batch + IN_FLIGHT); n++) {
        var node = sharding.entityRefFor(NodeEntity.ENTITY_KEY, "n-" + n);
        Map<String, String> labels = Map.of("role", "web", "zone", "z" + (n % ZONES));
        String name = "host-" + n;
        pending.add(node.<StatusReply<NodeEntity.Registration>>ask(
            r -> new NodeEntity.Register(name, labels, Duration.ofDays(30), r), ASK).toCompletableFuture());
      }
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
    }
  }

  /** Seconds from now until the read model holds every node, bounded. */
  private static double awaitReadModel(Controller controller, int nodes) throws Exception {
    long start = System.nanoTime();
    long giveUpAt = start + CATCH_UP_LIMIT.toNanos();
    while (viewRows(controller) < nodes) {
      if (System.nanoTime() > giveUpAt) {
        throw new IllegalStateException("the read model held fewer than " + nodes + " nodes " + CATCH_UP_LIMIT
            + " after the registrations");
      }
      Thread.sleep(200); // polling a database count, not synchronising test steps
    }
    return (System.nanoTime() - start) / 1e9;
  }

  private static long viewRows(Controller controller) throws Exception {
    try (Connection connection = controller.storage().dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM node_view")) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private static HttpClient client(Path files) throws Exception {
    KeyMaterial material = KeyMaterial.load(files.resolve("cert.pem"), files.resolve("key.pem"), files.resolve("ca.pem"));
    SSLContext context = TlsContexts.create(material, TlsPolicy.clientOfControllers(r -> { }, Clock.systemUTC()));
    SSLParameters parameters = new SSLParameters();
    parameters.setProtocols(new String[] {TlsContexts.PROTOCOL});
    return HttpClient.newBuilder().sslContext(context).sslParameters(parameters).version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** Latencies in nanoseconds of the successful requests, and how many failed. */
  private record Latencies(long[] nanos, long failed, double seconds) {
    void report(BenchReport report, String scenario, String setup) {
      long[] sorted = nanos.clone();
      Arrays.sort(sorted);
      report.add(scenario + ", throughput", "requests/s", sorted.length / seconds, Double.NaN, setup);
      report.add(scenario + ", p50", "ms", percentile(sorted, 0.50) / 1e6, Double.NaN, setup);
      report.add(scenario + ", p99", "ms", percentile(sorted, 0.99) / 1e6, Double.NaN, setup);
      report.add(scenario + ", failed", "requests", failed, Double.NaN, setup);
    }

    private static double percentile(long[] sorted, double p) {
      return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }
  }

  /** {@code clients} threads each sending requests back to back for {@code seconds} (after a 2 s warm-up). */
  private static Latencies load(HttpClient http, int clients, int seconds, IntFunction<URI> target) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(clients);
    try {
      long warmUpEnds = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      long ends = warmUpEnds + TimeUnit.SECONDS.toNanos(seconds);
      List<Future<long[]>> results = new ArrayList<>();
      long[] failed = new long[clients];
      for (int c = 0; c < clients; c++) {
        int client = c;
        results.add(threads.submit(() -> {
          long[] samples = new long[1024];
          int count = 0;
          while (true) {
            long started = System.nanoTime();
            if (started >= ends) {
              return Arrays.copyOf(samples, count);
            }
            HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(target.apply(client)).GET()
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
            long took = System.nanoTime() - started;
            if (started < warmUpEnds) {
              continue;
            }
            if (response.statusCode() != 200) {
              failed[client]++;
              continue;
            }
            if (count == samples.length) {
              samples = Arrays.copyOf(samples, count * 2);
            }
            samples[count++] = took;
          }
        }));
      }
      List<long[]> all = new ArrayList<>();
      for (Future<long[]> result : results) {
        all.add(result.get(seconds + 120L, TimeUnit.SECONDS));
      }
      long[] nanos = all.stream().flatMapToLong(Arrays::stream).toArray();
      return new Latencies(nanos, Arrays.stream(failed).sum(), seconds);
    } finally {
      threads.shutdownNow();
    }
  }
}
