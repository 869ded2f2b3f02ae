package org.opencluster.controller.provisioning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.pekko.Done;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.testing.HookScript;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.SubjectAltNames;

/**
 * The provisioner hook on its own: real processes for the command, a real HTTPS server on
 * 127.0.0.1 (certificate made by the test) for the webhook, and every refusal.
 */
class ProvisionerHookTest {

  private static final Instant AT = Instant.parse("2026-06-01T12:00:00Z");
  private static final ExecutorService EXECUTOR = Executors.newCachedThreadPool();

  @TempDir
  Path directory;

  @AfterAll
  static void shutDown() {
    EXECUTOR.shutdownNow();
  }

  // ---- configuration ------------------------------------------------------------------------

  @Test
  void nothingConfigured_isNoHook() {
    ProvisionerSettings settings = ProvisionerSettings.create(config(Map.of()));
    assertThat(settings.hook(EXECUTOR).configured()).isFalse();
  }

  @Test
  void theExampleConfig_configuresNoHook_withTheDocumentedRetries() {
    ProvisionerSettings example = ProvisionerSettings.create(ConfigFactory.parseFile(
        Path.of("..", "docs", "controller.example.conf").toFile()).withFallback(ConfigFactory.defaultReference()));
    assertThat(example.hook(EXECUTOR).configured()).isFalse();
    assertThat(example.retries()).isEqualTo(5);
    assertThat(example.maxBackoff()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void aRelativeProgram_isRefusedAtConfiguration() {
    assertThatThrownBy(() -> ProvisionerSettings.create(config(Map.of("command", List.of("recreate-host", "--pool")))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("absolute path");
  }

  @Test
  void anEmptyCommand_isRefusedAtConfiguration() {
    assertThatThrownBy(() -> ProvisionerSettings.create(config(Map.of("command", List.of()))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a program");
  }

  @Test
  void aPlainHttpWebhook_isRefusedAtConfiguration() throws Exception {
    Path ca = writeCa(root().certificate());
    assertThatThrownBy(() -> ProvisionerSettings.create(config(Map.of(
        "webhook", Map.of("url", "http://127.0.0.1:8080/recreate", "ca", ca.toString())))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https");
  }

  @Test
  void aWebhookCaFileWithoutCertificates_isRefusedAtConfiguration() throws Exception {
    Path empty = Files.writeString(directory.resolve("empty.pem"), "");
    assertThatThrownBy(() -> ProvisionerSettings.create(config(Map.of(
        "webhook", Map.of("url", "https://127.0.0.1:8443/recreate", "ca", empty.toString())))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no certificate");
  }

  @Test
  void commandAndWebhookTogether_areRefusedAtConfiguration() throws Exception {
    Path ca = writeCa(root().certificate());
    assertThatThrownBy(() -> ProvisionerSettings.create(config(Map.of("command", List.of("/bin/true"),
        "webhook", Map.of("url", "https://127.0.0.1:8443/recreate", "ca", ca.toString())))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
  }

  @Test
  void backoff_doublesUpToItsBound() {
    ProvisionerSettings settings = new ProvisionerSettings(java.util.Optional.empty(), java.util.Optional.empty(),
        Duration.ofSeconds(1), 9, Duration.ofSeconds(10), Duration.ofSeconds(35));
    assertThat(List.of(settings.backoffBefore(2), settings.backoffBefore(3), settings.backoffBefore(4),
        settings.backoffBefore(9))).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(20),
        Duration.ofSeconds(35), Duration.ofSeconds(35));
  }

  // ---- command ------------------------------------------------------------------------------

  @Test
  void aCommand_runsOnce_withTheNodeIdAndReason_asArgumentsAndEnvironment() throws Exception {
    HookScript script = HookScript.succeeding(directory);
    ProvisionerHook hook = commandHook(script, 3);

    assertThat(hook.recreate("n-7", "heartbeat_missed", AT).toCompletableFuture().get(30, TimeUnit.SECONDS))
        .isEqualTo(Done.getInstance());
    assertThat(script.calls()).containsExactly("n-7 heartbeat_missed env=n-7");
  }

  @Test
  void aFailingCommand_isRetried_thenReported() {
    HookScript script = HookScript.exitingWith(directory, 3);
    CompletableFuture<Done> result = commandHook(script, 2).recreate("n-7", "operator", AT).toCompletableFuture();

    await().atMost(Duration.ofSeconds(30)).until(result::isDone);
    assertThat(result).isCompletedExceptionally();
    assertThatThrownBy(result::join).hasCauseInstanceOf(ProvisionerHookException.class)
        .hasMessageContaining("failed after 3 attempts").hasMessageContaining("exited with status 3");
    assertThat(script.calls()).hasSize(3).allMatch(call -> call.startsWith("n-7 operator"));
  }

  @Test
  void aCommandThatOutlivesItsTimeout_isKilled_andReported() {
    HookScript script = HookScript.gated(directory);
    ProvisionerSettings settings = new ProvisionerSettings(java.util.Optional.of(List.of(script.program())),
        java.util.Optional.empty(), Duration.ofMillis(300), 0, Duration.ofMillis(1), Duration.ofMillis(1));
    CompletableFuture<Done> result = settings.hook(EXECUTOR).recreate("n-7", "operator", AT).toCompletableFuture();

    await().atMost(Duration.ofSeconds(30)).until(result::isDone);
    assertThatThrownBy(result::join).hasMessageContaining("did not finish").hasMessageContaining("killed");
  }

  @Test
  void aProgramThatDoesNotExist_isReported() {
    ProvisionerSettings settings = new ProvisionerSettings(
        java.util.Optional.of(List.of(directory.resolve("missing").toString())), java.util.Optional.empty(),
        Duration.ofSeconds(5), 0, Duration.ofMillis(1), Duration.ofMillis(1));
    CompletableFuture<Done> result = settings.hook(EXECUTOR).recreate("n-7", "operator", AT).toCompletableFuture();

    await().atMost(Duration.ofSeconds(30)).until(result::isDone);
    assertThatThrownBy(result::join).hasMessageContaining("could not start");
  }

  // ---- webhook ------------------------------------------------------------------------------

  @Test
  void aWebhook_postsTheNodeIdAndReason_toARealHttpsServer() throws Exception {
    CertificateAuthority root = root();
    List<JsonNode> received = new CopyOnWriteArrayList<>();
    HttpsServer server = httpsServer(root, 204, received);
    try {
      ProvisionerHook hook = webhookHook(server, root.certificate(), 0);

      hook.recreate("n-7", "clone_detected", AT).toCompletableFuture().get(30, TimeUnit.SECONDS);

      assertThat(received).hasSize(1);
      assertThat(received.get(0).get("node").asText()).isEqualTo("n-7");
      assertThat(received.get(0).get("reason").asText()).isEqualTo("clone_detected");
      assertThat(received.get(0).get("at").asText()).isEqualTo(AT.toString());
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aWebhookAnsweringAnError_isRetried_thenReported_withoutItsPath() throws Exception {
    CertificateAuthority root = root();
    List<JsonNode> received = new CopyOnWriteArrayList<>();
    HttpsServer server = httpsServer(root, 500, received);
    try {
      CompletableFuture<Done> result = webhookHook(server, root.certificate(), 1)
          .recreate("n-7", "operator", AT).toCompletableFuture();

      await().atMost(Duration.ofSeconds(30)).until(result::isDone);
      assertThatThrownBy(result::join).hasMessageContaining("failed after 2 attempts").hasMessageContaining("500")
          .message().doesNotContain("token");
      assertThat(received).hasSize(2);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aWebhookServer_withACertificateFromAnotherCa_isRefused() throws Exception {
    CertificateAuthority root = root();
    List<JsonNode> received = new CopyOnWriteArrayList<>();
    HttpsServer server = httpsServer(root, 204, received);
    try {
      CompletableFuture<Done> result = webhookHook(server, root().certificate(), 0)
          .recreate("n-7", "operator", AT).toCompletableFuture();

      await().atMost(Duration.ofSeconds(30)).until(result::isDone);
      assertThatThrownBy(result::join).hasCauseInstanceOf(ProvisionerHookException.class)
          .hasMessageContaining("SSLHandshakeException");
      assertThat(received).isEmpty();
    } finally {
      server.stop(0);
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private ProvisionerHook commandHook(HookScript script, int retries) {
    return new ProvisionerSettings(java.util.Optional.of(List.of(script.program())), java.util.Optional.empty(),
        Duration.ofSeconds(30), retries, Duration.ofMillis(10), Duration.ofMillis(40)).hook(EXECUTOR);
  }

  private ProvisionerHook webhookHook(HttpsServer server, X509Certificate ca, int retries) throws Exception {
    String url = "https://127.0.0.1:" + server.getAddress().getPort() + "/v1/recreate?token=s3cret";
    return ProvisionerSettings.create(config(Map.of("webhook", Map.of("url", url, "ca", writeCa(ca).toString()),
        "retries", retries, "backoff", "10ms"))).hook(EXECUTOR);
  }

  private static Config config(Map<String, Object> provisioner) {
    Config base = ConfigFactory.defaultReference().getConfig("opencluster.controller.provisioner");
    Config given = ConfigFactory.parseMap(Map.of()).withValue("p", ConfigValueFactory.fromMap(provisioner))
        .getConfig("p");
    return given.withFallback(base).atPath("opencluster.controller.provisioner");
  }

  private static CertificateAuthority root() throws Exception {
    return CertificateAuthority.createRoot(EcKeys.generate(), "test", Duration.ofDays(2), Clock.systemUTC());
  }

  private Path writeCa(X509Certificate ca) throws Exception {
    return Files.writeString(Files.createTempFile(directory, "ca", ".pem"), Pem.encodeCertificates(List.of(ca)));
  }

  /** A real HTTPS server on 127.0.0.1 with a certificate from {@code root}'s service CA; its key never leaves memory. */
  private static HttpsServer httpsServer(CertificateAuthority root, int status, List<JsonNode> received) throws Exception {
    CertificateAuthority services = root.createServiceCa(EcKeys.generate(), Duration.ofDays(1), List.of());
    KeyPair keys = EcKeys.generate();
    X509Certificate certificate = services.issueService(keys.getPublic(),
        new SubjectAltNames(List.of(), List.of(InetAddress.getByName("127.0.0.1"))), Duration.ofHours(12));
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = "in-memory".toCharArray();
    store.setKeyEntry("server", keys.getPrivate(), password, new Certificate[] {certificate, services.certificate()});
    KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    managers.init(store, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(managers.getKeyManagers(), null, null);

    HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(context));
    ObjectMapper json = new ObjectMapper();
    server.createContext("/v1/recreate", exchange -> {
      received.add(json.readTree(exchange.getRequestBody().readAllBytes()));
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    server.start();
    return server;
  }
}
