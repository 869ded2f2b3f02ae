package org.opencluster.controller.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.testing.PasswordPostgres;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * The alternating-users rotator against a real PostgreSQL that checks passwords (SCRAM), every
 * login through the real JDBC driver.
 */
class PostgresRotatorTest {

  private static final String ADMIN_PASSWORD = "Adm1nPassw0rdForTheRotatorTest";

  private final List<Map<String, SecretBytes>> versions = new ArrayList<>();
  private PasswordPostgres database;
  private String roleA;
  private String roleB;
  private String adminRole;
  private Map<String, SecretBytes> admin;

  @BeforeEach
  void createRoles() {
    database = PasswordPostgres.fresh();
    roleA = PasswordPostgres.name("app_a");
    roleB = PasswordPostgres.name("app_b");
    adminRole = PasswordPostgres.name("rotator");
    String group = PasswordPostgres.name("app");
    // The set-up docs/operations.md gives: a CREATEROLE admin that is not a superuser, the two
    // login roles with ADMIN option granted to it, both members of the application's group role.
    database.asSuperuser(
        "CREATE ROLE " + adminRole + " LOGIN CREATEROLE PASSWORD '" + ADMIN_PASSWORD + "'",
        "CREATE ROLE " + group + " NOLOGIN",
        "CREATE ROLE " + roleA + " LOGIN",
        "CREATE ROLE " + roleB + " LOGIN",
        "GRANT " + group + " TO " + roleA + ", " + roleB,
        "GRANT " + roleA + ", " + roleB + " TO " + adminRole + " WITH ADMIN OPTION");
    admin = version(adminRole, ADMIN_PASSWORD);
  }

  @AfterEach
  void closeVersions() {
    versions.forEach(v -> v.values().forEach(SecretBytes::close));
  }

  @Test
  void twentyRotations_noConsumerLoginFails_andOnlyCurrentAndPreviousLogIn() throws Exception {
    Rotator rotator = rotator("keep");
    Map<String, SecretBytes> current = track(Map.of(
        "username", utf8(roleA), "password", Passwords.random(32), "database", utf8("orders")));
    rotator.set(current);
    rotator.test(current);

    AtomicReference<Map<String, SecretBytes>> held = new AtomicReference<>(current);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong logins = new AtomicLong();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    Thread consumer = new Thread(() -> {
      while (!stop.get()) {
        Optional<String> refused = login(held.get());
        refused.ifPresent(failures::add);
        logins.incrementAndGet();
      }
    }, "consumer");
    consumer.start();
    try {
      Map<String, SecretBytes> previous = null;
      for (int rotation = 1; rotation <= 20; rotation++) {
        Map<String, SecretBytes> pending = track(rotator.next(current));
        assertThat(Passwords.text(pending, "username")).isNotEqualTo(Passwords.text(current, "username"));
        assertThat(pending.get("database")).isEqualTo(current.get("database"));

        rotator.set(pending);
        rotator.set(pending); // repeated after a crash: still the same password
        loginsAdvance(logins, 2); // the consumer keeps logging in with the current version
        rotator.test(pending);

        Map<String, SecretBytes> twoBack = previous;
        previous = current;
        current = pending;
        held.set(current); // finish: consumers switch
        loginsAdvance(logins, 2);

        assertThat(login(current)).as("current after rotation %d", rotation).isEmpty();
        assertThat(login(previous)).as("previous after rotation %d", rotation).isEmpty();
        if (twoBack != null) {
          assertThat(login(twoBack)).as("two back after rotation %d", rotation).contains("28P01");
        }
        rotator.retire(previous); // keep: the previous version still logs in
        assertThat(login(previous)).isEmpty();
      }
    } finally {
      stop.set(true);
      consumer.join();
    }
    assertThat(failures).as("failed consumer logins").isEmpty();
    assertThat(logins.get()).isGreaterThanOrEqualTo(80);
  }

