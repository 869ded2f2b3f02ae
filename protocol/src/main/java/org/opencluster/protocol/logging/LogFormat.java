package org.opencluster.protocol.logging;

import java.util.Optional;

/**
 * The log format the controller's and the agent's logback.xml pick: {@code OPENCLUSTER_LOG_FORMAT},
 * a system property or else an environment variable, {@code text} (default) or {@code json}. The
 * value names the appender, so any other value would leave the log with none: the processes check
 * it first and refuse to start.
 */
public final class LogFormat {

  /** The variable's name, as a system property or an environment variable. */
  public static final String VARIABLE = "OPENCLUSTER_LOG_FORMAT";

  private LogFormat() {}

  /** Why the configured format is refused, if it is. */
  public static Optional<String> refusal() {
    String value = System.getProperty(VARIABLE, System.getenv(VARIABLE));
    if (value == null || value.equals("text") || value.equals("json")) {
      return Optional.empty();
    }
    return Optional.of(VARIABLE + " must be text or json; got '" + value.replaceAll("[^\\x20-\\x7e]", "?") + "'");
  }
}
