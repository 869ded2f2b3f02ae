package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.Controller;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;

/**
 * An agent against a real controller, both in this JVM, over the real edge link (Pekko Artery,
 * TLS 1.3 both ways): it enrols, heartbeats, keeps its lease renewed and its node active, and
 * re-keys its session in place when the node's credential rotation is due.
 */
class AgentLinkIT {

  private static final ObjectMapper JSON = new ObjectMapper();

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
  void whenItsNodesCredentialRotationIsDue_theAgentReKeysInPlace_andKeepsServingItsFile() throws Exception {
    Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "oc-rekey-it-");
    Path target = shm.resolve("static.conf");
    try (Testbed testbed = new Testbed(tmp, TestDatabases.freshH2())) {
      int port = TestCluster.freePort();
      Controller controller = testbed.controller("ctl-1", port, List.of(port),
          ConfigFactory.parseString("opencluster.controller.node.credential-rotation-interval = 6s"));
      ApiTestClient.Reply defined = testbed.admin().put(controller.apiPort(), "/v1/files/app/static.conf",
          JSON.writeValueAsString(Map.of("path", target.toString(), "owner", "root", "group", "root", "mode", "0400",
              "delivery", "tmpfs", "reload", List.of(), "selector", Map.of("nodes", List.of("rekey-1")),
              "source", Map.of("kind", "static", "content",
                  Base64.getEncoder().encodeToString("key=value\n".getBytes(StandardCharsets.UTF_8))))));
      assertThat(defined.status()).as(defined.body().toString()).isEqualTo(200);
      Agent agent = testbed.agent(testbed.register(controller, "rekey-1", "single-use", List.of()), "boot-1");
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(target) && agent.state().infoSetVersion() >= 1);
      long firstSet = agent.state().infoSetVersion();
      Object inode = Files.getAttribute(target, "unix:ino");
      String firstOpenedAt = testbed.status(controller, "rekey-1").path("session").path("openedAt").asText();

      await().atMost(Duration.ofSeconds(60)).until(() -> agent.state().rekeys() >= 1);
      await().atMost(Duration.ofSeconds(30)).until(() -> !firstOpenedAt.equals(
          testbed.status(controller, "rekey-1").path("session").path("openedAt").asText()));
      await("the set, resent sealed to the new session, is applied").atMost(Duration.ofSeconds(30))
          .until(() -> agent.state().infoSetVersion() > firstSet);
      long acknowledged = agent.state().acknowledgements();
      await().atMost(Duration.ofSeconds(30)).until(() -> agent.state().acknowledgements() > acknowledged);

      var status = testbed.status(controller, "rekey-1");
      assertThat(status.path("stage").asText()).as("a re-key of a single-use node is no clone").isEqualTo("active");
      assertThat(status.path("session").path("bootId").asText()).isEqualTo("boot-1");
      assertThat(agent.state().enrolments()).as("re-keyed in place, never enrolled again").isEqualTo(1);
      assertThat(agent.state().holdingSecrets()).isTrue();
      assertThat(agent.state().filesServed()).isEqualTo(1);
      assertThat(Files.readString(target)).as("the file stayed").isEqualTo("key=value\n");
      assertThat(Files.getAttribute(target, "unix:ino")).as("never rewritten").isEqualTo(inode);
      assertThat(agent.outcome().toCompletableFuture().isDone()).isFalse();
    } finally {
      Files.deleteIfExists(target);
      Files.deleteIfExists(shm);
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