  @Test
  void testOfAWrongPassword_failsNotRetryable_withoutTheSecret() throws Exception {
    Rotator rotator = rotator("keep");
    Map<String, SecretBytes> right = version(roleA, "RightPassw0rdRightPassw0rd");
    rotator.set(right);
    Map<String, SecretBytes> wrong = version(roleA, "Wr0ngPasswordWr0ngPassword");

    assertThatThrownBy(() -> rotator.test(wrong))
        .isInstanceOfSatisfying(RotationException.class, e -> {
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage()).contains("refused").contains("28P01")
              .doesNotContain("Wr0ngPassword").doesNotContain("RightPassw0rd");
          assertThat(e.getCause()).isNull();
        });
    rotator.test(right);
  }

  @Test
  void setByAnAdminWithoutCreateRole_failsNotRetryable_andChangesNothing() throws Exception {
    String weak = PasswordPostgres.name("weak");
    database.asSuperuser("CREATE ROLE " + weak + " LOGIN PASSWORD 'WeakAdminPassw0rd'");
    Rotator rotator = Rotators.standard().create(spec("keep"), version(weak, "WeakAdminPassw0rd"));
    Map<String, SecretBytes> pending = version(roleB, "Pend1ngPassw0rdPend1ngPassw0rd");

    assertThatThrownBy(() -> rotator.set(pending))
        .isInstanceOfSatisfying(RotationException.class, e -> {
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage()).contains("CREATEROLE").contains("42501")
              .doesNotContain("Pend1ngPassw0rd").doesNotContain("WeakAdminPassw0rd");
        });
    assertThat(login(pending)).isPresent();
  }

  @Test
  void aRefusedAdminLogin_isNotRetryable() {
    Rotator rotator = Rotators.standard().create(spec("keep"), version(adminRole, "NotTheAdminPassw0rd"));
    Map<String, SecretBytes> pending = version(roleB, "Pend1ngPassw0rdPend1ngPassw0rd");

    assertThatThrownBy(() -> rotator.set(pending))
        .isInstanceOfSatisfying(RotationException.class, e -> {
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage()).startsWith("the admin login was refused").doesNotContain("NotTheAdminPassw0rd");
        });
  }

  @Test
  void aRoleOutsideTheConfiguredTwo_isRefusedBeforeAnyConnection() throws Exception {
    // Nothing listens on this URL: a refusal that is not the (retryable) network failure was
    // decided before a connection was tried.
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    RotatorSpec unreachable = new RotatorSpec("postgresql", Map.of(
        "jdbc-url", "jdbc:postgresql://127.0.0.1:" + closedPort + "/orders",
        "role-a", roleA, "role-b", roleB, "timeout-seconds", "2"), Optional.of("db/rotator"));
    Rotator rotator = Rotators.standard().create(unreachable, admin);
    Map<String, SecretBytes> outsider = version("postgres", "Whatever0Whatever0");

    for (RotatorCall call : List.<RotatorCall>of(rotator::set, rotator::test, rotator::retire)) {
      assertThatThrownBy(() -> call.apply(outsider))
          .isInstanceOfSatisfying(RotationException.class, e -> {
            assertThat(e.retryable()).isFalse();
            assertThat(e.getMessage()).contains("not one of this rotator's roles").doesNotContain("Whatever0");
          });
    }
    assertThatThrownBy(() -> rotator.set(version(roleB, "Whatever0Whatever0")))
        .isInstanceOfSatisfying(RotationException.class, e -> {
          assertThat(e.retryable()).as("a network failure").isTrue();
          assertThat(e.getMessage()).contains("could not be reached").contains("08");
        });
  }

  @Test
  void retireWithRemovePassword_makesThePreviousVersionStopWorking_andIsIdempotent() throws Exception {
    Rotator rotator = rotator("remove-password");
    Map<String, SecretBytes> previous = version(roleA, "Prev1ousPassw0rdPrev1ousPassw0rd");
    rotator.set(previous);
    Map<String, SecretBytes> current = track(rotator.next(previous));
    rotator.set(current);
    rotator.test(current);

    rotator.retire(previous);
    assertThat(login(previous)).contains("28P01");
    assertThat(login(current)).isEmpty();
    rotator.retire(previous); // repeated after a crash
    assertThat(login(current)).isEmpty();

    // The next rotation gives the retired role a new password; a late repeat of the old retire
    // must not take it away.
    Map<String, SecretBytes> following = track(rotator.next(current));
    rotator.set(following);
    rotator.retire(previous);
    assertThat(login(following)).isEmpty();
  }

  @Test
  void revoke_removesThePreviousPassword_evenWhenRetireKeepsIt() throws Exception {
    Rotator rotator = rotator("keep");
    Map<String, SecretBytes> previous = version(roleA, "Comprom1sedPassw0rdComprom1sed00");
    rotator.set(previous);
    Map<String, SecretBytes> current = track(rotator.next(previous));
    rotator.set(current);

    rotator.retire(previous);
    assertThat(login(previous)).isEmpty(); // keep: still logs in
    try (java.sql.Connection held = java.sql.DriverManager.getConnection(database.jdbcUrl(), roleA,
        "Comprom1sedPassw0rdComprom1sed00")) {
      rotator.revoke(previous);
      assertThat(login(previous)).contains("28P01");
      assertThat(login(current)).isEmpty();
      assertThatThrownBy(() -> held.createStatement().execute("SELECT 1"))
          .as("a connection the previous version had open is ended too").isInstanceOf(java.sql.SQLException.class);
    }
    rotator.revoke(previous); // repeated after a crash
    assertThat(login(current)).isEmpty();
  }

  @Test
  void noSecretInMessagesOrToString() throws Exception {
    Rotator rotator = rotator("remove-password");
    Map<String, SecretBytes> pending = version(roleB, "Pend1ngPassw0rdPend1ngPassw0rd");
    List<String> texts = new ArrayList<>(List.of(rotator.toString(), spec("keep").toString(), pending.toString(),
        admin.toString()));
    try {
      rotator.test(pending);
    } catch (RotationException e) {
      texts.add(e.toString());
    }
    Rotator badAdmin = Rotators.standard().create(spec("keep"), version(adminRole, "Bad0AdminPassw0rd"));
    try {
      badAdmin.set(pending);
    } catch (RotationException e) {
      texts.add(e.toString());
    }
    assertThat(texts).hasSizeGreaterThan(5).allSatisfy(text -> assertThat(text)
        .doesNotContain("Pend1ngPassw0rd").doesNotContain("Bad0AdminPassw0rd").doesNotContain(ADMIN_PASSWORD));
  }

  @Test
  void nextFromAVersionOfAnotherRole_isRefused() {
    Rotator rotator = rotator("keep");
    assertThatThrownBy(() -> rotator.next(version("postgres", "Whatever0Whatever0")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(roleA).hasMessageContaining(roleB);
  }

  @FunctionalInterface
  private interface RotatorCall {
    void apply(Map<String, SecretBytes> version) throws RotationException;
  }

  private Rotator rotator(String retire) {
    return Rotators.standard().create(spec(retire), admin);
  }

  private RotatorSpec spec(String retire) {
    return new RotatorSpec("postgresql", Map.of(
        "jdbc-url", database.jdbcUrl(), "role-a", roleA, "role-b", roleB, "retire", retire),
        Optional.of("db/rotator"));
  }

  private Map<String, SecretBytes> version(String role, String password) {
    return track(Map.of("username", utf8(role), "password", utf8(password)));
  }

  private Map<String, SecretBytes> track(Map<String, SecretBytes> version) {
    versions.add(version);
    return version;
  }

  private static SecretBytes utf8(String text) {
    return SecretBytes.copyOf(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A consumer's login through the JDBC driver: empty when it worked, else the SQLSTATE. */
  private Optional<String> login(Map<String, SecretBytes> version) {
    Properties properties = new Properties();
    properties.setProperty("user", Passwords.text(version, "username"));
    properties.setProperty("password", Passwords.text(version, "password"));
    try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), properties);
        Statement statement = connection.createStatement()) {
      statement.execute("SELECT 1");
      return Optional.empty();
    } catch (SQLException e) {
      return Optional.of(String.valueOf(e.getSQLState()));
    }
  }

  private static void loginsAdvance(AtomicLong logins, int by) {
    long mark = logins.get();
    await().atMost(Duration.ofSeconds(30)).until(() -> logins.get() >= mark + by);
  }
}
