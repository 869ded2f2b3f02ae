package org.opencluster.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three controller processes, 1,000 simulated nodes that fail over like real agents, a rotation
 * of a secret every node consumes under way: each controller in turn is stopped with SIGTERM and
 * started again with a higher app-version, the next only once it has unsealed from its peers and
 * is ready. Nothing an operator or a node would notice may go wrong. (The cluster is shared with
 * the other scenarios: {@link SharedCluster}.)
 */
@ExtendWith(SharedCluster.class)
class RollingUpgradeIT {

  private static final int AGENTS = SharedCluster.AGENTS;

  @Test
  void aRollingUpgradeUnderLoad_losesNoNodeNoWriteAndNoApiRequest_andFinishesTheRotation(ScenarioCluster cluster)
      throws Exception {
    try {
      FailoverScenarios.Outcome outcome = FailoverScenarios.rollingUpgrade(cluster);
      String summary = outcome.summary();

      assertThat(outcome.nodes().notActive()).as("nodes not active at the end\n" + summary).isZero();
      assertThat(outcome.quarantinedSeen()).as("Quarantined frames the agents received\n" + summary).isZero();
      assertThat(outcome.events()).allSatisfy(event ->
          assertThat(event.agentsAckedAgain()).as("agents acknowledged again after " + event).isEqualTo(AGENTS));
      assertThat(outcome.events()).allSatisfy(event -> assertThat(event.gapsOverLease())
          .as("agents that went longer than their lease without an acknowledgement (a real one wipes and stops) in "
              + event).isZero());
      assertThat(outcome.writes().acknowledged()).as("acknowledged operator writes\n" + summary).isPositive();
      assertThat(outcome.lostWrites()).as("acknowledged operator writes missing at the end\n" + summary).isEmpty();
      assertThat(outcome.writes().errorsThroughServing()).as("operator writes refused by controllers that stayed up\n"
          + summary).isZero();
      assertThat(outcome.apiErrorsWhileServing()).as("GET /v1/cluster failures through controllers that were up\n"
          + summary).isZero();
      assertThat(outcome.rotation().consistent(outcome.rotationVersion(), AGENTS))
          .as("the rotation finished at version " + outcome.rotationVersion() + " and every node holds it\n" + summary)
          .isTrue();
      assertThat(outcome.members()).as("every controller lists every member up at the new version\n" + summary)
          .allSatisfy((through, members) -> assertThat(members).hasSize(3)
              .allSatisfy((member, state) -> assertThat(state).isEqualTo("up " + FailoverScenarios.NEW_VERSION)));
      assertThat(outcome.shardsAfter()).as("node-entity shards hosted at the end\n" + summary)
          .isEqualTo(outcome.shardsBefore());
    } catch (Throwable failure) {
      System.out.println(cluster.diagnostics());
      throw failure;
    }
  }
}
