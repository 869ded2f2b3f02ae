package org.opencluster.controller.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL (the project's embedded binaries) that checks passwords: logins over TCP on
 * 127.0.0.1 use SCRAM-SHA-256, except the superuser {@code postgres}, trusted for the tests' own
 * set-up. (The server {@code TestDatabases} in {@code persistence} starts lets every login in, so a
 * wrong password would pass there.) One server per JVM; each caller gets a fresh database and
 * names roles with {@link #name(String)} (roles are server-wide).
 */
public final class PasswordPostgres {

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static EmbeddedPostgres server;

  private final String database;

  private PasswordPostgres(String database) {
    this.database = database;
  }

  /** A fresh database on the shared server, started on first use. */
  public static synchronized PasswordPostgres fresh() {
    try {
      if (server == null) {
        server = EmbeddedPostgres.builder()
            .setServerConfig("listen_addresses", "127.0.0.1")
            .setServerConfig("password_encryption", "scram-sha-256")
            .setDataDirectoryCustomizer(dir -> {
              try {
                Files.writeString(dir.toPath().resolve("pg_hba.conf"), """
                    local all all                   trust
                    host  all postgres 127.0.0.1/32 trust
                    host  all all      127.0.0.1/32 scram-sha-256
                    """);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            })
            .setRegisterShutdownHook(true)
            .start();
      }
      PasswordPostgres fresh = new PasswordPostgres(name("db"));
      try (Connection connection = DriverManager.getConnection(
              "jdbc:postgresql://127.0.0.1:" + server.getPort() + "/postgres", "postgres", "");
          Statement statement = connection.createStatement()) {
        statement.execute("CREATE DATABASE " + fresh.database);
      }
      return fresh;
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not start", e);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create a test database", e);
    }
  }

  /** A name unique on the server (roles are shared by all databases): {@code oc_<prefix>_<n>}. */
  public static String name(String prefix) {
    return "oc_" + prefix + "_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
  }

  /** This database's URL, without user or password. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + server.getPort() + "/" + database;
  }

  /** Runs set-up statements as the superuser (never for a test's subject). */
  public void asSuperuser(String... statements) {
    try (Connection connection = DriverManager.getConnection(jdbcUrl(), "postgres", "");
        Statement statement = connection.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("set-up statement failed: " + e.getMessage(), e);
    }
  }
}
