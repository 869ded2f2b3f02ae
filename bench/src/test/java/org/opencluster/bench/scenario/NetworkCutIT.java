package org.opencluster.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three controller processes, each in a network namespace of its own, and 1,000 simulated nodes
 * that fail over like real agents; the controller hosting the most node shards is cut off from
 * the other two (packets dropped in the kernel), while it still reaches the database and its
 * agents. The Split Brain Resolver must resolve the cut on both sides: the cut-off controller
 * downs itself (exit 255), the majority takes its shards and, through fail-over, its agents, and
 * no node is quarantined for it. Then the cut heals and the controller is started again, so that
 * the shared cluster ({@link SharedCluster}) is whole for the next scenario.
 *
 * <p>Needs the hub: this JVM started through {@code bench/netns/bin/java} as root (bench/pom.xml
 * does that where the machine allows it); skipped otherwise.
 */
@ExtendWith(SharedCluster.class)
class NetworkCutIT {

  private static final int AGENTS = SharedCluster.AGENTS;

  @Test
  void cuttingTheBusiestControllerOff_downsItOnBothSides_andQuarantinesNoNode(ScenarioCluster cluster)
      throws Exception {
    assumeTrue(cluster.canCut(), "network namespaces are not available here (run as root, with unshare and ip)");
    try {
      FailoverScenarios.Outcome outcome = FailoverScenarios.networkCut(cluster);
      String summary = outcome.summary();

      assertThat(outcome.victimExit()).as("the cut-off controller's exit code (255: downed by the cluster)\n" + summary)
          .isEqualTo(255);
      assertThat(outcome.checks()).as("checks on the way\n" + summary).isNotEmpty()
          .allSatisfy((check, held) -> assertThat(held).as(check + "\n" + summary).isTrue());
      assertThat(outcome.events()).allSatisfy(event ->
          assertThat(event.agentsAckedAgain()).as("agents acknowledged again after " + event).isEqualTo(AGENTS));
      assertThat(outcome.events()).allSatisfy(event -> assertThat(event.gapsOverLease())
          .as("agents that went longer than their lease without an acknowledgement (a real one wipes and stops) in "
              + event).isZero());
      assertThat(outcome.nodes().notActive()).as("nodes not active at the end\n" + summary).isZero();
      assertThat(outcome.quarantinedSeen()).as("Quarantined frames the agents received\n" + summary).isZero();
      assertThat(outcome.lostWrites()).as("acknowledged operator writes missing at the end\n" + summary).isEmpty();
      assertThat(outcome.apiErrorsWhileServing()).as("GET /v1/cluster failures through controllers that were up\n"
          + summary).isZero();
      assertThat(outcome.members()).as("after the heal and restart, every controller lists all three up\n" + summary)
          .hasSize(3)
          .allSatisfy((through, members) -> assertThat(members).hasSize(3)
              .allSatisfy((member, state) -> assertThat(state).startsWith("up ")));
      assertThat(outcome.shardsAfter()).as("node-entity shards hosted at the end\n" + summary)
          .isEqualTo(outcome.shardsBefore());
    } catch (Throwable failure) {
      System.out.println(cluster.diagnostics());
      throw failure;
    }
  }
}
