package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.pki.Role;

/**
 * How the operator API refuses what it cannot take, on a controller left uninitialized (nothing to
 * unseal: every refusal here must leave it so): unknown fields, oversized bodies, a sealed
 * controller, and, last, a controller shutting down.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApiProblemsIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private TestCluster cluster;
  private Controller controller;
  private ApiTestClient admin;

  @BeforeAll
  void start(@TempDir Path directory) throws Exception {
    cluster = new TestCluster(directory);
    controller = cluster.start(cluster.controllerConfig("ctl-1", TestCluster.freePort(), List.of(), TestDatabases.freshH2()));
    admin = new ApiTestClient(cluster.issueOperator("alice", Role.ADMIN));
  }

  @AfterAll
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  @Order(1)
  void anUnknownField_isRefusedNamingIt_andNothingChanges() throws Exception {
    HttpResponse<String> reply = admin.exchange(controller.apiPort(), "POST", "/v1/sys/init",
        "{\"shares\": 3, \"threshold\": 2, \"sharez\": 5}");
    JsonNode problem = problemOf(reply, 400, "unknown-field");
    assertThat(problem.path("field").asText()).isEqualTo("sharez");
    assertThat(problem.path("detail").asText()).contains("'sharez'");
    assertThat(controller.seal().status().state()).as("not initialized").isEqualTo(Seal.State.UNINITIALIZED);
  }

  @Test
  @Order(1)
  void anUnknownNestedField_isNamedByItsPath() throws Exception {
    HttpResponse<String> reply = admin.exchange(controller.apiPort(), "PUT", "/v1/files/app/x.conf",
        "{\"path\": \"/run/app/x.conf\", \"selector\": {\"all\": true, \"nodez\": [\"a\"]}, "
            + "\"source\": {\"kind\": \"template\", \"text\": \"x\"}}");
    assertThat(problemOf(reply, 400, "unknown-field").path("field").asText()).isEqualTo("selector.nodez");
  }

  @Test
  @Order(1)
  void aBodyOverTheRoutesLimit_isRefusedWith413() throws Exception {
    String large = "{\"shares\": 3, \"pad\": \"" + "x".repeat(70 * 1024) + "\"}";
    problemOf(admin.exchange(controller.apiPort(), "POST", "/v1/sys/init", large), 413, "body-too-large");
    assertThat(controller.seal().status().state()).isEqualTo(Seal.State.UNINITIALIZED);
    String secret = "{\"fields\": {\"password\": \"" + "x".repeat(1100 * 1024) + "\"}}";
    problemOf(admin.exchange(controller.apiPort(), "PUT", "/v1/secrets/db/x", secret), 413, "body-too-large");
  }

  @Test
  @Order(1)
  void aBodyUnderTheLargerLimitOfItsRoute_isRead() throws Exception {
    String secret = "{\"fields\": {\"password\": \"" + "x".repeat(100 * 1024) + "\"}}";
    HttpResponse<String> reply = admin.exchange(controller.apiPort(), "PUT", "/v1/secrets/db/x", secret);
    assertThat(reply.statusCode()).as(reply.body()).isNotEqualTo(413);
  }

  @Test
  @Order(1)
  void aSealedController_answers503_retryable_withRetryAfter() throws Exception {
    HttpResponse<String> reply = admin.exchange(controller.apiPort(), "GET", "/v1/nodes/web-1", null);
    JsonNode problem = problemOf(reply, 503, "sealed");
    assertThat(problem.path("retryable").asBoolean()).isTrue();
    assertThat(reply.headers().firstValue("Retry-After")).hasValueSatisfying(seconds ->
        assertThat(Integer.parseInt(seconds)).isPositive());
  }

  @Test
  @Order(2)
  void duringShutdown_everyRequestIsAnswered503_retryable_untilTheListenerCloses() throws Exception {
    CompletableFuture<Done> held = new CompletableFuture<>();
    CoordinatedShutdown.get(controller.system()).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "test-holds-shutdown", () -> (CompletionStage<Done>) held);
    CompletionStage<Done> stopped = controller.stop();
    try {
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        HttpResponse<String> reply = admin.exchange(controller.apiPort(), "GET", "/v1/sys/seal-status", null);
        assertThat(problemOf(reply, 503, "shutting-down").path("retryable").asBoolean()).isTrue();
        assertThat(reply.headers().firstValue("Retry-After")).isPresent();
      });
    } finally {
      held.complete(Done.getInstance());
    }
    stopped.toCompletableFuture().get(90, java.util.concurrent.TimeUnit.SECONDS);
  }

  private static JsonNode problemOf(HttpResponse<String> reply, int status, String type) throws Exception {
    assertThat(reply.statusCode()).as(reply.body()).isEqualTo(status);
    assertThat(reply.headers().firstValue("Content-Type")).hasValueSatisfying(contentType ->
        assertThat(contentType).startsWith("application/problem+json"));
    JsonNode problem = JSON.readTree(reply.body());
    assertThat(problem.path("type").asText()).isEqualTo("https://opencluster.dev/problems/" + type);
    assertThat(problem.path("status").asInt()).isEqualTo(status);
    return problem;
  }
}
