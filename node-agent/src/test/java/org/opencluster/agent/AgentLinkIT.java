package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

  @Test
  void whenNoControllerAnswers_theLeaseLapses_andTheAgentWipesAndStopsWithEleven() throws Exception {
    try (Testbed testbed = new Testbed(tmp, TestDatabases.freshH2())) {
      Controller controller = testbed.controller("ctl-1");
      Agent agent = testbed.agent(testbed.register(controller, "lapse-1"), "boot-1");
      await().atMost(Duration.ofSeconds(30)).until(() -> agent.state().acknowledgements() >= 1);
      testbed.cluster().stop(controller);

      Agent.Outcome outcome = agent.outcome().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertThat(outcome).isEqualTo(Agent.Outcome.LEASE_LAPSED);
      assertThat(outcome.exitCode()).isEqualTo(11);
      assertThat(agent.state().holdingSecrets()).isFalse();
      assertThat(agent.state().failovers()).as("it tried to reach a controller first").isPositive();
    }
  }

  @Test
  void atTheEndOfItsNodesLifetime_theAgentWipesAndStopsWithThirteen() throws Exception {
    try (Testbed testbed = new Testbed(tmp, TestDatabases.freshH2())) {
      Controller controller = testbed.controller("ctl-1");
      Path bundle = testbed.register(controller, "brief-1", "reusable", List.of(), Duration.ofSeconds(8));
      Agent agent = testbed.agent(bundle, "boot-1");
      await().atMost(Duration.ofSeconds(30)).until(() -> agent.state().acknowledgements() >= 1);

      Agent.Outcome outcome = agent.outcome().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertThat(outcome).isEqualTo(Agent.Outcome.LIFETIME_ENDED);
      assertThat(outcome.exitCode()).isEqualTo(13);
      assertThat(agent.state().holdingSecrets()).isFalse();
    }
  }

  @Test
  void aBundleWhoseCertificateIsAnotherNodes_isRefusedBeforeTheAgentStarts() throws Exception {
    try (Testbed testbed = new Testbed(tmp, TestDatabases.freshH2())) {
      Controller controller = testbed.controller("ctl-1");
      Path bundle = testbed.register(controller, "node-a");
      Path conf = bundle.resolve("agent.conf");
      Files.writeString(conf, Files.readString(conf).replace("\"node-a\"", "\"node-b\""));

      assertThatThrownBy(() -> testbed.agent(bundle, "boot-1"))
          .isInstanceOf(GeneralSecurityException.class)
          .hasMessageContaining("is for opencluster://node/node-a, not node node-b");
    }
  }

  @Test
  void aBundleKeyOthersCanRead_isRefusedBeforeTheAgentStarts() throws Exception {
    try (Testbed testbed = new Testbed(tmp, TestDatabases.freshH2())) {
      Controller controller = testbed.controller("ctl-1");
      Path bundle = testbed.register(controller, "loose-1");
      Files.setPosixFilePermissions(bundle.resolve("node.key"), PosixFilePermissions.fromString("rw-r--r--"));

      assertThatThrownBy(() -> testbed.agent(bundle, "boot-1"))
          .isInstanceOf(GeneralSecurityException.class)
          .hasMessageContaining("readable by others");
    }
  }
}
