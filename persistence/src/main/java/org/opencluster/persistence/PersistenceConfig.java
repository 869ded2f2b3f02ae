package org.opencluster.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * The Pekko settings this module changes from Pekko's defaults ({@code
 * opencluster-persistence.conf}). They sit above every reference.conf: in a runnable jar the
 * reference.conf files are concatenated, and Pekko's own would otherwise win.
 */
public final class PersistenceConfig {

  private PersistenceConfig() {}

  /** This module's layer, to place between the application's settings and the references. */
  public static Config layer() {
    return ConfigFactory.parseResources(PersistenceConfig.class.getClassLoader(), "opencluster-persistence.conf");
  }

  /** {@code settings} over this module's layer over every reference.conf, resolved. */
  public static Config load(Config settings) {
    return ConfigFactory.defaultOverrides()
        .withFallback(settings)
        .withFallback(layer())
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }
}
