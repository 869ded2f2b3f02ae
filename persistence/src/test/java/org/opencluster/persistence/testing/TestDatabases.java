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
  private static String listening;

  private TestDatabases() {}

  /** A new, empty PostgreSQL database on the shared embedded server. */
  public static StorageSettings freshPostgres() {
    return freshPostgres("127.0.0.1");
  }

  /**
   * As {@link #freshPostgres()}, reached at {@code host}: the server listens on 127.0.0.1 and
   * {@code host} (an address of a network namespace the test made). The first call starts the
   * server; a later one naming an address it does not listen on is refused.
   */
  public static synchronized StorageSettings freshPostgres(String host) {
    try {
      if (postgres == null) {
        listening = host.equals("127.0.0.1") ? "127.0.0.1" : "127.0.0.1," + host;
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
            .setServerConfig("listen_addresses", listening)
            .setRegisterShutdownHook(true);
        if (!host.equals("127.0.0.1")) {
          builder.setServerConfig("hba_file", namespaceHba(host).toString());
        }
        postgres = builder.start();
      } else if (!java.util.List.of(listening.split(",")).contains(host)) {
        throw new IllegalStateException("the embedded PostgreSQL server of this JVM listens on " + listening + ", not " + host);
      }
      String name = "oc_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
      try (Connection connection = postgres.getPostgresDatabase().getConnection();
          Statement statement = connection.createStatement()) {
        statement.execute("CREATE DATABASE " + name);
      }
      return new StorageSettings(StorageSettings.Vendor.POSTGRESQL,
          "jdbc:postgresql://" + host + ":" + postgres.getPort() + "/" + name, "postgres", "", 8, Duration.ofSeconds(10));
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not start", e);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create a test database", e);
    }
  }

  /**
   * Client authentication for a server reached from other network namespaces: as initdb's
   * default (trust on loopback) plus trust from {@code host}'s /16, the addresses the test gave
   * its namespaces. The namespaces are the test's own; nothing outside them can connect.
   */
  private static java.nio.file.Path namespaceHba(String host) throws IOException {
    String[] octets = host.split("\\.");
    java.nio.file.Path file = java.nio.file.Files.createTempFile("oc-pg-hba", ".conf");
    file.toFile().deleteOnExit();
    java.nio.file.Files.writeString(file, """
        local all all trust
        host all all 127.0.0.1/32 trust
        host all all %s.%s.0.0/16 trust
        """.formatted(octets[0], octets[1]));
    return file;
  }

  /** A new, empty in-memory H2 database. */
  public static StorageSettings freshH2() {
    return StorageSettings.inMemoryH2("oc_test_" + COUNTER.incrementAndGet());
  }
}
