package org.opencluster.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.protocol.testing.FreePorts;
import org.opencluster.protocol.tls.KeyMaterial;
import org.opencluster.protocol.tls.TlsContexts;
import org.opencluster.protocol.tls.TlsPolicy;

/**
 * 'secret create' and 'secret rotate --wait' against a real controller, started by the launcher
 * (TLS, embedded H2, unsealed with a development key), its rotator steps tried once
 * (max-attempts = 1) so a failing rotation ends at once: a rotation that finishes exits 0, one that
 * fails exits 1 with the rotator's message, and no value is printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecretRotationIT {

  private static final Path LAUNCHER = Path.of(System.getProperty("opencluster.home", "..")).toAbsolutePath().normalize()
      .resolve("bin/opencluster");
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
  private static final String FIRST_PASSWORD = "first-password-never-printed";

  private Path tmp;
  private Process controller;
  private int api;

  @BeforeAll
  void start(@TempDir Path directory) throws Exception {
    tmp = directory;
    String ca = tmp.resolve("ca").toString();
    assertThat(OctlRun.withPassphrase().run("ca", "init", "--dir", ca)).isZero();
    assertThat(OctlRun.withPassphrase().run("ca", "issue", "controller", "ctl-1", "--dir", ca, "--out",
        tmp.resolve("ctl-1").toString(), "--san-ip", "127.0.0.1")).isZero();
    assertThat(OctlRun.withPassphrase().run("ca", "issue", "operator", "alice", "--role", "admin", "--dir", ca,
        "--out", tmp.resolve("alice").toString())).isZero();
    api = FreePorts.loopback();
    int health = FreePorts.loopback();
    Path config = Files.writeString(tmp.resolve("ctl-1.conf"), """
        opencluster.controller {
          name = "ctl-1"
          dev-mode = on
          data-dir = "%s"
          tls { certificate = "%s", key = "%s", ca = "%s" }
          cluster { host = "127.0.0.1", port = %d }
          health { host = "127.0.0.1", port = %d }
          api { host = "127.0.0.1", port = %d }
          edge { host = "127.0.0.1", port = %d }
          secrets { max-attempts = 1 }
        }
        """.formatted(tmp.resolve("data"), tmp.resolve("ctl-1/cert.pem"), tmp.resolve("ctl-1/key.pem"),
        tmp.resolve("ctl-1/ca.pem"), FreePorts.loopback(), health, api, FreePorts.loopback()));
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    Path keyFile = tmp.resolve("dev.key");
    Files.writeString(keyFile, Base64.getEncoder().encodeToString(key));
    Files.setPosixFilePermissions(keyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    controller = new ProcessBuilder(LAUNCHER.toString(), "controller", "--config", config.toString(),
        "--dev-unseal-key-file", keyFile.toString())
        .directory(tmp.toFile())
        .redirectOutput(tmp.resolve("controller.out").toFile())
        .redirectError(tmp.resolve("controller.err").toFile())
        .start();
    await().atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(500)).until(() -> ready(health) == 200
        || !controller.isAlive());
    assertThat(controller.isAlive()).as(Files.readString(tmp.resolve("controller.err"))).isTrue();
  }

  @AfterAll
  void stop() throws Exception {
    if (controller != null) {
      controller.destroy();
      assertThat(controller.waitFor(90, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void aSecretRotatedByNone_isCreated_andRotateWait_endsWhenTheNewVersionIsCurrent() throws Exception {
    Path first = Files.writeString(tmp.resolve("first"), FIRST_PASSWORD + "\n");
    OctlRun created = octl();
    assertThat(created.run("secret", "create", "app/token", "--rotator", "none", "--consumer-node", "nobody-1",
        "--every", "30d", "password=@" + first)).as(created.err()).isZero();
    assertThat(created.out()).contains("Created rotating secret app/token: version 1 is current.")
        .contains("v1 CURRENT").contains("node nobody-1");

    OctlRun rotated = octl();
    assertThat(rotated.run("secret", "rotate", "app/token", "--wait", "--timeout", "2m")).as(rotated.err()).isZero();
    assertThat(rotated.out()).contains("rotation of app/token to version 2 started")
        .contains("rotation of app/token finished: version 2 is current; none behind");

    OctlRun shown = octl();
    assertThat(shown.run("secret", "show", "app/token")).isZero();
    assertThat(shown.out()).contains("v2 CURRENT").contains("v1 PREVIOUS").contains("step retire");
    OctlRun again = octl();
    assertThat(again.run("secret", "rotate", "app/token")).as("a rotation runs until the grace period ends").isEqualTo(1);
    assertThat(again.err()).contains("a rotation is running");
    for (OctlRun run : java.util.List.of(created, rotated, shown, again)) {
      assertThat(run.out() + run.err()).doesNotContain(FIRST_PASSWORD);
    }
  }

  @Test
  void rotateWait_ofARotationThatFails_exitsNonZero_withTheRotatorsMessage() throws Exception {
    OctlRun admin = octl();
    Path password = Files.writeString(tmp.resolve("admin-password"), "admin-password-never-printed");
    assertThat(admin.run("secret", "put", "db/admin", "username=@" + Files.writeString(tmp.resolve("admin-user"), "rotator"),
        "password=@" + password)).as(admin.err()).isZero();
    OctlRun created = octl();
    assertThat(created.run("secret", "create", "db/app", "--rotator", "postgresql",
        "--param", "jdbc-url=jdbc:postgresql://127.0.0.1:" + FreePorts.loopback() + "/app", "--param", "role-a=app_a",
        "--param", "role-b=app_b", "--admin-secret", "db/admin", "--consumers", "role=db-client",
        "username=@" + Files.writeString(tmp.resolve("user"), "app_a"),
        "password=@" + Files.writeString(tmp.resolve("first-pg"), FIRST_PASSWORD))).as(created.err()).isZero();

    OctlRun rotated = octl();
    assertThat(rotated.run("secret", "rotate", "db/app", "--wait", "--timeout", "2m")).isEqualTo(1);
    assertThat(rotated.err()).contains("rotation of db/app to version 2 failed at set and was rolled back")
        .contains("could not be reached");
    OctlRun shown = octl();
    assertThat(shown.run("secret", "show", "db/app")).isZero();
    assertThat(shown.out()).contains("last failure").contains("v1 CURRENT");
    for (OctlRun run : java.util.List.of(admin, created, rotated, shown)) {
      assertThat(run.out() + run.err()).doesNotContain(FIRST_PASSWORD).doesNotContain("admin-password-never-printed");
    }
  }

  @Test
  void showOfAStaticSecret_isAsBefore() throws Exception {
    OctlRun put = octl();
    assertThat(put.run("secret", "put", "app/static", "token=@" + Files.writeString(tmp.resolve("t"), "x-value")))
        .isZero();
    OctlRun shown = octl();
    assertThat(shown.run("secret", "show", "app/static")).isZero();
    assertThat(shown.out()).contains("used by").contains("token").doesNotContain("rotator");
  }

  private OctlRun octl() {
    return OctlRun.withoutPassphrase()
        .variable("OPENCLUSTER_ADDR", "https://127.0.0.1:" + api)
        .variable("OPENCLUSTER_CLIENT_CERT", tmp.resolve("alice/cert.pem").toString())
        .variable("OPENCLUSTER_CLIENT_KEY", tmp.resolve("alice/key.pem").toString())
        .variable("OPENCLUSTER_CACERT", tmp.resolve("alice/ca.pem").toString());
  }

  /** The readiness endpoint's status (500 while sealed or starting), or -1 while it does not answer. */
  private int ready(int port) {
    try {
      KeyMaterial material = KeyMaterial.load(tmp.resolve("alice/cert.pem"), tmp.resolve("alice/key.pem"),
          tmp.resolve("alice/ca.pem"));
      HttpClient client = HttpClient.newBuilder()
          .sslContext(TlsContexts.create(material, TlsPolicy.clientOfControllers(r -> { }, Clock.systemUTC()))).build();
      return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/ready")).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }
}
