package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.secrets.SecretEntity;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Role;

/**
 * Rotating shared secrets through the operator API of a real controller (TLS, H2, the secret
 * entities' sharding started at unseal): create, status, rotate, the refusals (each stores
 * nothing), and answers that never hold a value. A rotator step that fails is not retried here
 * (max-attempts = 1), so a failing rotation ends at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RotatingSecretsIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  /** A first value given at create: no answer may hold it. */
  private static final String MARKER = "first-value-never-answered-" + System.nanoTime();

  private TestCluster cluster;
  private Controller controller;
  private ApiTestClient operator;
  private ApiTestClient admin;
  private ApiTestClient auditor;
  private int api;
  /** Every answer the tests saw, checked for values at the end of each test. */
  private final List<ApiTestClient.Reply> answers = new ArrayList<>();

  @BeforeAll
  void start(@TempDir Path directory) throws Exception {
    cluster = new TestCluster(directory);
    controller = cluster.start(ConfigFactory.parseString("opencluster.controller.secrets { max-attempts = 1 }")
        .withFallback(cluster.controllerConfig("ctl-1", TestCluster.freePort(), List.of(), TestDatabases.freshH2())));
    try (SecretBytes key = SecretBytes.random(32)) {
      controller.unsealWithDevelopmentKey(key);
    }
    await().atMost(TIMEOUT).until(() -> controller.readiness().shardingStarted());
    operator = new ApiTestClient(cluster.issueOperator("ophelia", Role.OPERATOR));
    auditor = new ApiTestClient(cluster.issueOperator("audrey", Role.AUDITOR));
    admin = new ApiTestClient(cluster.issueOperator("alice", Role.ADMIN));
    api = controller.apiPort();
  }

  @AfterAll
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void aSecretRotatedByNone_isCreatedAtVersion1_rotatesToVersion2_andIsListed() throws Exception {
    ApiTestClient.Reply created = seen(operator.put(api, "/v1/rotating-secrets/app/token", none("nobody-1", MARKER)));

    assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
    assertThat(created.body().path("name").asText()).isEqualTo("app/token");
    assertThat(created.body().path("rotator").path("kind").asText()).isEqualTo("none");
    assertThat(created.body().path("fields").toString()).isEqualTo("[\"password\"]");
    assertThat(created.body().path("versions").get(0).path("number").asLong()).isEqualTo(1);
    assertThat(created.body().path("versions").get(0).path("label").asText()).isEqualTo("CURRENT");
    assertThat(created.body().path("every").asText()).isEqualTo("PT2H");
    assertThat(created.body().path("consumers").path("nodes").toString()).isEqualTo("[\"nobody-1\"]");
    ApiTestClient.Reply shown = seen(auditor.get(api, "/v1/rotating-secrets/app/token"));
    assertThat(shown.status()).isEqualTo(200);
    assertThat(shown.body().path("next_rotation_at").isTextual()).as("it runs on a schedule").isTrue();
    assertThat(shown.body().path("host").asText()).as("the controller holding the entity")
        .isEqualTo(controller.system().address().toString());
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(listed("app/token").path("current_version").asLong())
        .as("published into the catalog").isEqualTo(1));

    ApiTestClient.Reply rotated = seen(operator.post(api, "/v1/rotating-secrets/app/token/rotate", ""));
    assertThat(rotated.status()).as(rotated.body().toString()).isEqualTo(202);
    assertThat(rotated.body().path("rotation").path("version").asLong()).isEqualTo(2);
    assertThat(rotated.body().path("rotation").path("trigger").asText()).isEqualTo("operator");
    await().atMost(TIMEOUT).untilAsserted(() -> {
      JsonNode status = seen(auditor.get(api, "/v1/rotating-secrets/app/token")).body();
      assertThat(status.path("rotation").path("step").asText()).as("finished: the previous version waits for the "
          + "grace period").isEqualTo("retire");
      assertThat(status.path("versions").toString()).contains("{\"number\":2,\"label\":\"CURRENT\"")
          .contains("{\"number\":1,\"label\":\"PREVIOUS\"");
      assertThat(status.path("distribution").path("expected").asInt()).as("no live consumer").isZero();
    });
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(listed("app/token").path("current_version").asLong())
        .isEqualTo(2));

    ApiTestClient.Reply again = seen(operator.post(api, "/v1/rotating-secrets/app/token/rotate", ""));
    assertThat(again.status()).as("a rotation runs until the previous version retires").isEqualTo(409);
    assertThat(again.body().path("detail").asText()).contains(SecretEntity.ROTATING);
    assertNoValueIn(answers);
  }

  @Test
  void aRotationThatFailsAtSet_isRolledBack_andReportsItsFailure_withoutTheAdminPassword() throws Exception {
    // PostgreSQL's first version is the role's existing credential: the rotator alternates from it.
    String adminPassword = "admin-password-" + System.nanoTime();
    assertThat(operator.put(api, "/v1/secrets/db/admin", "{\"fields\":{\"username\":\"rotator\",\"password\":\""
        + adminPassword + "\"}}").status()).isEqualTo(200);
    int closed = TestCluster.freePort();
    String body = "{\"rotator\":{\"kind\":\"postgresql\",\"parameters\":{\"jdbc-url\":\"jdbc:postgresql://127.0.0.1:"
        + closed + "/app\",\"role-a\":\"app_a\",\"role-b\":\"app_b\"},\"admin_secret\":\"db/admin\"},"
        + "\"consumers\":{\"labels\":{\"role\":\"db-client\"}},"
        + "\"fields\":{\"username\":\"" + b64("app_a") + "\",\"password\":\"" + b64(MARKER) + "\"}}";

    ApiTestClient.Reply byOperator = seen(operator.put(api, "/v1/rotating-secrets/db/app", body));
    assertThat(byOperator.status()).as("naming an admin secret takes the admin role").isEqualTo(403);
    assertThat(seen(auditor.get(api, "/v1/rotating-secrets/db/app")).status()).as("nothing was created").isEqualTo(404);
    ApiTestClient.Reply created = seen(admin.put(api, "/v1/rotating-secrets/db/app", body));
    assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
    assertThat(created.body().path("rotator").path("admin_secret").asText()).isEqualTo("db/admin");
    assertThat(seen(operator.post(api, "/v1/rotating-secrets/db/app/rotate", "")).status()).isEqualTo(202);

    await().atMost(TIMEOUT).untilAsserted(() -> {
      JsonNode status = seen(auditor.get(api, "/v1/rotating-secrets/db/app")).body();
      assertThat(status.path("last_failure").path("version").asLong()).isEqualTo(2);
      assertThat(status.path("last_failure").path("step").asText()).isEqualTo("set");
      assertThat(status.path("last_failure").path("message").asText()).contains("could not be reached");
      assertThat(status.path("rotation").isNull()).as("rolled back").isTrue();
      assertThat(status.path("versions").toString()).contains("{\"number\":1,\"label\":\"CURRENT\"");
    });
    assertThat(answers).allSatisfy(reply -> assertThat(reply.body().toString()).doesNotContain(adminPassword));
    assertNoValueIn(answers);
  }

  @Test
  void refusals_storeNothing_andSayWhy() throws Exception {
    assertRefused(operator.put(api, "/v1/rotating-secrets/r/kind", rotator("{\"kind\":\"mysql\"}")), 400,
        "unknown rotator kind 'mysql'");
    assertRefused(operator.put(api, "/v1/rotating-secrets/r/kind", rotator("{\"kind\":\"none\",\"parameters\":"
        + "{\"length\":\"9\"}}")), 400, "has no parameter [length]");
    assertRefused(operator.put(api, "/v1/rotating-secrets/r/kind", rotator("{\"kind\":\"none\",\"parameters\":"
        + "{\"password-length\":\"3\"}}")), 400, "'password-length' must be a whole number from 16");
    assertRefused(operator.put(api, "/v1/rotating-secrets/r/kind", "{\"rotator\":{\"kind\":\"none\"},\"every\":\"soon\","
        + "\"consumers\":{\"all\":true}}"), 400, "every 'soon' is not a duration");
    assertRefused(operator.put(api, "/v1/rotating-secrets/r/kind", "{\"rotator\":{\"kind\":\"none\"},\"every\":\"1m\","
        + "\"consumers\":{\"all\":true}}"), 400, "every must be longer than distribute-timeout plus grace-period");
    assertRefused(operator.put(api, "/v1/rotating-secrets/r/kind", "{\"rotator\":{\"kind\":\"none\"},\"consumers\":{}}"),
        400, "consumers select nothing");
    assertRefused(operator.put(api, "/v1/rotating-secrets/r/kind", "{\"rotator\":{\"kind\":\"none\"},\"consumers\":"
        + "{\"all\":true},\"fields\":{\"user\":\"" + b64("x") + "\"}}"), 400, "takes the fields [password]");
    assertRefused(admin.put(api, "/v1/rotating-secrets/r/kind", "{\"rotator\":{\"kind\":\"postgresql\",\"parameters\":"
        + "{\"jdbc-url\":\"jdbc:postgresql://127.0.0.1:1/x\",\"role-a\":\"a\",\"role-b\":\"b\"},\"admin_secret\":"
        + "\"db/missing\"},\"consumers\":{\"all\":true}}"), 400, "the admin secret 'db/missing' does not exist: put it first");
    assertRefused(operator.put(api, "/v1/rotating-secrets/r/rotate", none("nobody-1", null)), 400, "cannot end in '/rotate'");
    assertRefused(operator.put(api, "/v1/rotating-secrets/r/kind", "{\"rotator\":{\"kind\":\"none\"},\"consumers\":"
        + "{\"labels\":{\"role\":\"web server\"}}}"), 400, "is not a valid label");
    assertRefused(operator.put(api, "/v1/rotating-secrets/r/kind", "{\"rotator\":{\"kind\":\"none\"},\"consumers\":"
        + "{\"nodes\":[\"../etc\"]}}"), 400, "is not a node id");
    ApiTestClient.Reply unknown = operator.put(api, "/v1/rotating-secrets/r/kind", "{\"rotator\":{\"kind\":\"none\"},"
        + "\"consumers\":{\"all\":true},\"colour\":\"red\"}");
    assertRefused(unknown, 400, "colour");
    assertThat(unknown.body().path("type").asText()).endsWith("/unknown-field");
    assertRefused(operator.put(api, "/v1/rotating-secrets/a..b", none("nobody-1", null)), 400, "..");
    assertRefused(auditor.put(api, "/v1/rotating-secrets/r/kind", none("nobody-1", null)), 403, "auditor");
    assertThat(operator.get(api, "/v1/rotating-secrets/r/kind").status()).as("nothing was stored").isEqualTo(404);

    assertThat(operator.put(api, "/v1/rotating-secrets/r/twice", none("nobody-1", null)).status()).isEqualTo(201);
    assertRefused(operator.put(api, "/v1/rotating-secrets/r/twice", none("nobody-2", null)), 409, "already exists");
    assertThat(operator.get(api, "/v1/rotating-secrets/r/twice").body().path("consumers").path("nodes").toString())
        .as("the first definition stays").isEqualTo("[\"nobody-1\"]");
    assertRefused(auditor.post(api, "/v1/rotating-secrets/r/twice/rotate", ""), 403, "auditor");
    assertThat(operator.get(api, "/v1/rotating-secrets/r/twice").body().path("rotation").isNull())
        .as("the auditor started nothing").isTrue();

    assertThat(operator.put(api, "/v1/secrets/r/static", "{\"fields\":{\"password\":\"p\"}}").status()).isEqualTo(200);
    assertRefused(operator.put(api, "/v1/rotating-secrets/r/static", none("nobody-1", null)), 409, "static secret");
    assertThat(operator.get(api, "/v1/rotating-secrets/r/static").status()).isEqualTo(404);

    assertRefused(operator.get(api, "/v1/rotating-secrets/r/none"), 404, SecretEntity.NOT_FOUND);
    assertRefused(operator.post(api, "/v1/rotating-secrets/r/none/rotate", ""), 404, SecretEntity.NOT_FOUND);
    assertRefused(operator.post(api, "/v1/rotating-secrets/r/twice", ""), 404, "/rotate");
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** A create of rotator none for node {@code node}, every 2 hours, with {@code first} as its first password (or none). */
  private static String none(String node, String first) {
    return "{\"rotator\":{\"kind\":\"none\",\"parameters\":{\"password-length\":\"20\"}},\"every\":\"2h\","
        + "\"consumers\":{\"nodes\":[\"" + node + "\"]}"
        + (first == null ? "" : ",\"fields\":{\"password\":\"" + b64(first) + "\"}") + "}";
  }

  private static String rotator(String rotator) {
    return "{\"rotator\":" + rotator + ",\"consumers\":{\"all\":true}}";
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private JsonNode listed(String name) throws Exception {
    ApiTestClient.Reply list = seen(auditor.get(api, "/v1/rotating-secrets"));
    assertThat(list.status()).isEqualTo(200);
    for (JsonNode secret : list.body().path("rotating_secrets")) {
      if (secret.path("name").asText().equals(name)) {
        return secret;
      }
    }
    return JSON.createObjectNode();
  }

  private ApiTestClient.Reply seen(ApiTestClient.Reply reply) {
    answers.add(reply);
    return reply;
  }

  private static void assertRefused(ApiTestClient.Reply reply, int status, String detail) {
    assertThat(reply.status()).as(reply.body().toString()).isEqualTo(status);
    assertThat(reply.contentType()).startsWith("application/problem+json");
    assertThat(reply.body().path("detail").asText()).contains(detail);
  }

  private static void assertNoValueIn(List<ApiTestClient.Reply> replies) {
    assertThat(replies).isNotEmpty().allSatisfy(reply -> assertThat(reply.body().toString())
        .doesNotContain(MARKER).doesNotContain(b64(MARKER)));
  }
}
