package org.opencluster.protocol.edge;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueFactory;
import java.util.Map;

/**
 * The configuration of an actor system on the edge link (a controller's edge, an agent): the
 * caller's settings over {@code opencluster-edge.conf}, over every reference.conf on the class
 * path. The serializer bindings other OpenCluster modules make for the cluster system (in a
 * controller process the controller's and the persistence layer's reference.conf are on the class
 * path) are turned off ({@code none}): the edge never carries those messages, and Pekko merges
 * every reference.conf back under whatever is given, so they cannot simply be left out.
 */
public final class EdgeConfig {

  private static final String BINDINGS = "pekko.actor.serialization-bindings";

  private EdgeConfig() {}

  public static Config create(Map<String, ?> settings, ClassLoader loader) {
    Config edge = ConfigFactory.parseMap(settings)
        .withFallback(ConfigFactory.parseResources(loader, "opencluster-edge.conf"));
    Config reference = ConfigFactory.defaultReference(loader);
    if (reference.hasPath(BINDINGS)) {
      for (Map.Entry<String, ?> binding : reference.getConfig(BINDINGS).root().unwrapped().entrySet()) {
        String serializer = String.valueOf(binding.getValue());
        if (serializer.startsWith("opencluster-") && !serializer.equals("opencluster-edge")) {
          edge = edge.withValue(ConfigUtil.joinPath("pekko", "actor", "serialization-bindings", binding.getKey()),
              ConfigValueFactory.fromAnyRef("none"));
        }
      }
    }
    return edge.withFallback(reference).resolve();
  }
}
