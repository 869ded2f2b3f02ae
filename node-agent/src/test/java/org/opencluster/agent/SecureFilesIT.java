package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.Controller;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Pem;
import org.slf4j.LoggerFactory;

/**
 * Secure files end to end: a real agent process (the launcher, the runnable jar) against a real
 * controller on PostgreSQL with real TLS. Files defined through the operator API appear in a tmpfs
 * directory with their owner, mode and content, a named pipe is read by a separate {@code cat}, a
 * change reaches the file and runs its reload command, and when the lease lapses every file is
 * gone. Then the proof the seeds ask for: the marker secrets are nowhere on disk outside tmpfs
 * (the controller's and the agent's files, logs, temp dirs) and in no database row.
 */
class SecureFilesIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> TEST_NODES = Map.of("role", "test");

  @TempDir
  Path tmp;
  private Path shm;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeEach
  void tmpfsDirectoryAndLogCapture() throws Exception {
    shm = Files.createTempDirectory(Path.of("/dev/shm"), "oc-files-it-");
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
  }

  @AfterEach
  void cleanUp() throws Exception {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    try (Stream<Path> files = Files.walk(shm)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void anAgentProcess_servesFilesFromMemory_followsAChange_wipesOnLeaseLapse_andNoSecretIsOnDisk() throws Exception {
    String staticMarker = marker("static");
    String pipeMarker = marker("pipe");
    String secretMarker = marker("secret");
    String rotatedMarker = marker("rotated");
    StorageSettings storage = TestDatabases.freshPostgres();
    List<String> markers = new ArrayList<>(List.of(staticMarker, pipeMarker, secretMarker, rotatedMarker));
    Process agent = null;
    Path log = tmp.resolve("agent.log");
    try (Testbed testbed = new Testbed(tmp, storage)) {
      Controller controller = testbed.controller("ctl-1");
      ApiTestClient api = testbed.admin();
      int port = controller.apiPort();
      put(api, port, "/v1/secrets/db/orders", Map.of("fields", Map.of("password", secretMarker)));
      put(api, port, "/v1/sys/service-ca", serviceCa(testbed));
      put(api, port, "/v1/files/app/tls.pem", file(shm.resolve("tls.pem"), "root", "root", "0400", "tmpfs", List.of(),
          Map.of("kind", "generated", "generator", "tls-certificate", "dnsNames", List.of("{{ node.name }}.test.example"),
              "ipAddresses", List.of("127.0.0.1")), TEST_NODES));
      put(api, port, "/v1/files/app/static.conf", file(shm.resolve("static.conf"), "nobody", "65534", "0440", "tmpfs",
          List.of(), Map.of("kind", "static", "content", base64("key=" + staticMarker + "\n")), TEST_NODES));
      put(api, port, "/v1/files/app/db.conf", file(shm.resolve("db.conf"), "root", "root", "0400", "tmpfs",
          List.of("/bin/sh", "-c", "echo reloaded >> " + shm.resolve("reload.log")),
          Map.of("kind", "template", "text", "password={{ secret \"db/orders\" \"password\" }}\nhost={{ node.name }}\n"),
          TEST_NODES));
      put(api, port, "/v1/files/app/local.pw", file(shm.resolve("local.pw"), "root", "root", "0400", "tmpfs", List.of(),
          Map.of("kind", "generated", "generator", "random-password", "length", 24), TEST_NODES));
      put(api, port, "/v1/files/app/pipe.conf", file(shm.resolve("pipe.conf"), "root", "root", "0444", "fifo", List.of(),
          Map.of("kind", "static", "content", base64("pipe=" + pipeMarker + "\n")), TEST_NODES));
      put(api, port, "/v1/files/app/elsewhere.conf", file(shm.resolve("elsewhere.conf"), "root", "root", "0400", "tmpfs",
          List.of(), Map.of("kind", "static", "content", base64("not for web-1\n")), Map.of()));

      Path bundle = testbed.register(controller, "web-1");
      agent = Testbed.startAgentProcess(tmp, bundle, log, "boot-files");
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(shm.resolve("local.pw"))
          && Files.exists(shm.resolve("tls.pem")) && Files.exists(shm.resolve("db.conf")) && Files.exists(shm.resolve("static.conf"))
          && Files.exists(shm.resolve("pipe.conf"), LinkOption.NOFOLLOW_LINKS));

      assertThat(Files.getFileStore(shm).type()).isEqualTo("tmpfs");
      assertThat(Testbed.text(shm.resolve("static.conf"))).isEqualTo("key=" + staticMarker + "\n");
      PosixFileAttributes staticAttributes = Files.readAttributes(shm.resolve("static.conf"), PosixFileAttributes.class);
      assertThat(staticAttributes.owner().getName()).isEqualTo("nobody");
      assertThat(PosixFilePermissions.toString(staticAttributes.permissions())).isEqualTo("r--r-----");
      assertThat(Testbed.text(shm.resolve("db.conf"))).isEqualTo("password=" + secretMarker + "\nhost=web-1\n");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(shm.resolve("db.conf")))).isEqualTo("r--------");
      String password = Testbed.text(shm.resolve("local.pw"));
      assertThat(password).matches("[A-Za-z0-9]{24}");
      markers.add(password);
      assertThat(Files.readAttributes(shm.resolve("pipe.conf"), PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther())
          .as("a named pipe, not a file").isTrue();
      assertThat(cat(shm.resolve("pipe.conf"))).isEqualTo("pipe=" + pipeMarker + "\n");
      assertThat(cat(shm.resolve("pipe.conf"))).as("every reader gets the content").isEqualTo("pipe=" + pipeMarker + "\n");
      assertThat(shm.resolve("elsewhere.conf")).as("outside its selector").doesNotExist();
      markers.add(checkServiceCertificate(shm.resolve("tls.pem"), testbed));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(fileResults(testbed, controller))
          .containsEntry("app/static.conf", "applied").containsEntry("app/db.conf", "applied")
          .containsEntry("app/local.pw", "applied").containsEntry("app/pipe.conf", "applied")
          .containsEntry("app/tls.pem", "applied"));
      for (String listing : List.of("/v1/files", "/v1/files/app/static.conf", "/v1/secrets", "/v1/secrets/db/orders")) {
        ApiTestClient.Reply read = api.get(port, listing);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.body().toString()).as("GET " + listing + " never returns content").doesNotContain("marker-");
      }
      long reloadsBefore = lines(shm.resolve("reload.log"));

      put(api, port, "/v1/secrets/db/orders", Map.of("fields", Map.of("password", rotatedMarker)));
      await().atMost(Duration.ofSeconds(30)).until(() -> Testbed.text(shm.resolve("db.conf")).contains(rotatedMarker));
      await().atMost(Duration.ofSeconds(30)).until(() -> lines(shm.resolve("reload.log")) == reloadsBefore + 1);
      assertThat(Testbed.text(shm.resolve("local.pw"))).as("a generated secret stays").isEqualTo(password);

      testbed.cluster().stop(controller);
      assertThat(agent.waitFor(60, TimeUnit.SECONDS)).as("the agent stops when its lease lapses").isTrue();
      assertThat(agent.exitValue()).as(Files.readString(log)).isEqualTo(Agent.Outcome.LEASE_LAPSED.exitCode());
      try (Stream<Path> left = Files.list(shm)) {
        assertThat(left.map(p -> p.getFileName().toString())).as("every file and pipe is gone")
            .containsExactly("reload.log");
      }
    } finally {
      if (agent != null && agent.isAlive()) {
        agent.destroyForcibly();
      }
      if (Files.exists(log)) {
        System.out.println("---- the agent's log ----\n" + Files.readString(log));
      }
    }
    assertNoMarkerOnDisk(markers);
    assertNoMarkerInTheDatabase(storage, markers);
    assertNoMarkerInTheLogs(markers);
  }

  @Test
  void aTargetOnADiskBackedFileSystem_isRefused_withAClearError() throws Exception {
    Path disk = Files.createDirectories(tmp.resolve("on-disk"));
    try (Testbed testbed = new Testbed(tmp, TestDatabases.freshH2())) {
      Controller controller = testbed.controller("ctl-1");
      put(testbed.admin(), controller.apiPort(), "/v1/files/app/disk.conf", file(disk.resolve("disk.conf"), "root", "root",
          "0400", "tmpfs", List.of(), Map.of("kind", "static", "content", base64("x\n")), TEST_NODES));
      testbed.agent(testbed.register(controller, "web-2"), "boot-disk");
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        JsonNode file = testbed.status(controller, "web-2").path("files").get(0);
        assertThat(file).isNotNull();
        assertThat(file.path("result").asText()).isEqualTo("failed");
        assertThat(file.path("detail").asText()).contains("tmpfs").contains("ext4");
      });
      assertThat(disk.resolve("disk.conf")).doesNotExist();
      try (Stream<Path> left = Files.list(disk)) {
        assertThat(left).as("not even a temporary file").isEmpty();
      }
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static Map<String, String> serviceCa(Testbed testbed) throws Exception {
    try (SecretBytes key = Pem.encodePrivateKey(testbed.cluster().serviceCaKey())) {
      return Map.of("certificate", Pem.encodeCertificates(List.of(testbed.cluster().serviceCa().certificate())),
          "key", new String(key.copyBytes(), StandardCharsets.US_ASCII));
    }
  }

  /**
   * The tls-certificate file holds a key and a certificate for it that a standard PKIX validator
   * accepts under the cluster root, with the node's rendered names; returns a line of the key's
   * PEM, a marker that must be found nowhere on disk.
   */
  private static String checkServiceCertificate(Path file, Testbed testbed) throws Exception {
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("r--------");
    String pem = Testbed.text(file);
    int certificates = pem.indexOf("-----BEGIN CERTIFICATE-----");
    java.security.PrivateKey key;
    try (SecretBytes keyPem = SecretBytes.copyOf(pem.substring(0, certificates).getBytes(StandardCharsets.US_ASCII))) {
      key = Pem.decodePrivateKey(keyPem);
    }
    List<java.security.cert.X509Certificate> chain = Pem.decodeCertificates(pem.substring(certificates));
    assertThat(org.opencluster.protocol.crypto.EcKeys.belongTogether(chain.get(0).getPublicKey(), key)).isTrue();
    assertThat(chain.get(0).getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList())
        .containsExactly("web-1.test.example", "127.0.0.1");
    java.security.cert.PKIXParameters parameters = new java.security.cert.PKIXParameters(
        java.util.Set.of(new java.security.cert.TrustAnchor(testbed.cluster().root().certificate(), null)));
    parameters.setRevocationEnabled(false);
    java.security.cert.CertPathValidator.getInstance("PKIX").validate(
        java.security.cert.CertificateFactory.getInstance("X.509").generateCertPath(chain), parameters);
    return pem.lines().skip(1).findFirst().orElseThrow();
  }

  private static Map<String, Object> file(Path path, String owner, String group, String mode, String delivery,
      List<String> reload, Map<String, Object> source, Map<String, String> labels) {
    Map<String, Object> selector = labels.isEmpty() ? Map.of("nodes", List.of("someone-else")) : Map.of("labels", labels);
    return Map.of("path", path.toString(), "owner", owner, "group", group, "mode", mode, "delivery", delivery,
        "reload", reload, "selector", selector, "source", source);
  }

  private static void put(ApiTestClient api, int port, String path, Object body) throws Exception {
    ApiTestClient.Reply reply = api.put(port, path, JSON.writeValueAsString(body));
    assertThat(reply.status()).as(reply.body().toString()).isEqualTo(200);
    assertThat(reply.body().toString()).as("the API never returns content").doesNotContain("marker-");
  }

  private static Map<String, String> fileResults(Testbed testbed, Controller controller) throws Exception {
    Map<String, String> results = new java.util.TreeMap<>();
    testbed.status(controller, "web-1").path("files").forEach(f -> results.put(f.path("name").asText(), f.path("result").asText()));
    return results;
  }

  /** Reads a pipe with a separate process, as a service would. */
  private static String cat(Path pipe) throws Exception {
    Process cat = new ProcessBuilder("cat", pipe.toString()).redirectErrorStream(true).start();
    assertThat(cat.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  private static long lines(Path file) throws Exception {
    return Files.exists(file) ? Files.readAllLines(file).size() : 0;
  }

  private static String marker(String kind) {
    return "marker-" + kind + "-" + HexFormat.of().formatHex(org.opencluster.protocol.crypto.SecretBytes.random(8).copyBytes());
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Every file the controller and the agent wrote outside tmpfs: data dir, bundle, configs, the agent's log. */
  private void assertNoMarkerOnDisk(List<String> markers) throws Exception {
    List<Path> scanned = new ArrayList<>();
    try (Stream<Path> files = Files.walk(tmp)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        byte[] bytes = Files.readAllBytes(file);
        for (String marker : markers) {
          assertThat(contains(bytes, marker)).as(file + " holds a secret").isFalse();
        }
        scanned.add(file);
      }
    }
    assertThat(scanned).as("the scan saw the agent's log and the bundle")
        .anyMatch(p -> p.endsWith("agent.log")).anyMatch(p -> p.endsWith("node.pem"));
  }

  /** Every row of every table of the controller's database, every column as text and as bytes. */
  private static void assertNoMarkerInTheDatabase(StorageSettings storage, List<String> markers) throws Exception {
    int rows = 0;
    try (Connection connection = DriverManager.getConnection(storage.jdbcUrl(), storage.user(), storage.password());
        Statement statement = connection.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet listed = connection.getMetaData().getTables(null, "public", "%", new String[] {"TABLE"})) {
        while (listed.next()) {
          tables.add(listed.getString("TABLE_NAME"));
        }
      }
      assertThat(tables).contains("event_journal");
      for (String table : tables) {
        try (ResultSet row = statement.executeQuery("SELECT * FROM \"" + table + "\"")) {
          int columns = row.getMetaData().getColumnCount();
          while (row.next()) {
            rows++;
            for (int i = 1; i <= columns; i++) {
              byte[] bytes = row.getBytes(i);
              for (String marker : markers) {
                assertThat(bytes != null && contains(bytes, marker)).as(table + " holds a secret").isFalse();
              }
            }
          }
        }
      }
    }
    assertThat(rows).as("the journal is not empty: the scan saw the stored events").isGreaterThan(5);
  }

  private void assertNoMarkerInTheLogs(List<String> markers) {
    assertThat(logs.list).as("the controller logged").isNotEmpty();
    for (ILoggingEvent event : logs.list) {
      String line = event.getFormattedMessage() + (event.getThrowableProxy() == null ? "" : event.getThrowableProxy().getMessage());
      for (String marker : markers) {
        assertThat(line).as("a log line holds a secret").doesNotContain(marker);
      }
    }
  }

  private static boolean contains(byte[] haystack, String needle) {
    byte[] n = needle.getBytes(StandardCharsets.UTF_8);
    outer:
    for (int i = 0; i + n.length <= haystack.length; i++) {
      for (int j = 0; j < n.length; j++) {
        if (haystack[i + j] != n[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
