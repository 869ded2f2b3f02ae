package org.opencluster.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.opencluster.bench.fleet.FleetBench;
import org.opencluster.bench.journal.JournalThroughput;
import org.opencluster.bench.recovery.EntityRecovery;
import org.opencluster.bench.rotation.RotationBench;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs a benchmark suite, prints its table and writes its JSON.
 *
 * <pre>
 * java -jar bench/target/opencluster-bench.jar SUITE [OPTIONS] [--out FILE]
 * </pre>
 */
public final class Bench {

  private static final String USAGE = """
      Usage: java -jar bench/target/opencluster-bench.jar SUITE [OPTIONS] [--out FILE]

      Suites:
        crypto     JMH: sealed box seal/open (1 KiB, 64 KiB), frame MAC, ECDSA P-256 sign/verify
                   --quick: 1 fork, 2 warm-up and 3 measured iterations of 1 s (wide errors)
        journal    journal writes, encrypted vs plain, on H2 and PostgreSQL (embedded)
                   --writers N (default 32), --events N per writer (default 300)
        recovery   restart a controller with many active node entities: recovery time, heap per entity
                   --nodes N (default 10000), --database h2|postgresql (default postgresql)
        fleet      simulated agents (own node key, session, 1 s heartbeat each) in a second JVM over TLS
                   to one controller: heartbeats/s, ack latency, enrolments/s, controller heap,
                   false quarantines. --agents N[,N...] (default 1000,10000), --seconds S measured
                   (default 30), --systems K TLS links the fleet shares (default 8),
                   --database h2|postgresql (default postgresql); then one template change delivered
                   to the whole fleet: time until the last node holds it, files sealed and delivered/s
        boot       boot to secrets: a real agent process started until its last secure file is in tmpfs
                   (static, template, generated), p50/p99, enrolment share. --starts N (default 10)
        api        the operator API at fleet size: GET /v1/nodes/{id} and a filtered list, throughput,
                   p50, p99 (mutual TLS, audited). --nodes N registered (default 100000), --seconds S
                   per scenario (default 20), --clients C threads (default 16),
                   --database h2|postgresql (default postgresql)
        rotation   rotating shared secrets with simulated agents (as fleet): one secret read by a template
                   on every node rotated --rotations R times (default 3) across --agents N[,N...] (default
                   1000,10000): time to all acknowledged, to finished, to every agent holding it live; then
                   the compromise response: --secrets S (default 100) secrets consumed by every node of
                   --compromise-agents N (default 1000), one agent goes silent: time from its deadline to
                   quarantine, certificate refused, all urgent rotations finished. --systems K (default 8),
                   --database h2|postgresql (default postgresql)
        failover   high availability with 3 controller processes and simulated agents that fail over:
                   a rolling upgrade (SIGTERM, restart at a new app-version, one after the other, a
                   rotation under way), a kill -9 of the busiest controller, then (started through
                   bench/netns/bin/java as root) a network cut of the busiest from the others; per
                   fault the time until every node is acknowledged again, heartbeat p99 and max, the
                   longest gap; API errors, lost writes, false quarantines. --agents N (default 10000),
                   --systems K TLS links (default 8), --heartbeat S (default 1), --scenarios a
                   comma-separated subset of upgrade,kill,cut (default all three)

      --out FILE   where to write the JSON (default: bench/results/SUITE.json)
      """;

  private Bench() {}

  /** Each suite's flags, and whether each takes a value. */
  private static final Map<String, Map<String, Boolean>> OPTIONS = Map.of(
      "crypto", Map.of("--quick", false, "--out", true),
      "journal", Map.of("--writers", true, "--events", true, "--out", true),
      "recovery", Map.of("--nodes", true, "--database", true, "--out", true),
      "fleet", Map.of("--agents", true, "--seconds", true, "--systems", true, "--database", true, "--out", true),
      "boot", Map.of("--starts", true, "--out", true),
      "api", Map.of("--nodes", true, "--seconds", true, "--clients", true, "--database", true, "--out", true),
      "rotation", Map.of("--agents", true, "--rotations", true, "--compromise-agents", true, "--secrets", true,
          "--systems", true, "--database", true, "--out", true),
      "failover", Map.of("--agents", true, "--systems", true, "--heartbeat", true, "--scenarios", true, "--out", true));

  public static void main(String[] args) throws Exception {
    List<String> arguments = Arrays.asList(args);
    String suite = arguments.isEmpty() ? "" : arguments.get(0);
    if (arguments.contains("--help") || arguments.contains("-h")) {
      System.out.print(USAGE);
      System.exit(0);
    }
    Map<String, String> options = parse(suite, arguments);
    BenchReport report = switch (suite) {
      case "crypto" -> crypto(options.containsKey("--quick"));
      case "journal" -> JournalThroughput.run(number(options, "--writers", 32), number(options, "--events", 300));
      case "boot" -> org.opencluster.bench.boot.BootToSecrets.run(number(options, "--starts", 10));
      case "api" -> org.opencluster.bench.api.ApiBench.run(number(options, "--nodes", 100_000), number(options, "--seconds", 20),
          number(options, "--clients", 16), database(options));
      case "fleet" -> FleetBench.run(numbers(options, "--agents", List.of(1_000, 10_000)),
          number(options, "--seconds", 30), database(options), number(options, "--systems", 8));
      case "rotation" -> RotationBench.run(numbers(options, "--agents", List.of(1_000, 10_000)),
          number(options, "--rotations", 3), number(options, "--compromise-agents", 1_000),
          number(options, "--secrets", 100), database(options), number(options, "--systems", 8));
      case "failover" -> org.opencluster.bench.scenario.FailoverBench.run(number(options, "--agents", 10_000),
          number(options, "--systems", 8), number(options, "--heartbeat", 1), failoverScenarios(options));
      default -> EntityRecovery.run(number(options, "--nodes", 10_000), database(options));
    };
    Path out = options.containsKey("--out")
        ? Path.of(options.get("--out")) : Path.of("bench", "results", suite + ".json");
    report.print(System.out);
    report.write(out);
    System.out.println();
    System.out.println("Wrote " + out.toAbsolutePath());
    System.exit(0);
  }

