package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.Controller;
import org.opencluster.persistence.testing.TestDatabases;

/**
 * An agent against a real controller, both in this JVM, over the real edge link (Pekko Artery,
 * TLS 1.3 both ways): it enrols, heartbeats, keeps its lease renewed and its node active.
 */
class AgentLinkIT {

  @TempDir
  Path tmp;

  @Test
  void anAgent_enrols_heartbeats_andKeepsItsLeaseRenewed() throws Exception {
    try (Testbed testbed = new Testbed(tmp, TestDatabases.freshH2())) {
      Controller controller = testbed.controller("ctl-1");
      Path bundle = testbed.register(controller, "web-1");
      Agent agent = testbed.agent(bundle, "boot-1");

      await().atMost(Duration.ofSeconds(30)).until(() -> agent.state().acknowledgements() >= 3);
      assertThat(agent.state().controller()).contains("opencluster://controller/ctl-1");
      assertThat(agent.state().enrolments()).isEqualTo(1);
      var status = testbed.status(controller, "web-1");
      assertThat(status.path("stage").asText()).isEqualTo("active");
      assertThat(status.path("session").path("bootId").asText()).isEqualTo("boot-1");
      java.time.Instant firstLease = agent.state().leaseExpiresAt().orElseThrow();
      await().atMost(Duration.ofSeconds(10)).until(() -> agent.state().leaseExpiresAt().orElseThrow().isAfter(firstLease));
      assertThat(agent.outcome().toCompletableFuture().isDone()).isFalse();
    }
  }
}
