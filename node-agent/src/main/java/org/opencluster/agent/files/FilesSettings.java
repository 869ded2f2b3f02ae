package org.opencluster.agent.files;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.Objects;

/**
 * How secure files are served ({@code opencluster.agent.files}, see reference.conf).
 *
 * @param requireLockedMemory refuse a file whose memory cannot be locked (true), or serve it with a
 *     warning (false)
 * @param reloadTimeout how long a reload command may run before it is killed and reported
 */
public record FilesSettings(boolean requireLockedMemory, Duration reloadTimeout) {

  public FilesSettings {
    Objects.requireNonNull(reloadTimeout, "reloadTimeout");
    if (reloadTimeout.isNegative() || reloadTimeout.isZero()) {
      throw new IllegalArgumentException("opencluster.agent.files.reload-timeout must be positive, not "
          + reloadTimeout);
    }
  }

  /**
   * Reads {@code opencluster.agent.files} from the agent's resolved configuration.
   *
   * @throws IllegalArgumentException naming the setting to fix
   */
  public static FilesSettings create(Config config) {
    try {
      Config files = config.getConfig("opencluster.agent.files");
      return new FilesSettings(files.getBoolean("require-locked-memory"), files.getDuration("reload-timeout"));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
