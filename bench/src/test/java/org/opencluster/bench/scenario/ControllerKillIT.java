package org.opencluster.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three controller processes and 1,000 simulated nodes that fail over like real agents; the
 * controller hosting the most node shards is killed with SIGKILL. The Split Brain Resolver must
 * remove it, the survivors take its shards, and every node is acknowledged again without being
 * quarantined. Afterwards the killed controller is started again, so that the shared cluster
 * ({@link SharedCluster}) is whole for the next scenario.
 */
@ExtendWith(SharedCluster.class)
class ControllerKillIT {

  private static final int AGENTS = SharedCluster.AGENTS;

  @Test
  void killingTheBusiestController_movesItsShardsToTheSurvivors_andQuarantinesNoNode(ScenarioCluster cluster)
      throws Exception {
    FailoverScenarios.Outcome outcome = null;
    try {
      outcome = FailoverScenarios.killBusiest(cluster);
      FailoverScenarios.Outcome killed = outcome;
      String summary = outcome.summary();

      assertThat(outcome.members()).as("the survivors list only themselves, up\n" + summary)
          .hasSize(2)
          .allSatisfy((through, members) -> assertThat(members).doesNotContainKey(killed.victim()).hasSize(2)
              .allSatisfy((member, state) -> assertThat(state).startsWith("up ")));
      assertThat(outcome.shardsAfter()).as("node-entity shards the survivors host\n" + summary)
          .isEqualTo(outcome.shardsBefore());
      assertThat(outcome.events().get(0).agentsAckedAgain()).as("agents acknowledged again\n" + summary)
          .isEqualTo(AGENTS);
      assertThat(outcome.events().get(0).gapsOverLease())
          .as("agents that went longer than their lease without an acknowledgement (a real one wipes and stops)\n"
              + summary).isZero();
      assertThat(outcome.nodes().notActive()).as("nodes not active at the end\n" + summary).isZero();
      assertThat(outcome.quarantinedSeen()).as("Quarantined frames the agents received\n" + summary).isZero();
      assertThat(outcome.lostWrites()).as("acknowledged operator writes missing at the end\n" + summary).isEmpty();
      assertThat(outcome.apiErrorsWhileServing()).as("GET /v1/cluster failures through the survivors\n" + summary)
          .isZero();
    } catch (Throwable failure) {
      System.out.println(cluster.diagnostics());
      throw failure;
    } finally {
      if (outcome != null) {
        String victim = outcome.victim();
        String version = cluster.controller(cluster.serving().iterator().next()).appVersion();
        cluster.restart(victim, version);
      }
    }
  }
}
