package org.opencluster.persistence.jdbc;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where the controllers store their journal (from {@code opencluster.storage}, see
 * reference.conf): embedded H2 in a file under the data directory, or PostgreSQL.
 */
public record StorageSettings(Vendor vendor, String jdbcUrl, String user, String password, int maxConnections,
    Duration connectionTimeout) {

  private static final Pattern SECRET_PARAMETER = Pattern.compile(
      "(?i)([?&;][^=&;?]*(?:password|secret|key|token)[^=&;?]*=)[^&;]*");

  /** The databases the schema and the Slick profile exist for. */
  public enum Vendor {
    H2,
    POSTGRESQL;

    String migrations() {
      return "classpath:db/migration/" + name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Unquoted identifiers in lower case, as PostgreSQL folds them, so the same SQL runs on both;
   * the database stays open until the pool closes it; no {@code .trace.db} file next to it (its
   * errors reach the caller, and the log, as exceptions; a trace file could quote SQL).
   */
  private static final String H2_OPTIONS = ";DATABASE_TO_LOWER=TRUE;DB_CLOSE_ON_EXIT=FALSE;TRACE_LEVEL_FILE=0";

  public StorageSettings {
    if (maxConnections < 1) {
      throw new IllegalArgumentException("opencluster.storage.pool.max-connections must be at least 1");
    }
  }

  /**
   * Reads {@code opencluster.storage}.
   *
   * @param dataDirectory where the H2 file goes unless {@code h2.path} says otherwise
   * @throws IllegalArgumentException with the setting to fix
   */
  public static StorageSettings create(Config config, Path dataDirectory) {
    Config storage = config.getConfig("opencluster.storage");
    String type = storage.getString("type").toLowerCase(Locale.ROOT);
    int maxConnections = storage.getInt("pool.max-connections");
    Duration timeout = storage.getDuration("pool.connection-timeout");
    switch (type) {
      case "h2" -> {
        String configured = storage.getString("h2.path");
        Path file = configured.isEmpty() ? dataDirectory.resolve("opencluster") : Path.of(configured);
        return new StorageSettings(Vendor.H2, "jdbc:h2:file:" + file.toAbsolutePath() + H2_OPTIONS,
            "opencluster", "", maxConnections, timeout);
      }
      case "postgresql" -> {
        Config pg = storage.getConfig("postgresql");
        return new StorageSettings(Vendor.POSTGRESQL, pg.getString("url"), pg.getString("user"), password(pg),
            maxConnections, timeout);
      }
      default -> throw new IllegalArgumentException(
          "opencluster.storage.type must be h2 or postgresql, not '" + storage.getString("type") + "'");
    }
  }

  /** An H2 database in memory, for tests and benchmarks. */
  public static StorageSettings inMemoryH2(String name) {
    return new StorageSettings(Vendor.H2, "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1" + H2_OPTIONS, "opencluster", "", 8,
        Duration.ofSeconds(10));
  }

  private static String password(Config pg) {
    String file = pg.getString("password-file");
    if (file.isEmpty()) {
      return pg.getString("password");
    }
    try {
      return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IllegalArgumentException("opencluster.storage.postgresql.password-file: cannot read " + file
          + " (" + e.getClass().getSimpleName() + ")");
    }
  }

  @Override
  public String toString() {
    return "StorageSettings[" + vendor + " " + redactedUrl() + " as " + user + ", password=[secret]]";
  }

  /**
   * The JDBC URL for messages and logs: the value of any parameter whose name mentions a
   * password, secret or key (a URL may carry {@code password=...}) replaced by {@code [secret]}.
   */
  public String redactedUrl() {
    return SECRET_PARAMETER.matcher(jdbcUrl).replaceAll("$1[secret]");
  }
}
