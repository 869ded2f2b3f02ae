package org.opencluster.bench.scenario;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.opencluster.bench.BenchReport;

/**
 * The {@code failover} suite: the two high-availability scenarios of the integration tests at
 * bench size, each on a fresh {@link ScenarioCluster} (3 controller processes, embedded
 * PostgreSQL, the simulated fleet in its own JVM): a rolling upgrade (SIGTERM and restart at a new
 * app-version, one controller after the other, a rotation under way) and a kill -9 of the
 * controller hosting the most node shards. Per fault: the time until every node is acknowledged
 * again, the heartbeat round trip's p99 and maximum and the longest gap between acknowledgements;
 * per scenario: management API errors, lost operator writes and false quarantines (all must be 0).
 */
public final class FailoverBench {

  private FailoverBench() {}

  /**
   * @param agents simulated nodes
   * @param links TLS links the simulated agents share
   * @param heartbeatSeconds the nodes' heartbeat interval
   */
  public static BenchReport run(int agents, int links, int heartbeatSeconds) throws Exception {
    BenchReport report = new BenchReport("fail-over: rolling upgrade and kill -9 of a controller under a simulated fleet");
    for (String scenario : new String[] {"rolling upgrade", "kill -9"}) {
      System.out.printf(Locale.ROOT, "%s with %,d simulated nodes%n", scenario, agents);
      Path directory = Files.createTempDirectory("opencluster-failover");
      ScenarioCluster.Settings defaults = ScenarioCluster.Settings.of(agents, directory);
      ScenarioCluster.Settings settings = new ScenarioCluster.Settings(defaults.controllers(), agents, links,
          heartbeatSeconds, defaults.controllerHeap(), defaults.simulatorHeap(), directory);
      try (ScenarioCluster cluster = ScenarioCluster.start(settings)) {
        try {
          FailoverScenarios.Outcome outcome = scenario.equals("kill -9")
              ? FailoverScenarios.killBusiest(cluster) : FailoverScenarios.rollingUpgrade(cluster);
          add(report, outcome, setup(settings));
        } catch (Exception | Error e) {
          System.out.println(cluster.diagnostics());
          throw e;
        }
      }
    }
    return report;
  }

  private static void add(BenchReport report, FailoverScenarios.Outcome outcome, String setup) {
    String label = outcome.scenario().startsWith("kill") ? "kill -9: " : "rolling upgrade: ";
    for (EventFigures event : outcome.events()) {
      String of = label + event.event() + " " + event.controller() + ": ";
      report.add(of + "every node acknowledged again", "s", event.ackedAgainSeconds(), Double.NaN,
          event.agentsAckedAgain() + " agents; from the end of the fault (process exited, or restarted and ready) "
              + "to the last agent's first acknowledgement; " + setup);
      report.add(of + "heartbeat round trip p99", "ms", event.heartbeatP99Millis(), Double.NaN,
          "acknowledged heartbeats from the fault's start to the last agent acknowledged again");
      report.add(of + "heartbeat round trip max", "ms", event.heartbeatMaxMillis(), Double.NaN, "");
      report.add(of + "longest gap between acknowledgements", "s", event.maxAckGapSeconds(), Double.NaN,
          "any agent, same window; " + event.heartbeatsSent() + " heartbeats sent, " + event.acks() + " acknowledged");
      report.add(of + "the fault itself", "s", event.faultSeconds(), Double.NaN,
          event.event().equals("restart") ? "start to ready (unsealed from peers) and listed up by all"
              : "signal to process exit");
    }
    if (outcome.victim() != null) {
      report.add(label + "SIGKILL -> survivors list only themselves", "s", outcome.removedSeconds(), Double.NaN,
          "Split Brain Resolver keep-majority, stable-after 5 s");
    }
    report.add(label + "management API errors through controllers up", "requests", outcome.apiErrorsWhileServing(),
        Double.NaN, "GET /v1/cluster every 500 ms through each; " + outcome.api());
    report.add(label + "operator writes refused by controllers up", "writes", outcome.writes().errorsThroughServing(),
        Double.NaN, outcome.writes().acknowledged() + " of " + outcome.writes().attempted() + " acknowledged; "
            + outcome.writes().lastError());
    report.add(label + "acknowledged operator writes lost", "writes", outcome.lostWrites().size(), Double.NaN,
        "must be 0");
    report.add(label + "false quarantines", "nodes", outcome.nodes().quarantined(), Double.NaN,
        "must be 0; " + outcome.nodes().notActive() + " not active; " + outcome.quarantinedSeen()
            + " Quarantined frames seen by agents");
    report.add(label + "agent fail-overs", "count", outcome.fleet().path("failovers").asLong(), Double.NaN,
        "redirects (MOVED) followed " + outcome.fleet().path("redirects").asLong() + ", re-enrolments "
            + outcome.fleet().path("reEnrolments").asLong() + ", refusals " + outcome.fleet().path("refused"));
    if (outcome.rotation() != null) {
      report.add(label + "rotation consistent at the end", "bool",
          outcome.rotation().consistent(outcome.rotationVersion(), outcome.nodes().checked()) ? 1 : 0, Double.NaN,
          "finished at version " + outcome.rotation().currentVersion() + " (started " + outcome.rotationVersion()
              + "); agents holding the new content " + outcome.rotation().agentsHoldingNewContent());
    }
    report.add(label + "whole scenario", "s", outcome.seconds(), Double.NaN, "set-up excluded");
  }

  private static String setup(ScenarioCluster.Settings settings) {
    return String.format(Locale.ROOT, "%d controller processes (-Xmx%s), %d agents (%d s heartbeat) over %d TLS links "
            + "in a JVM of their own, PostgreSQL embedded; %s; %s cores", settings.controllers(),
        settings.controllerHeap(), settings.agents(), settings.heartbeatSeconds(), settings.links(),
        BenchReport.machine().get("java"), BenchReport.machine().get("cores"));
  }
}
