package org.opencluster.controller.rotation;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.opencluster.protocol.crypto.SecretBytes;
import org.postgresql.Driver;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;

/**
 * {@code postgresql}, alternating users (AWS Secrets Manager's strategy, Vault's static roles):
 * two login roles take turns. A version is {@code username} (one of the two roles) and
 * {@code password}, plus any static fields (host, port, database) kept as they are. The next
 * version is the other role with a new password, so the password the consumers hold now is never
 * the one being changed: a consumer that has not switched yet keeps logging in.
 *
 * <p>Parameters ({@link RotatorSpec}):
 *
 * <ul>
 *   <li>{@code jdbc-url}: where the roles live, {@code jdbc:postgresql://...}; a URL carrying a
 *       password is refused (the spec is not secret)
 *   <li>{@code role-a}, {@code role-b}: the two login roles; a version naming any other role is
 *       refused before a connection is opened
 *   <li>{@code retire}: {@code keep} (default: the previous role keeps its password until the next
 *       rotation replaces it) or {@code remove-password} (after the grace period the previous
 *       role's password is removed); docs/operations.md weighs the two
 *   <li>{@code timeout-seconds}: connect and statement timeout (default 10)
 * </ul>
 *
 * <p>The admin credential ({@code username}, {@code password} fields of the secret
 * {@link RotatorSpec#adminSecret()} names) needs {@code CREATEROLE} and, from PostgreSQL 16, the
 * {@code ADMIN} option on both roles (or superuser).
 *
 * <p>The new password never reaches the server in clear: {@code set} sends its SCRAM-SHA-256
 * verifier, computed here ({@link PGConnection#alterUserPassword}), so no statement log holds it.
 * No statement, driver message or server message is ever put in a log or an exception.
 */
final class PostgresAlternatingUsers implements Rotator {

  static final String KIND = "postgresql";
  static final String USERNAME = "username";
  static final String PASSWORD = "password";

  private static final int PASSWORD_LENGTH = 32;
  private static final Set<String> PARAMETERS = Set.of("jdbc-url", "role-a", "role-b", "retire", "timeout-seconds");

  private final String url;
  private final String roleA;
  private final String roleB;
  private final boolean removePasswordOnRetire;
  private final int timeoutSeconds;
  private final Map<String, SecretBytes> admin;

  private PostgresAlternatingUsers(String url, String roleA, String roleB, boolean removePasswordOnRetire,
      int timeoutSeconds, Map<String, SecretBytes> admin) {
    this.url = url;
    this.roleA = roleA;
    this.roleB = roleB;
    this.removePasswordOnRetire = removePasswordOnRetire;
    this.timeoutSeconds = timeoutSeconds;
    this.admin = admin;
  }

  static Rotator create(RotatorSpec spec, Map<String, SecretBytes> admin) {
    spec.allowOnly(PARAMETERS);
    String url = spec.required("jdbc-url");
    Properties parsed = url.startsWith("jdbc:postgresql:") ? Driver.parseURL(url, null) : null;
    if (parsed == null) {
      throw new IllegalArgumentException("rotator 'postgresql': 'jdbc-url' must be a jdbc:postgresql:// URL");
    }
    if (parsed.containsKey(PGProperty.PASSWORD.getName()) || parsed.containsKey(PGProperty.USER.getName())) {
      throw new IllegalArgumentException("rotator 'postgresql': 'jdbc-url' must not carry a user or password;"
          + " the admin credential comes from the admin secret");
    }
    String roleA = role(spec, "role-a");
    String roleB = role(spec, "role-b");
    if (roleA.equals(roleB)) {
      throw new IllegalArgumentException("rotator 'postgresql': 'role-a' and 'role-b' must be two different roles");
    }
    boolean remove = switch (spec.parameter("retire", "keep")) {
      case "keep" -> false;
      case "remove-password" -> true;
      default -> throw new IllegalArgumentException(
          "rotator 'postgresql': 'retire' is 'keep' or 'remove-password'");
    };
    if (spec.adminSecret().isEmpty()) {
      throw new IllegalArgumentException("rotator 'postgresql' needs an admin secret (a role with CREATEROLE)");
    }
    if (!admin.containsKey(USERNAME) || !admin.containsKey(PASSWORD)) {
      throw new IllegalArgumentException("rotator 'postgresql': the admin secret '" + spec.adminSecret().get()
          + "' needs the fields 'username' and 'password'");
    }
    return new PostgresAlternatingUsers(url, roleA, roleB, remove, spec.integer("timeout-seconds", 10, 1, 300), admin);
  }

