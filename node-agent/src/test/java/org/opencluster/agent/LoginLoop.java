package org.opencluster.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A database consumer, run as a process of its own for the rotation tests: each round it reads the
 * credentials the agent materialised ({@code username=...} and {@code password=...} lines), logs in
 * to PostgreSQL with them, runs {@code SELECT 1} and closes. It keeps count of the logins that
 * worked and those that did not, with each failure's SQLSTATE and the username it tried (never a
 * password), and puts them in its report file (written whole, then renamed into place) now and
 * then and when it stops: when the file {@code REPORT.stop} appears, or after ten minutes.
 *
 * <p>{@code LoginLoop CREDENTIALS_FILE JDBC_URL REPORT_FILE}
 *
 * <p>A file that cannot be read or lacks a line is a failure too ({@code READ} or {@code PARSE}):
 * the agent renames files into place, so a consumer never sees half of one.
 */
public final class LoginLoop {

  static final String SUCCESSES = "successes=";
  static final String FAILURES = "failures=";
  static final String FAILURE = "failure=";
  private static final Duration LONGEST = Duration.ofMinutes(10);
  private static final Duration REPORT_EVERY = Duration.ofMillis(250);
  /** Between rounds, so two consumers leave the server (and the machine's two cores) to the test too. */
  private static final long PACE_MILLIS = 20;
  private static final int FAILURES_LISTED = 100;

  private final Path credentials;
  private final String jdbcUrl;
  private final Path report;
  private long successes;
  private long failures;
  private final List<String> failed = new ArrayList<>();

  private LoginLoop(Path credentials, String jdbcUrl, Path report) {
    this.credentials = credentials;
    this.jdbcUrl = jdbcUrl;
    this.report = report;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: LoginLoop CREDENTIALS_FILE JDBC_URL REPORT_FILE");
      System.exit(2);
    }
    new LoginLoop(Path.of(args[0]), args[1], Path.of(args[2])).run();
  }

  /** The file whose appearance stops the loop of {@code report}. */
  static Path stopFile(Path report) {
    return report.resolveSibling(report.getFileName() + ".stop");
  }

  private void run() throws IOException, InterruptedException {
    Path stop = stopFile(report);
    Instant end = Instant.now().plus(LONGEST);
    Instant nextReport = Instant.now();
    while (!Files.exists(stop) && Instant.now().isBefore(end)) {
      round();
      if (!Instant.now().isBefore(nextReport)) {
        write();
        nextReport = Instant.now().plus(REPORT_EVERY);
      }
      Thread.sleep(PACE_MILLIS);
    }
    write();
  }

  private void round() {
    Map<String, String> read;
    try {
      read = read(Files.readString(credentials, StandardCharsets.UTF_8));
    } catch (IOException e) {
      failed("READ", "-");
      return;
    }
    String username = read.get("username");
    String password = read.get("password");
    if (username == null || password == null) {
      failed("PARSE", username == null ? "-" : username);
      return;
    }
    Properties properties = new Properties();
    properties.setProperty("user", username);
    properties.setProperty("password", password);
    properties.setProperty("connectTimeout", "5");
    properties.setProperty("loginTimeout", "5");
    properties.setProperty("socketTimeout", "5");
    properties.setProperty("ApplicationName", "login-loop");
    try (Connection connection = DriverManager.getConnection(jdbcUrl, properties);
        Statement statement = connection.createStatement()) {
      statement.execute("SELECT 1");
      successes++;
    } catch (SQLException e) {
      failed(e.getSQLState() == null ? "none" : e.getSQLState(), username);
    }
  }

  /** {@code key=value} lines; only complete lines (a file cut short loses its last one). */
  static Map<String, String> read(String text) {
    Map<String, String> values = new LinkedHashMap<>();
    int start = 0;
    for (int end = text.indexOf('\n'); end >= 0; start = end + 1, end = text.indexOf('\n', start)) {
      String line = text.substring(start, end);
      int equals = line.indexOf('=');
      if (equals > 0) {
        values.put(line.substring(0, equals), line.substring(equals + 1));
      }
    }
    return values;
  }

  private void failed(String state, String username) {
    failures++;
    if (failed.size() < FAILURES_LISTED) {
      failed.add(state + " " + username);
    }
  }

  private void write() throws IOException {
    StringBuilder text = new StringBuilder().append(SUCCESSES).append(successes).append('\n')
        .append(FAILURES).append(failures).append('\n');
    failed.forEach(failure -> text.append(FAILURE).append(failure).append('\n'));
    Path temporary = report.resolveSibling(report.getFileName() + ".tmp");
    Files.writeString(temporary, text, StandardCharsets.UTF_8);
    Files.move(temporary, report, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
