package org.opencluster.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three controller processes and 1,000 simulated nodes that fail over like real agents; the
 * controller hosting the most node shards is killed with SIGKILL. The Split Brain Resolver must
 * remove it, the survivors take its shards, and every node is acknowledged again without being
 * quarantined.
 */
class ControllerKillIT {

  private static final int AGENTS = 1_000;

  @TempDir
  Path directory;

  @Test
  void killingTheBusiestController_movesItsShardsToTheSurvivors_andQuarantinesNoNode() throws Exception {
    try (ScenarioCluster cluster = ScenarioCluster.start(ScenarioCluster.Settings.of(AGENTS, directory))) {
      try {
        FailoverScenarios.Outcome outcome = FailoverScenarios.killBusiest(cluster);
        String summary = outcome.summary();

        assertThat(outcome.members()).as("the survivors list only themselves, up\n" + summary)
            .hasSize(2)
            .allSatisfy((through, members) -> assertThat(members).doesNotContainKey(outcome.victim()).hasSize(2)
                .allSatisfy((member, state) -> assertThat(state).startsWith("up ")));
        assertThat(outcome.shardsAfter()).as("node-entity shards the survivors host\n" + summary)
            .isEqualTo(outcome.shardsBefore());
        assertThat(outcome.events().get(0).agentsAckedAgain()).as("agents acknowledged again\n" + summary)
            .isEqualTo(AGENTS);
        assertThat(outcome.nodes().notActive()).as("nodes not active at the end\n" + summary).isZero();
        assertThat(outcome.quarantinedSeen()).as("Quarantined frames the agents received\n" + summary).isZero();
        assertThat(outcome.lostWrites()).as("acknowledged operator writes missing at the end\n" + summary).isEmpty();
      } catch (Throwable failure) {
        System.out.println(cluster.diagnostics());
        throw failure;
      }
    }
  }
}
