package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateRequest;
import org.opencluster.protocol.pki.CertificateValidationException;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.Role;

/** The operator API's gate: who reaches it, with which role, and how it answers what it refuses. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorApiIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Path tmp;

  private TestCluster cluster;
  private Controller controller;
  private ApiTestClient admin;
  private ApiTestClient auditor;

  @BeforeAll
  void start(@TempDir Path directory) throws Exception {
    tmp = directory;
    cluster = new TestCluster(tmp);
    controller = cluster.start(cluster.controllerConfig("ctl-1", TestCluster.freePort(), List.of(), TestDatabases.freshH2()));
    try (SecretBytes key = SecretBytes.random(32)) {
      controller.unsealWithDevelopmentKey(key);
    }
    admin = new ApiTestClient(cluster.issueOperator("alice", Role.ADMIN));
    auditor = new ApiTestClient(cluster.issueOperator("audrey", Role.AUDITOR));
  }

  @AfterAll
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void anAuditor_readsTheSealStatus_butMayNotChangeIt() throws Exception {
    assertThat(auditor.get(controller.apiPort(), "/v1/sys/seal-status").status()).isEqualTo(200);
    ApiTestClient.Reply refused = auditor.post(controller.apiPort(), "/v1/sys/rotate-dek", "{}");
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.contentType()).startsWith("application/problem+json");
    assertThat(refused.body().path("type").asText()).isEqualTo("https://opencluster.dev/problems/forbidden");
    assertThat(refused.body().path("detail").asText()).contains("admin role");
    assertThat(auditor.post(controller.apiPort(), "/v1/sys/init", "{}").status()).isEqualTo(403);
    assertThat(auditor.post(controller.apiPort(), "/v1/sys/unseal", "{\"reset\":true}").status()).isEqualTo(403);
  }

  @Test
  void anOperatorCertificateDeniedAfterItsHandshake_isRefusedOnItsOpenConnection() throws Exception {
    java.nio.file.Path files = cluster.issueOperator("olga", Role.OPERATOR);
    ApiTestClient olga = new ApiTestClient(files);
    assertThat(olga.get(controller.apiPort(), "/v1/sys/seal-status").status()).isEqualTo(200);
    java.security.cert.X509Certificate certificate = org.opencluster.protocol.pki.Pem.decodeCertificates(
        java.nio.file.Files.readString(files.resolve("cert.pem"))).get(0);

    controller.denyList().revoke(certificate);
    // The same client: its keep-alive connection (or a resumed TLS session) skipped a new handshake.
    assertThat(olga.get(controller.apiPort(), "/v1/sys/seal-status").status()).isIn(401, 403);
  }

  @Test
  void theOperatorRole_isNotAdmin() throws Exception {
    ApiTestClient operator = new ApiTestClient(cluster.issueOperator("oscar", Role.OPERATOR));
    assertThat(operator.get(controller.apiPort(), "/v1/sys/seal-status").status()).isEqualTo(200);
    assertThat(operator.post(controller.apiPort(), "/v1/sys/rotate-dek", "{}").status()).isEqualTo(403);
    assertThat(operator.put(controller.apiPort(), "/v1/sys/controllers/ctl-5").status()).isEqualTo(403);
    assertThat(operator.post(controller.apiPort(), "/v1/sys/unseal", "{\"reset\":true}").status()).isEqualTo(403);
  }

  @Test
  void theNodeRoutes_refuseWhatTheyMust_andSignNothingTheyRefuse() throws Exception {
    int api = controller.apiPort();
    await().atMost(Duration.ofSeconds(60)).until(() -> controller.readiness().shardingStarted());
    ApiTestClient operator = new ApiTestClient(cluster.issueOperator("olga", Role.OPERATOR));

    ApiTestClient.Reply noCa = operator.post(api, "/v1/nodes", registration("early-1", "reusable", 3600, Map.of()));
    assertThat(noCa.status()).isEqualTo(409);
    assertThat(noCa.body().path("detail").asText()).contains("import-agent-ca");

    String agentCa = agentCaBody(Pem.encodeCertificates(List.of(cluster.agentCa().certificate())), cluster.agentCaKey());
    assertThat(auditor.put(api, "/v1/sys/agent-ca", agentCa).status()).isEqualTo(403);
    assertThat(operator.put(api, "/v1/sys/agent-ca", agentCa).status()).isEqualTo(403);
    ApiTestClient.Reply theRoot = admin.put(api, "/v1/sys/agent-ca",
        agentCaBody(Pem.encodeCertificates(List.of(cluster.root().certificate())), cluster.agentCaKey()));
    assertThat(theRoot.status()).isEqualTo(400);
    assertThat(theRoot.body().path("detail").asText()).contains("not the agent CA");
    ApiTestClient.Reply otherKey = admin.put(api, "/v1/sys/agent-ca",
        agentCaBody(Pem.encodeCertificates(List.of(cluster.agentCa().certificate())), EcKeys.generate().getPrivate()));
    assertThat(otherKey.status()).isEqualTo(400);
    assertThat(admin.put(api, "/v1/sys/agent-ca", "{not json").status()).isEqualTo(400);
    assertThat(controller.agentCa().current()).as("nothing refused was kept").isEmpty();
    assertThat(admin.put(api, "/v1/sys/agent-ca", agentCa).status()).isEqualTo(200);

    int revoked = controller.denyList().size();
    assertThat(auditor.post(api, "/v1/nodes", registration("web-a", "reusable", 3600, Map.of())).status()).isEqualTo(403);
    assertThat(operator.post(api, "/v1/nodes", registration("web-a", "sometimes", 3600, Map.of())).status()).isEqualTo(400);
    assertThat(operator.post(api, "/v1/nodes", registration("web-a", "reusable", 0, Map.of())).status()).isEqualTo(400);
    assertThat(operator.post(api, "/v1/nodes", registration("web-a", "reusable", 3600, Map.of("Bad Key", "x"))).status())
        .isEqualTo(400);
    assertThat(operator.post(api, "/v1/nodes", registration("Web A", "reusable", 3600, Map.of())).status()).isEqualTo(400);
    assertThat(operator.post(api, "/v1/nodes", "{\"id\": \"web-a\", \"name\": \"web-a\", \"lifetimeSeconds\": 60, "
        + "\"csr\": \"not a request\"}").status()).isEqualTo(400);
    assertThat(operator.post(api, "/v1/nodes", registration("web-a", "reusable", 3600, Map.of())).status()).isEqualTo(201);
    ApiTestClient.Reply twice = operator.post(api, "/v1/nodes", registration("web-a", "reusable", 3600, Map.of()));
    assertThat(twice.status()).isEqualTo(409);
    assertThat(twice.body().path("detail").asText()).contains("already registered");
    assertThat(controller.denyList().size()).as("refused before any certificate was signed: nothing to revoke")
        .isEqualTo(revoked);

    assertThat(auditor.get(api, "/v1/nodes/web-a").body().path("stage").asText()).isEqualTo("registered");
    assertThat(auditor.get(api, "/v1/nodes/nobody-1").status()).isEqualTo(404);
    assertThat(auditor.get(api, "/v1/nodes/Not%20An%20Id").status()).isEqualTo(400);
  }

  private static String registration(String id, String bootstrap, long lifetimeSeconds, Map<String, String> labels)
      throws Exception {
    return JSON.writeValueAsString(Map.of("id", id, "name", id, "labels", labels, "lifetimeSeconds", lifetimeSeconds,
        "bootstrap", bootstrap, "csr", Pem.encodeCertificateRequest(CertificateRequest.create(EcKeys.generate(),
            Identity.node(Identity.isValidName(id) ? id : "placeholder")))));
  }

  private static String agentCaBody(String certificatePem, PrivateKey key) throws Exception {
    try (SecretBytes keyPem = Pem.encodePrivateKey(key)) {
      return JSON.writeValueAsString(Map.of("certificate", certificatePem,
          "key", new String(keyPem.copyBytes(), StandardCharsets.US_ASCII)));
    }
  }

  @Test
  void theFileRoutes_refuseWhatTheyMust_andNeverAnswerWithContent() throws Exception {
    int api = controller.apiPort();
    await().atMost(Duration.ofSeconds(60)).until(() -> controller.readiness().shardingStarted());
    ApiTestClient operator = new ApiTestClient(cluster.issueOperator("ophelia", Role.OPERATOR));
    String marker = "file-routes-marker-" + System.nanoTime();
    String good = fileBody("/run/app/a.conf", List.of(), java.util.Base64.getEncoder().encodeToString(marker.getBytes()));

    assertThat(auditor.put(api, "/v1/files/app/a.conf", good).status()).as("an auditor only reads").isEqualTo(403);
    assertThat(auditor.put(api, "/v1/secrets/db/x", "{\"fields\":{\"password\":\"p\"}}").status()).isEqualTo(403);
    assertThat(operator.put(api, "/v1/files/a..b", good).status()).as("a name with '..'").isEqualTo(400);
    assertThat(operator.put(api, "/v1/files/app/a.conf", fileBody("run/app/a.conf", List.of(), "eA==")).status())
        .as("a relative target path").isEqualTo(400);
    assertThat(operator.put(api, "/v1/files/app/a.conf", fileBody("/run/app/a.conf", List.of("systemctl", "reload", "app"),
        "eA==")).body().path("detail").asText()).as("a reload command off a search path").contains("absolute path");
    String tooLarge = java.util.Base64.getEncoder().encodeToString(new byte[64 * 1024 + 1]);
    assertThat(operator.put(api, "/v1/files/app/a.conf", fileBody("/run/app/a.conf", List.of(), tooLarge)).status())
        .as("content over 64 KiB").isEqualTo(400);
    assertThat(operator.put(api, "/v1/files/app/t.conf", "{\"path\":\"/run/t\",\"selector\":{\"all\":true},"
        + "\"source\":{\"kind\":\"template\",\"text\":\"{{ secret \\\"db/none\\\" \\\"password\\\" }}\"}}").status())
        .as("a template reading a secret that does not exist").isEqualTo(400);
    assertThat(admin.get(api, "/v1/files/app/a.conf").status()).as("nothing was stored").isEqualTo(404);

    ApiTestClient.Reply stored = operator.put(api, "/v1/files/app/a.conf", good);
    assertThat(stored.status()).isEqualTo(200);
    for (ApiTestClient.Reply read : List.of(stored, auditor.get(api, "/v1/files"), auditor.get(api, "/v1/files/app/a.conf"))) {
      assertThat(read.body().toString()).doesNotContain(marker)
          .doesNotContain(java.util.Base64.getEncoder().encodeToString(marker.getBytes()));
    }
    assertThat(auditor.delete(api, "/v1/files/app/a.conf").status()).isEqualTo(403);
    assertThat(operator.delete(api, "/v1/files/app/a.conf").status()).isEqualTo(200);
    assertThat(operator.delete(api, "/v1/files/app/a.conf").status()).isEqualTo(404);
  }

  @Test
  void theServiceCaRoute_takesOnlyTheServiceCa_andTlsCertificateFilesAreChecked() throws Exception {
    int api = controller.apiPort();
    await().atMost(Duration.ofSeconds(60)).until(() -> controller.readiness().shardingStarted());
    ApiTestClient operator = new ApiTestClient(cluster.issueOperator("otto", Role.OPERATOR));
    String serviceCa = agentCaBody(Pem.encodeCertificates(List.of(cluster.serviceCa().certificate())), cluster.serviceCaKey());
    assertThat(auditor.put(api, "/v1/sys/service-ca", serviceCa).status()).isEqualTo(403);
    assertThat(operator.put(api, "/v1/sys/service-ca", serviceCa).status()).isEqualTo(403);
    ApiTestClient.Reply theAgentCa = admin.put(api, "/v1/sys/service-ca",
        agentCaBody(Pem.encodeCertificates(List.of(cluster.agentCa().certificate())), cluster.agentCaKey()));
    assertThat(theAgentCa.status()).isEqualTo(400);
    assertThat(theAgentCa.body().path("type").asText()).endsWith("invalid-service-ca");
    assertThat(theAgentCa.body().path("detail").asText()).contains("not the service CA");
    assertThat(admin.put(api, "/v1/sys/service-ca", agentCaBody(Pem.encodeCertificates(
        List.of(cluster.serviceCa().certificate())), EcKeys.generate().getPrivate())).status()).isEqualTo(400);
    assertThat(controller.serviceCa().current()).as("nothing refused was kept").isEmpty();
    ApiTestClient.Reply imported = admin.put(api, "/v1/sys/service-ca", serviceCa);
    assertThat(imported.status()).isEqualTo(200);
    assertThat(imported.body().path("serial").asText()).isEqualTo(cluster.serviceCa().certificate().getSerialNumber().toString(16));
    assertThat(controller.serviceCa().loaded()).as("this controller's entities see it at once").isPresent();
    assertThat(controller.agentCa().current().filter(ca -> ca.identity().equals(Identity.SERVICE_CA)))
        .as("the agent CA is another value").isEmpty();

    for (Map.Entry<String, Map<String, Object>> bad : Map.<String, Map<String, Object>>of(
        "an address that is not one", Map.of("ipAddresses", List.of("999.0.0.1")),
        "a host name as an address", Map.of("ipAddresses", List.of("localhost")),
        "a DNS name reading a secret", Map.of("dnsNames", List.of("{{ secret \"db/x\" \"password\" }}")),
        "a DNS name that is not one", Map.of("dnsNames", List.of("web_1 .example")),
        "a TTL under ten minutes", Map.of("ttlSeconds", 60),
        "a length", Map.of("length", 12),
        "no names at all", Map.of("dnsNames", List.of())).entrySet()) {
      Map<String, Object> source = new java.util.HashMap<>(bad.getValue());
      source.put("kind", "generated");
      source.put("generator", "tls-certificate");
      ApiTestClient.Reply refused = operator.put(api, "/v1/files/web/tls.pem", JSON.writeValueAsString(Map.of(
          "path", "/run/web/tls.pem", "selector", Map.of("all", true), "source", source)));
      assertThat(refused.status()).as(bad.getKey()).isEqualTo(400);
    }
    assertThat(operator.put(api, "/v1/files/app/key", JSON.writeValueAsString(Map.of("path", "/run/app/key",
        "selector", Map.of("all", true), "source", Map.of("kind", "generated", "generator", "random-key",
            "dnsNames", List.of("web.example"))))).status()).as("names on a random key").isEqualTo(400);
    ApiTestClient.Reply stored = operator.put(api, "/v1/files/web/tls.pem", JSON.writeValueAsString(Map.of(
        "path", "/run/web/tls.pem", "selector", Map.of("all", true),
        "source", Map.of("kind", "generated", "generator", "tls-certificate"))));
    assertThat(stored.status()).isEqualTo(200);
    assertThat(stored.body().path("source").path("dnsNames").get(0).asText()).isEqualTo("{{ node.name }}");
    assertThat(stored.body().path("source").path("ttlSeconds").asLong()).isEqualTo(86400);
  }

  @Test
  void aServiceCertificate_isRefusedAtTheHandshake() throws Exception {
    ApiTestClient service = new ApiTestClient(cluster.issueService("web-1.example", "service-web-1"));
    assertThatThrownBy(() -> service.get(controller.apiPort(), "/v1/sys/seal-status")).isInstanceOf(java.io.IOException.class);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        controller.apiRefusals().count(CertificateValidationException.Reason.INVALID_IDENTITY) >= 1);
  }

  private static String fileBody(String path, List<String> reload, String base64) throws Exception {
    return JSON.writeValueAsString(Map.of("path", path, "reload", reload, "selector", Map.of("labels", Map.of("role", "web")),
        "source", Map.of("kind", "static", "content", base64)));
  }

  @Test
  void anAdmin_rotatesTheDataKey() throws Exception {
    int before = controller.seal().status().activeKeyId();
    ApiTestClient.Reply rotated = admin.post(controller.apiPort(), "/v1/sys/rotate-dek", "{}");
    assertThat(rotated.status()).isEqualTo(200);
    assertThat(rotated.body().path("activeKeyId").asInt()).isEqualTo(before + 1);
  }

  @Test
  void anAdmin_approvesListsAndWithdrawsControllers_andOthersMayOnlyList() throws Exception {
    ApiTestClient.Reply approved = admin.put(controller.apiPort(), "/v1/sys/controllers/ctl-7");
    assertThat(approved.status()).isEqualTo(200);
    assertThat(approved.body().path("approvedBy").asText()).isEqualTo("opencluster://operator/alice?role=admin");
    assertThat(controller.approvals().find("ctl-7")).isPresent();

    ApiTestClient.Reply listed = auditor.get(controller.apiPort(), "/v1/sys/controllers");
    assertThat(listed.status()).isEqualTo(200);
    assertThat(listed.body().path("approved").findValuesAsText("controller")).contains("ctl-1", "ctl-7");

    assertThat(auditor.put(controller.apiPort(), "/v1/sys/controllers/ctl-8").status()).isEqualTo(403);
    assertThat(auditor.delete(controller.apiPort(), "/v1/sys/controllers/ctl-7").status()).isEqualTo(403);
    assertThat(controller.approvals().find("ctl-8")).isEmpty();

    assertThat(admin.delete(controller.apiPort(), "/v1/sys/controllers/ctl-7").status()).isEqualTo(200);
    assertThat(controller.approvals().find("ctl-7")).isEmpty();
    ApiTestClient.Reply again = admin.delete(controller.apiPort(), "/v1/sys/controllers/ctl-7");
    assertThat(again.status()).isEqualTo(404);
    assertThat(again.body().path("type").asText()).endsWith("/not-approved");
    ApiTestClient.Reply invalid = admin.put(controller.apiPort(), "/v1/sys/controllers/Not%20A%20Name");
    assertThat(invalid.status()).isEqualTo(400);
    assertThat(invalid.body().path("type").asText()).endsWith("/invalid-name");
  }

  @Test
  void aDevelopmentController_saysSoInItsSealStatus() throws Exception {
    assertThat(admin.get(controller.apiPort(), "/v1/sys/seal-status").body().path("devMode").asBoolean()).isTrue();
  }

  @Test
  void aDevelopmentKey_isRefusedUnlessDevModeIsOnAndTheStoreIsH2() throws Exception {
    Controller production = cluster.start(ConfigFactory.parseString("opencluster.controller.dev-mode = off")
        .withFallback(cluster.controllerConfig("ctl-prod", TestCluster.freePort(), List.of(), TestDatabases.freshH2())));
    try (SecretBytes key = SecretBytes.random(32)) {
      assertThatThrownBy(() -> production.unsealWithDevelopmentKey(key))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("dev-mode = on");
    }
    assertThat(production.seal().isUnsealed()).isFalse();
    cluster.stop(production);

    Controller postgres = cluster.start(ConfigFactory.parseString("opencluster.controller.dev-mode = on")
        .withFallback(cluster.controllerConfig("ctl-pg", TestCluster.freePort(), List.of(), TestDatabases.freshPostgres())));
    try (SecretBytes key = SecretBytes.random(32)) {
      assertThatThrownBy(() -> postgres.unsealWithDevelopmentKey(key))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("embedded H2 only");
    }
    assertThat(postgres.seal().isUnsealed()).isFalse();
    cluster.stop(postgres);
  }

  @Test
  void aNullBody_isAMalformedRequest() throws Exception {
    ApiTestClient.Reply nullUnseal = admin.post(controller.apiPort(), "/v1/sys/unseal", "null");
    assertThat(nullUnseal.status()).isEqualTo(400);
    assertThat(nullUnseal.body().path("type").asText()).endsWith("/malformed-request");
  }

  @Test
  void initOfAnInitializedCluster_isAConflict() throws Exception {
    ApiTestClient.Reply conflict = admin.post(controller.apiPort(), "/v1/sys/init", "{}");
    assertThat(conflict.status()).isEqualTo(409);
    assertThat(conflict.body().path("type").asText()).endsWith("/already-initialized");
  }

  @Test
  void malformedBodies_unknownRoutesAndWrongMethods_areProblems() throws Exception {
    ApiTestClient.Reply malformed = admin.post(controller.apiPort(), "/v1/sys/unseal", "{not json");
    assertThat(malformed.status()).isEqualTo(400);
    assertThat(malformed.body().path("type").asText()).endsWith("/malformed-request");
    ApiTestClient.Reply unknownField = admin.post(controller.apiPort(), "/v1/sys/init", "{\"sharez\":3}");
    assertThat(unknownField.status()).isEqualTo(400);
    ApiTestClient.Reply missing = admin.get(controller.apiPort(), "/v1/nothing-here");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.body().path("type").asText()).endsWith("/not-found");
    ApiTestClient.Reply wrongMethod = admin.get(controller.apiPort(), "/v1/sys/init");
    assertThat(wrongMethod.status()).isEqualTo(405);
    assertThat(wrongMethod.body().path("type").asText()).endsWith("/method-not-allowed");
  }

  @Test
  void aClientWithoutACertificate_isRefusedAtTheHandshake() throws Exception {
    SSLContext noCertificate = SSLContext.getInstance("TLSv1.3");
    noCertificate.init(null, new javax.net.ssl.TrustManager[] {new AcceptAnyServer()}, null);
    HttpClient anonymous = HttpClient.newBuilder().sslContext(noCertificate).connectTimeout(Duration.ofSeconds(10)).build();
    assertThatThrownBy(() -> anonymous.send(HttpRequest.newBuilder(
            URI.create("https://127.0.0.1:" + controller.apiPort() + "/v1/sys/seal-status")).build(),
        HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
  }

  @Test
  void aNodeOrControllerCertificate_isRefusedAtTheHandshake() throws Exception {
    ApiTestClient node = new ApiTestClient(cluster.issue(cluster.agentCa(), Identity.node("n-1"), "node-n-1"));
    assertThatThrownBy(() -> node.get(controller.apiPort(), "/v1/sys/seal-status")).isInstanceOf(java.io.IOException.class);
    ApiTestClient otherController = new ApiTestClient(cluster.issue(cluster.root(), Identity.controller("ctl-9"), "ctl-9-as-client"));
    assertThatThrownBy(() -> otherController.get(controller.apiPort(), "/v1/sys/seal-status")).isInstanceOf(java.io.IOException.class);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        controller.apiRefusals().count(CertificateValidationException.Reason.WRONG_IDENTITY_KIND) >= 2);
  }

  @Test
  void anOperatorOfAnotherCluster_isRefusedAtTheHandshake() throws Exception {
    TestCluster other = new TestCluster(tmp.resolve("other"));
    Path files = other.issueOperator("mallory", Role.ADMIN);
    // Mallory knows this cluster's root certificate (it is public): the server must refuse her.
    java.nio.file.Files.writeString(files.resolve("ca.pem"),
        org.opencluster.protocol.pki.Pem.encodeCertificates(List.of(cluster.root().certificate())));
    ApiTestClient stranger = new ApiTestClient(files);
    assertThatThrownBy(() -> stranger.get(controller.apiPort(), "/v1/sys/seal-status")).isInstanceOf(Exception.class);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        controller.apiRefusals().count(CertificateValidationException.Reason.UNKNOWN_ISSUER)
            + controller.apiRefusals().count(CertificateValidationException.Reason.BAD_SIGNATURE) >= 1);
  }

  /** The client side of the no-certificate test only: it does not care who the server is. */
  private static final class AcceptAnyServer implements javax.net.ssl.X509TrustManager {
    @Override
    public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

    @Override
    public java.security.cert.X509Certificate[] getAcceptedIssuers() {
      return new java.security.cert.X509Certificate[0];
    }
  }
}