  /** The fail-over scenarios to run, by their names in the report; usage and exit 2 for an unknown one. */
  private static List<String> failoverScenarios(Map<String, String> options) {
    Map<String, String> byFlag = new java.util.LinkedHashMap<>();
    byFlag.put("upgrade", "rolling upgrade");
    byFlag.put("kill", "kill -9");
    byFlag.put("cut", "network cut");
    if (!options.containsKey("--scenarios")) {
      return List.copyOf(byFlag.values());
    }
    List<String> chosen = new java.util.ArrayList<>();
    for (String flag : options.get("--scenarios").split(",")) {
      String scenario = byFlag.get(flag.trim());
      if (scenario == null) {
        usage("unknown fail-over scenario '" + flag.trim() + "' (upgrade, kill or cut)");
      }
      if (!chosen.contains(scenario)) {
        chosen.add(scenario);
      }
    }
    return chosen;
  }

  /** The suite's options, or usage and exit 2 for an unknown suite, flag or missing value. */
  private static Map<String, String> parse(String suite, List<String> arguments) {
    Map<String, Boolean> known = OPTIONS.get(suite);
    if (known == null) {
      usage(suite.isEmpty() ? "name a suite" : "unknown suite '" + suite + "'");
    }
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i < arguments.size(); i++) {
      String flag = arguments.get(i);
      Boolean takesValue = known.get(flag);
      if (takesValue == null) {
        usage("unknown option '" + flag + "' for suite " + suite);
      } else if (takesValue) {
        if (i + 1 >= arguments.size()) {
          usage(flag + " needs a value");
        }
        options.put(flag, arguments.get(++i));
      } else {
        options.put(flag, "");
      }
    }
    return options;
  }

  private static String database(Map<String, String> options) {
    String database = options.getOrDefault("--database", "postgresql");
    if (!database.equals("postgresql") && !database.equals("h2")) {
      usage("--database must be h2 or postgresql");
    }
    return database;
  }

  private static List<Integer> numbers(Map<String, String> options, String name, List<Integer> fallback) {
    if (!options.containsKey(name)) {
      return fallback;
    }
    List<Integer> values = new ArrayList<>();
    for (String part : options.get(name).split(",", -1)) {
      Map<String, String> one = Map.of(name, part.strip());
      values.add(number(one, name, 0));
    }
    return values;
  }

  private static int number(Map<String, String> options, String name, int fallback) {
    if (!options.containsKey(name)) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(options.get(name));
      if (value <= 0) {
        usage(name + " must be positive");
      }
      return value;
    } catch (NumberFormatException e) {
      return usage(name + " must be a number");
    }
  }

  private static <T> T usage(String problem) {
    System.err.println("error: " + problem);
    System.err.print(USAGE);
    System.exit(2);
    throw new IllegalStateException("unreachable");
  }

  static BenchReport crypto(boolean quick) throws RunnerException {
    int forks = quick ? 1 : 2;
    int warmups = quick ? 2 : 3;
    int measurements = quick ? 3 : 5;
    ChainedOptionsBuilder options = new OptionsBuilder()
        .include("org\\.opencluster\\.bench\\.crypto\\..*")
        .mode(Mode.AverageTime)
        .timeUnit(TimeUnit.MICROSECONDS)
        .forks(forks)
        .warmupIterations(warmups)
        .warmupTime(TimeValue.seconds(1))
        .measurementIterations(measurements)
        .measurementTime(TimeValue.seconds(1))
        .threads(1)
        .shouldFailOnError(true);
    Collection<RunResult> results = new Runner(options.build()).run();
    String setup = String.format(Locale.ROOT, "JMH avgt, %d fork(s), %dx1s warm-up, %dx1s measured, 1 thread; %s; %s cores",
        forks, warmups, measurements, BenchReport.machine().get("java"), BenchReport.machine().get("cores"));
    BenchReport report = new BenchReport("crypto micro-benchmarks");
    for (RunResult result : results) {
      BenchmarkParams params = result.getParams();
      Result<?> primary = result.getPrimaryResult();
      report.add(figure(params), primary.getScoreUnit(), primary.getScore(), primary.getScoreError(), setup);
    }
    return report;
  }

  /** "SealedBox.open, size=1024 B" from the benchmark's class, method and parameters. */
  private static String figure(BenchmarkParams params) {
    String benchmark = params.getBenchmark();
    String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
    String type = benchmark.substring(0, benchmark.lastIndexOf('.'));
    type = type.substring(type.lastIndexOf('.') + 1).replace("Benchmark", "");
    StringBuilder figure = new StringBuilder(type).append('.').append(method);
    for (String key : params.getParamsKeys()) {
      figure.append(", ").append(key).append('=').append(params.getParam(key)).append(" B");
    }
    return figure.toString();
  }
}
