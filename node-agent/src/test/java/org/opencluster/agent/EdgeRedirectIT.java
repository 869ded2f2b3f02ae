package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.Controller;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;

/**
 * Agents follow the edge's redirect: two controllers in this JVM (real TLS, one PostgreSQL store)
 * and real agents in this JVM that know both edges. When the controller carrying agents leaves
 * (Coordinated Shutdown), its edge tells each of them to move before it stops: they carry their
 * sessions on through the other edge at once, without a missed heartbeat's fail-over and without
 * enrolling again. When a controller joins later, the balancing sends it its share of the agents.
 */
class EdgeRedirectIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final int AGENTS = 6;

  @TempDir
  Path tmp;

  @Test
  void whenItsControllerLeaves_theEdgeRedirectsItsAgents_whichCarryOnWithoutFailingOverOrEnrollingAgain()
      throws Exception {
    try (Testbed testbed = new Testbed(tmp, TestDatabases.freshPostgres())) {
      // No balancing here: where the agents are is where they chose.
      Config config = ConfigFactory.parseString("opencluster.controller.edge.balance-interval = 0s");
      int seed = TestCluster.freePort();
      Controller first = testbed.controller("ctl-1", seed, List.of(seed), config);
      Controller second = testbed.controller("ctl-2", TestCluster.freePort(), List.of(seed), config);
      List<String> edges = List.of(testbed.edgeOf(first), testbed.edgeOf(second));
      Map<String, Agent> agents = startAgents(testbed, first, edges);
      await().atMost(TIMEOUT).until(() -> first.edge().sessions().active(Duration.ofSeconds(3))
          + second.edge().sessions().active(Duration.ofSeconds(3)) == AGENTS);
      Controller leaving = first.edge().sessions().active(Duration.ofSeconds(3))
          >= second.edge().sessions().active(Duration.ofSeconds(3)) ? first : second;
      Controller staying = leaving == first ? second : first;
      int moving = leaving.edge().sessions().active(Duration.ofSeconds(3));
      Map<String, long[]> before = counters(agents);

      testbed.cluster().stop(leaving);

      await("every agent carries on through the other edge").atMost(TIMEOUT)
          .until(() -> staying.edge().sessions().active(Duration.ofSeconds(2)) == AGENTS);
      Map<String, long[]> after = counters(agents);
      long redirected = 0;
      for (String node : agents.keySet()) {
        long[] was = before.get(node);
        long[] is = after.get(node);
        redirected += is[0] - was[0];
        assertThat(is[1]).as(node + ": no fail-over (no missed heartbeats)").isEqualTo(was[1]);
        assertThat(is[2]).as(node + ": no new enrolment (the session went on)").isEqualTo(was[2]);
        assertThat(agents.get(node).state().holdingSecrets()).as(node + " keeps its session").isTrue();
        assertThat(testbed.status(staying, node).path("stage").asText()).isEqualTo("active");
      }
      assertThat(redirected).as("each agent of the leaving edge followed one redirect").isEqualTo(moving);
      assertThat(moving).as("the leaving edge carried agents").isPositive();
    }
  }

  @Test
  void aControllerThatJoinsLater_receivesItsShareOfTheAgents() throws Exception {
    try (Testbed testbed = new Testbed(tmp, TestDatabases.freshPostgres())) {
      int laterEdge = TestCluster.freePort();
      Config config = ConfigFactory.parseString("opencluster.controller.edge.balance-interval = 1s");
      int seed = TestCluster.freePort();
      Controller first = testbed.controller("ctl-1", seed, List.of(seed), config);
      List<String> edges = List.of(testbed.edgeOf(first), "127.0.0.1:" + laterEdge);
      Map<String, Agent> agents = startAgents(testbed, first, edges);
      await().atMost(TIMEOUT).until(() -> first.edge().sessions().active(Duration.ofSeconds(3)) == AGENTS);

      Controller later = testbed.controller("ctl-2", TestCluster.freePort(), List.of(seed),
          ConfigFactory.parseString("opencluster.controller.edge.port = " + laterEdge).withFallback(config));

      await("the balancing sends the joiner its share").atMost(TIMEOUT)
          .until(() -> later.edge().sessions().active(Duration.ofSeconds(3)) >= AGENTS / 2 - 1);
      assertThat(agents.values().stream().mapToLong(a -> a.state().redirects()).sum()).isPositive();
      for (Map.Entry<String, Agent> agent : agents.entrySet()) {
        assertThat(agent.getValue().state().enrolments()).as(agent.getKey() + " enrolled once").isEqualTo(1);
        assertThat(testbed.status(later, agent.getKey()).path("stage").asText()).isEqualTo("active");
      }
    }
  }

  @Test
  void aRedirectToAnEdgeNotInTheBundle_isNotFollowedThere_theAgentTakesItsNextKnownEdge() throws Exception {
    try (Testbed testbed = new Testbed(tmp, TestDatabases.freshPostgres())) {
      Config config = ConfigFactory.parseString("opencluster.controller.edge.balance-interval = 0s");
      int seed = TestCluster.freePort();
      Controller first = testbed.controller("ctl-1", seed, List.of(seed), config);
      Controller second = testbed.controller("ctl-2", TestCluster.freePort(), List.of(seed), config);
      Map<String, Agent> agents = startAgents(testbed, first, List.of(testbed.edgeOf(first), testbed.edgeOf(second)));
      await().atMost(TIMEOUT).until(() -> first.edge().sessions().active(Duration.ofSeconds(3))
          + second.edge().sessions().active(Duration.ofSeconds(3)) == AGENTS);
      Controller from = first.edge().sessions().active(Duration.ofSeconds(3)) > 0 ? first : second;
      Controller other = from == first ? second : first;
      int told = from.edge().sessions().move(Map.of("127.0.0.1:1", AGENTS), Duration.ofSeconds(3));
      assertThat(told).isPositive();

      await("the told agents carry on through the edge they know").atMost(TIMEOUT)
          .until(() -> other.edge().sessions().active(Duration.ofSeconds(2)) == AGENTS);
      for (Map.Entry<String, Agent> agent : agents.entrySet()) {
        assertThat(agent.getValue().state().enrolments()).as(agent.getKey()).isEqualTo(1);
        assertThat(agent.getValue().state().holdingSecrets()).isTrue();
      }
      assertThat(agents.values().stream().mapToLong(a -> a.state().redirects()).sum()).isEqualTo(told);
    }
  }

  private static Map<String, Agent> startAgents(Testbed testbed, Controller through, List<String> edges)
      throws Exception {
    Map<String, Agent> agents = new LinkedHashMap<>();
    for (int i = 1; i <= AGENTS; i++) {
      String node = "moving-" + i;
      agents.put(node, testbed.agent(testbed.register(through, node, "reusable", edges), "boot-" + node));
    }
    await().atMost(TIMEOUT).until(() -> agents.values().stream().allMatch(a -> a.state().holdingSecrets()));
    return agents;
  }

  /** Per node: redirects followed, fail-overs, enrolments. */
  private static Map<String, long[]> counters(Map<String, Agent> agents) {
    Map<String, long[]> counters = new LinkedHashMap<>();
    agents.forEach((node, agent) -> counters.put(node, new long[] {
        agent.state().redirects(), agent.state().failovers(), agent.state().enrolments()}));
    return counters;
  }
}
