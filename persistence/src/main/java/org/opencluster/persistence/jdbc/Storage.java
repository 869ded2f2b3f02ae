package org.opencluster.persistence.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.opencluster.persistence.keys.KeyRingStore;

/**
 * The controllers' database: one connection pool, shared by the journal, the snapshot store, the
 * read journal and the key ring; its schema is created and migrated when it opens.
 */
public final class Storage implements AutoCloseable {

  private final StorageSettings settings;
  private final HikariDataSource dataSource;
  private final KeyRingStore keyRingStore;

  private Storage(StorageSettings settings, HikariDataSource dataSource) {
    this.settings = settings;
    this.dataSource = dataSource;
    this.keyRingStore = new JdbcKeyRingStore(dataSource);
  }

  /**
   * Opens the pool and migrates the schema.
   *
   * @throws StorageException if the database cannot be reached or migrated
   */
  public static Storage open(StorageSettings settings) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("opencluster-storage");
    config.setJdbcUrl(settings.jdbcUrl());
    config.setUsername(settings.user());
    config.setPassword(settings.password());
    config.setMaximumPoolSize(settings.maxConnections());
    config.setMinimumIdle(Math.min(2, settings.maxConnections()));
    config.setConnectionTimeout(settings.connectionTimeout().toMillis());
    config.setAutoCommit(true);
    HikariDataSource dataSource;
    try {
      dataSource = new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new StorageException("cannot connect to " + settings.redactedUrl() + ": " + rootMessage(e), e);
    }
    try {
      Flyway.configure()
          .dataSource(dataSource)
          .locations(settings.vendor().migrations())
          .table("oc_schema_history")
          .load()
          .migrate();
    } catch (FlywayException e) {
      dataSource.close();
      throw new StorageException("cannot migrate the schema of " + settings.redactedUrl() + ": " + rootMessage(e), e);
    }
    return new Storage(settings, dataSource);
  }

  public StorageSettings settings() {
    return settings;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public KeyRingStore keyRingStore() {
    return keyRingStore;
  }

  /** Whether a connection can be had and is valid within {@code timeout}: the readiness probe. */
  public boolean isReachable(Duration timeout) {
    try (Connection connection = dataSource.getConnection()) {
      return connection.isValid(Math.max(1, (int) timeout.toSeconds()));
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public void close() {
    dataSource.close();
  }

  @Override
  public String toString() {
    return "Storage[" + settings + "]";
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage();
  }
}