  /** A role name: 1 to 63 printable ASCII characters (PostgreSQL's identifier limit). */
  private static String role(RotatorSpec spec, String parameter) {
    String role = spec.required(parameter);
    if (role.length() > 63 || !role.matches("[\\x21-\\x7e]+")) {
      throw new IllegalArgumentException("rotator 'postgresql': '" + parameter
          + "' must be 1 to 63 printable characters without spaces");
    }
    return role;
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public Set<String> fields() {
    return Set.of(USERNAME, PASSWORD);
  }

  /**
   * The other role with a new password of 32 letters and digits; other fields are copied.
   *
   * @throws IllegalArgumentException when the current version's username is not one of the two roles
   */
  @Override
  public Map<String, SecretBytes> next(Map<String, SecretBytes> current) {
    String role = Passwords.text(current, USERNAME);
    String other;
    if (role.equals(roleA)) {
      other = roleB;
    } else if (role.equals(roleB)) {
      other = roleA;
    } else {
      throw new IllegalArgumentException("the current version's username is neither " + roleA + " nor " + roleB);
    }
    return Passwords.copyWith(current, Map.of(
        USERNAME, SecretBytes.copyOf(other.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        PASSWORD, Passwords.random(PASSWORD_LENGTH)));
  }

  /**
   * {@code ALTER ROLE <role> PASSWORD '<SCRAM verifier>'} and {@code ALTER ROLE <role> LOGIN}, in
   * one transaction, as the admin. Repeating it sets the same password again (a new salt).
   */
  @Override
  public void set(Map<String, SecretBytes> pending) throws RotationException {
    String role = checkedRole(pending);
    char[] password = password(pending);
    try (Connection connection = connect(admin, "the admin login")) {
      try {
        connection.setAutoCommit(false);
        PGConnection pg = connection.unwrap(PGConnection.class);
        pg.alterUserPassword(role, password, "scram-sha-256");
        try (Statement statement = connection.createStatement()) {
          statement.execute("ALTER ROLE " + pg.escapeIdentifier(role) + " WITH LOGIN");
        }
        connection.commit();
      } catch (SQLException e) {
        throw failure("setting the password of role " + role, e);
      }
    } catch (SQLException e) {
      throw failure("closing the admin connection", e);
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  /** Logs in as the pending version and runs {@code SELECT 1}. */
  @Override
  public void test(Map<String, SecretBytes> pending) throws RotationException {
    checkedRole(pending);
    selectOne(pending, "the login of the pending version");
  }

  /**
   * With {@code retire = remove-password}: {@code ALTER ROLE <previous role> PASSWORD NULL}, but
   * only while the previous password still logs in. A repeated retire, or one that comes after a
   * later rotation gave the role a new password, therefore changes nothing. With {@code keep}:
   * nothing.
   */
  @Override
  public void retire(Map<String, SecretBytes> previous) throws RotationException {
    checkedRole(previous);
    if (removePasswordOnRetire) {
      removePassword(previous);
    }
  }

  /**
   * {@code ALTER ROLE <previous role> PASSWORD NULL} whatever {@code retire} says (again only while
   * the previous password still logs in), then ends every open session of that role
   * ({@code pg_terminate_backend}): a compromised host may hold a connection, not only the
   * password. Every healthy consumer has switched to the other role by then. The admin needs
   * membership in the role (the ADMIN option grant of the set-up gives it) or pg_signal_backend.
   */
  @Override
  public void revoke(Map<String, SecretBytes> previous) throws RotationException {
    removePassword(previous);
    String role = checkedRole(previous);
    try (Connection connection = connect(admin, "the admin login");
        java.sql.PreparedStatement statement = connection.prepareStatement(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = ? AND pid <> pg_backend_pid()")) {
      statement.setString(1, role);
      statement.executeQuery().close();
    } catch (SQLException e) {
      throw failure("ending the open sessions of role " + role, e);
    }
  }

  private void removePassword(Map<String, SecretBytes> previous) throws RotationException {
    String role = checkedRole(previous);
    try {
      selectOne(previous, "the login of the previous version");
    } catch (RotationException e) {
      if (e.retryable()) {
        throw e;
      }
      return;
    }
    try (Connection connection = connect(admin, "the admin login");
        Statement statement = connection.createStatement()) {
      String quoted = connection.unwrap(PGConnection.class).escapeIdentifier(role);
      statement.execute("ALTER ROLE " + quoted + " WITH PASSWORD NULL");
    } catch (SQLException e) {
      throw failure("removing the password of role " + role, e);
    }
  }

  private void selectOne(Map<String, SecretBytes> version, String what) throws RotationException {
    try (Connection connection = connect(version, what);
        Statement statement = connection.createStatement()) {
      statement.execute("SELECT 1");
    } catch (SQLException e) {
      throw failure(what, e);
    }
  }

  /** The version's role, refused unless it is one of the two (before any connection). */
  private String checkedRole(Map<String, SecretBytes> version) throws RotationException {
    String role;
    try {
      role = Passwords.text(version, USERNAME);
    } catch (IllegalArgumentException e) {
      throw new RotationException(e.getMessage(), false);
    }
    if (!role.equals(roleA) && !role.equals(roleB)) {
      throw new RotationException("the version's username is not one of this rotator's roles ("
          + roleA + ", " + roleB + "); nothing was sent to the database", false);
    }
    return role;
  }

  private static char[] password(Map<String, SecretBytes> version) throws RotationException {
    try {
      return Passwords.chars(version, PASSWORD);
    } catch (IllegalArgumentException e) {
      throw new RotationException(e.getMessage(), false);
    }
  }

  /** A connection as {@code credential}; a failure is classified, naming {@code what}. */
  private Connection connect(Map<String, SecretBytes> credential, String what) throws RotationException {
    Properties properties = new Properties();
    String user;
    char[] password;
    try {
      user = Passwords.text(credential, USERNAME);
      password = Passwords.chars(credential, PASSWORD);
    } catch (IllegalArgumentException e) {
      throw new RotationException(what + ": " + e.getMessage(), false);
    }
    properties.setProperty(PGProperty.USER.getName(), user);
    // The driver takes a String: it stays on the heap until collected (docs/threat-model.md).
    properties.setProperty(PGProperty.PASSWORD.getName(), new String(password));
    Arrays.fill(password, '\0');
    properties.setProperty(PGProperty.CONNECT_TIMEOUT.getName(), Integer.toString(timeoutSeconds));
    properties.setProperty(PGProperty.LOGIN_TIMEOUT.getName(), Integer.toString(timeoutSeconds));
    properties.setProperty(PGProperty.SOCKET_TIMEOUT.getName(), Integer.toString(timeoutSeconds));
    properties.setProperty(PGProperty.APPLICATION_NAME.getName(), "opencluster-rotator");
    try {
      return new Driver().connect(url, properties);
    } catch (SQLException e) {
      throw failure(what, e);
    } finally {
      properties.clear();
    }
  }

  /**
   * A rotation exception for {@code e}, by SQLSTATE only: the driver's and server's messages are
   * left out because a server may quote part of a statement back.
   */
  static RotationException failure(String what, SQLException e) {
    String state = e.getSQLState() == null ? "none" : e.getSQLState().toUpperCase(Locale.ROOT);
    String suffix = " (SQLSTATE " + state + ")";
    if (state.startsWith("08") || state.startsWith("53") || state.startsWith("57P") || state.startsWith("40")) {
      return new RotationException(what + " failed: the database could not be reached or was busy; try again"
          + suffix, true);
    }
    if (state.startsWith("28")) {
      return new RotationException(what + " was refused: wrong username or password, or the role may not log in"
          + suffix, false);
    }
    if (state.equals("42501")) {
      return new RotationException(what + " was refused: the admin role lacks the privilege; it needs CREATEROLE"
          + " and, from PostgreSQL 16, the ADMIN option on both roles (or superuser)" + suffix, false);
    }
    if (state.equals("42704")) {
      return new RotationException(what + " failed: the role does not exist; create both roles first"
          + " (docs/operations.md)" + suffix, false);
    }
    if (state.equals("3D000")) {
      return new RotationException(what + " failed: the database in 'jdbc-url' does not exist" + suffix, false);
    }
    return new RotationException(what + " failed" + suffix, false);
  }

  @Override
  public String toString() {
    return "PostgresAlternatingUsers[" + roleA + ", " + roleB + ", retire="
        + (removePasswordOnRetire ? "remove-password" : "keep") + "]";
  }
}
