package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateValidationException;
import org.opencluster.protocol.pki.Role;

/**
 * Every route of the operator API against every role: allowed (anything but 401 and 403), or
 * refused with a 403 problem. Adding a route is one line in {@link #ROUTES}. The bodies of write
 * routes are invalid on purpose, so an allowed call is refused later (400, 404, 409) and changes
 * nothing; the role check comes first.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoleMatrixIT {

  private static final Set<Role> ANY = Set.of(Role.ADMIN, Role.OPERATOR, Role.AUDITOR);
  private static final Set<Role> WRITERS = Set.of(Role.ADMIN, Role.OPERATOR);
  private static final Set<Role> ADMIN = Set.of(Role.ADMIN);
  private static final Set<Role> READERS_OF_THE_AUDIT = Set.of(Role.ADMIN, Role.AUDITOR);

  /** One route: method, path, body (null: none), the roles it allows. */
  record Route(String method, String path, String body, Set<Role> allowed) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  static final List<Route> ROUTES = List.of(
      new Route("GET", "/metrics", null, ANY),
      new Route("GET", "/v1/cluster", null, ANY),
      new Route("POST", "/v1/cluster/members/nobody-9/leave", null, ADMIN),
      new Route("GET", "/v1/sys/seal-status", null, ANY),
      new Route("POST", "/v1/sys/init", "{\"shares\": 1, \"threshold\": 2}", ADMIN),
      new Route("POST", "/v1/sys/unseal", "{}", ADMIN),
      new Route("POST", "/v1/sys/rotate-dek", null, ADMIN),
      new Route("GET", "/v1/sys/controllers", null, ANY),
      new Route("PUT", "/v1/sys/controllers/Not%20A%20Name", null, ADMIN),
      new Route("DELETE", "/v1/sys/controllers/nobody-9", null, ADMIN),
      new Route("PUT", "/v1/sys/agent-ca", "{}", ADMIN),
      new Route("PUT", "/v1/sys/service-ca", "{}", ADMIN),
      new Route("POST", "/v1/nodes", "{}", WRITERS),
      new Route("GET", "/v1/nodes", null, ANY),
      new Route("GET", "/v1/nodes/nobody-1", null, ANY),
      new Route("POST", "/v1/nodes/nobody-1/quarantine", "{}", WRITERS),
      new Route("POST", "/v1/nodes/nobody-1/release", null, ADMIN),
      new Route("POST", "/v1/nodes/nobody-1/retire", null, WRITERS),
      new Route("POST", "/v1/sys/read-model/rebuild", null, ADMIN),
      new Route("GET", "/v1/audit", null, READERS_OF_THE_AUDIT),
      new Route("GET", "/v1/audit/verify", null, READERS_OF_THE_AUDIT),
      new Route("PUT", "/v1/nodes/nobody-1/labels", "{}", WRITERS),
      new Route("GET", "/v1/files", null, ANY),
      new Route("GET", "/v1/files/none/x", null, ANY),
      new Route("PUT", "/v1/files/none/x", "{}", WRITERS),
      new Route("DELETE", "/v1/files/none/x", null, WRITERS),
      new Route("GET", "/v1/secrets", null, ANY),
      new Route("GET", "/v1/secrets/none/x", null, ANY),
      new Route("PUT", "/v1/secrets/none/x", "{}", WRITERS),
      new Route("DELETE", "/v1/secrets/none/x", null, WRITERS),
      new Route("GET", "/v1/rotating-secrets", null, ANY),
      new Route("GET", "/v1/rotating-secrets/none/x", null, ANY),
      new Route("PUT", "/v1/rotating-secrets/none/x", "{}", WRITERS),
      new Route("POST", "/v1/rotating-secrets/none/x/rotate", null, WRITERS));

  private static final ObjectMapper JSON = new ObjectMapper();
  /** The detail of the 404 for a path no route serves (a missing resource says what is missing). */
  private static final String NO_SUCH_ROUTE = "see /v1 in the operations guide for the routes";

  private Path tmp;

  private TestCluster cluster;
  private Controller controller;
  private final Map<Role, ApiTestClient> clients = new EnumMap<>(Role.class);

  @BeforeAll
  void start(@TempDir Path directory) throws Exception {
    tmp = directory;
    cluster = new TestCluster(directory);
    controller = cluster.start(cluster.controllerConfig("ctl-1", TestCluster.freePort(), List.of(), TestDatabases.freshH2()));
    try (SecretBytes key = SecretBytes.random(32)) {
      controller.unsealWithDevelopmentKey(key);
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> controller.readiness().shardingStarted());
    for (Role role : Role.values()) {
      clients.put(role, new ApiTestClient(cluster.issueOperator("op-" + role.id(), role)));
    }
  }

  @AfterAll
  void stop() throws Exception {
    cluster.close();
  }

  static Stream<Arguments> everyRouteAndRole() {
    return ROUTES.stream().flatMap(route -> Stream.of(Role.values()).map(role -> Arguments.of(route, role)));
  }

  @ParameterizedTest(name = "{0} as {1}")
  @MethodSource("everyRouteAndRole")
  void eachRole_isAllowedOrRefused_asTheMatrixSays(Route route, Role role) throws Exception {
    HttpResponse<String> reply = clients.get(role).exchange(controller.apiPort(), route.method(), route.path(), route.body());
    if (route.allowed().contains(role)) {
      assertThat(reply.statusCode()).as("%s allowed to %s: %s", route, role, reply.body()).isNotIn(401, 403, 405)
          .isLessThan(500);
      assertThat(reply.body()).as("the route exists").doesNotContain(NO_SUCH_ROUTE);
    } else {
      assertThat(reply.statusCode()).as("%s refused to %s", route, role).isEqualTo(403);
      assertThat(reply.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
          assertThat(type).startsWith("application/problem+json"));
      JsonNode problem = JSON.readTree(reply.body());
      assertThat(problem.path("type").asText()).isEqualTo("https://opencluster.dev/problems/forbidden");
      assertThat(problem.path("detail").asText()).contains(role.id());
    }
  }

  @Test
  void anExpiredOperatorCertificate_isRefusedAtTheHandshake() throws Exception {
    ApiTestClient expired = new ApiTestClient(cluster.issueExpiredOperator("ezra", Role.ADMIN));
    long before = controller.apiRefusals().count(CertificateValidationException.Reason.EXPIRED);
    assertThatThrownBy(() -> expired.get(controller.apiPort(), "/v1/sys/seal-status")).isInstanceOf(java.io.IOException.class);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        controller.apiRefusals().count(CertificateValidationException.Reason.EXPIRED) > before);
  }

  @Test
  void anOperatorOfAnotherCa_isRefusedAtTheHandshake_evenForMetrics() throws Exception {
    TestCluster other = new TestCluster(tmp.resolve("other-ca"));
    Path files = other.issueOperator("mallory", Role.ADMIN);
    java.nio.file.Files.writeString(files.resolve("ca.pem"),
        org.opencluster.protocol.pki.Pem.encodeCertificates(List.of(cluster.root().certificate())));
    ApiTestClient stranger = new ApiTestClient(files);
    assertThatThrownBy(() -> stranger.exchange(controller.apiPort(), "GET", "/metrics", null)).isInstanceOf(java.io.IOException.class);
  }
}
