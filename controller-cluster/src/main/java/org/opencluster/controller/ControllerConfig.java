package org.opencluster.controller;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.opencluster.persistence.PersistenceConfig;

/**
 * How a controller's configuration is layered, highest first: system properties, the
 * deployment's file, {@code opencluster-controller.conf} (the Pekko defaults the controller
 * changes), the persistence layer, then every reference.conf.
 */
public final class ControllerConfig {

  private ControllerConfig() {}

  public static Config load(Config deployment) {
    return PersistenceConfig.load(deployment.withFallback(
        ConfigFactory.parseResources(ControllerConfig.class.getClassLoader(), "opencluster-controller.conf")));
  }
}
