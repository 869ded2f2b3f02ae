package org.opencluster.persistence.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.opencluster.persistence.jdbc.StorageSettings;

/**
 * Real databases for tests: one embedded PostgreSQL server per JVM, listening on 127.0.0.1, with
 * a fresh database per caller; or a fresh in-memory H2.
 */
public final class TestDatabases {

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static EmbeddedPostgres postgres;

  private TestDatabases() {}

  /** A new, empty PostgreSQL database on the shared embedded server. */
  public static synchronized StorageSettings freshPostgres() {
    try {
      if (postgres == null) {
        postgres = EmbeddedPostgres.builder()
            .setServerConfig("listen_addresses", "127.0.0.1")
            .setRegisterShutdownHook(true)
            .start();
      }
      String name = "oc_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
      try (Connection connection = postgres.getPostgresDatabase().getConnection();
          Statement statement = connection.createStatement()) {
        statement.execute("CREATE DATABASE " + name);
      }
      return new StorageSettings(StorageSettings.Vendor.POSTGRESQL,
          "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + name, "postgres", "", 8, Duration.ofSeconds(10));
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not start", e);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create a test database", e);
    }
  }

  /** A new, empty in-memory H2 database. */
  public static StorageSettings freshH2() {
    return StorageSettings.inMemoryH2("oc_test_" + COUNTER.incrementAndGet());
  }
}
