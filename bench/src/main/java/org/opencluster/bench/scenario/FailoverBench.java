package org.opencluster.bench.scenario;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.opencluster.bench.BenchReport;

/**
 * The {@code failover} suite: the high-availability scenarios of the integration tests at bench
 * size, each on a fresh {@link ScenarioCluster} (3 controller processes, embedded PostgreSQL, the
 * simulated fleet in its own JVM): a rolling upgrade (SIGTERM and restart at a new app-version,
 * one controller after the other, a rotation under way), a kill -9 of the controller hosting the
 * most node shards and, where this JVM runs in a hub made by {@code bench/netns/bin/java} (as
 * root), a network cut of that controller from the others, healed and restarted after; elsewhere
 * the cut is skipped, with one line saying so, and adds no rows. Per fault: the time until every
 * node is acknowledged again, the heartbeat round trip's p99 and maximum and the longest gap
 * between acknowledgements; per scenario: management API errors, lost operator writes and false
 * quarantines (all must be 0); for the cut also the cut-off controller's exit code (must be 255).
 */
public final class FailoverBench {

  private FailoverBench() {}

  /**
   * @param agents simulated nodes
   * @param links TLS links the simulated agents share
   * @param heartbeatSeconds the nodes' heartbeat interval
   * @param scenarios which of "rolling upgrade", "kill -9" and "network cut" to run, in that order
   */
  public static BenchReport run(int agents, int links, int heartbeatSeconds, List<String> scenarios) throws Exception {
    BenchReport report = new BenchReport(
        "fail-over: rolling upgrade, kill -9 and network cut of a controller under a simulated fleet");
    for (String scenario : List.of("rolling upgrade", "kill -9", "network cut")) {
      if (!scenarios.contains(scenario)) {
        continue;
      }
      // ScenarioCluster.canCut() is Netns.inHub(): asked here, before a cluster is set up for nothing.
      if (scenario.equals("network cut") && !Netns.inHub()) {
        System.out.println("network cut: skipped: it needs each controller in a network namespace of its own, "
            + "so this JVM must be started through bench/netns/bin/java as root (with unshare, nsenter and ip)");
        continue;
      }
      System.out.printf(Locale.ROOT, "%s with %,d simulated nodes%n", scenario, agents);
      Path directory = Files.createTempDirectory("opencluster-failover");
      ScenarioCluster.Settings defaults = ScenarioCluster.Settings.of(agents, directory);
      ScenarioCluster.Settings settings = new ScenarioCluster.Settings(defaults.controllers(), agents, links,
          heartbeatSeconds, defaults.controllerHeap(), defaults.simulatorHeap(), directory);
      try (ScenarioCluster cluster = ScenarioCluster.start(settings)) {
        try {
          FailoverScenarios.Outcome outcome = switch (scenario) {
            case "kill -9" -> FailoverScenarios.killBusiest(cluster);
            case "network cut" -> FailoverScenarios.networkCut(cluster);
            default -> FailoverScenarios.rollingUpgrade(cluster);
          };
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
    boolean cut = outcome.scenario().startsWith("network cut");
    String label = outcome.scenario().startsWith("kill") ? "kill -9: " : cut ? "network cut: " : "rolling upgrade: ";
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
      report.add(of + "acknowledgement gaps longer than the agents' lease", "gaps", event.gapsOverLease(), Double.NaN,
          "same window; lease " + org.opencluster.bench.fleet.FleetSimulator.LEASE.toSeconds()
              + " s: a real agent would have wiped its files and stopped (the simulator does not)");
      report.add(of + "the fault itself", "s", event.faultSeconds(), Double.NaN, fault(event.event()));
    }
    if (outcome.victim() != null) {
      report.add(label + (cut ? "cut" : "SIGKILL") + " -> survivors list only themselves", "s",
          outcome.removedSeconds(), Double.NaN, "Split Brain Resolver keep-majority, stable-after 5 s");
    }
    if (cut) {
      report.add(label + "cut-off controller's exit code", "code", outcome.victimExit(), Double.NaN,
          "must be 255 (downed by the cluster: the Split Brain Resolver on its own side); -1: it did not exit by "
              + "itself within 2 min and was killed");
    }
    report.add(label + "management API errors through controllers up", "requests", outcome.apiErrorsWhileServing(),
        Double.NaN, "GET /v1/cluster every 500 ms through each; " + outcome.api());
    report.add(label + "operator writes refused by controllers up", "writes", outcome.writes().errorsThroughServing(),
        Double.NaN, outcome.writes().acknowledged() + " of " + outcome.writes().attempted() + " acknowledged; "
            + String.join("; ", outcome.writes().errors()));
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

  /** What "the fault itself" measures, by event. */
  private static String fault(String event) {
    return switch (event) {
      case "restart" -> "start to ready (unsealed from peers) and listed up by all";
      case "cut" -> "cut to the process's own exit (downed by the cluster)";
      case "heal and restart" -> "heal, then start to ready (unsealed from peers) and listed up by all";
      default -> "signal to process exit";
    };
  }

  private static String setup(ScenarioCluster.Settings settings) {
    return String.format(Locale.ROOT, "%d controller processes (-Xmx%s), %d agents (%d s heartbeat) over %d TLS links "
            + "in a JVM of their own, PostgreSQL embedded; %s; %s cores", settings.controllers(),
        settings.controllerHeap(), settings.agents(), settings.heartbeatSeconds(), settings.links(),
        BenchReport.machine().get("java"), BenchReport.machine().get("cores"));
  }
}
