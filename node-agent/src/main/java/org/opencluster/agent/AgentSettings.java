package org.opencluster.agent;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.opencluster.agent.files.FilesSettings;
import org.opencluster.protocol.pki.Identity;

/**
 * An agent's settings ({@code opencluster.agent}, see reference.conf): its bundle (from {@code
 * opencluster node register}), where the controllers' edges are, where it listens for them, and
 * how it retries.
 *
 * @param bundle the bundle directory: node.pem, node.key, ca.pem, agent.conf
 * @param listenHost the address controllers reach this agent at (Artery connects back)
 * @param listenPort its port; 0 for any free port
 * @param bootIdFile where the kernel's boot id is read from
 * @param enrolTimeout how long to wait for a Welcome before trying the next edge
 * @param missedAcks heartbeats without an acknowledgement before failing over to the next edge
 * @param backoffMin the first pause before trying another edge; doubled on each failure, with jitter
 * @param backoffMax the longest pause
 * @param maxReconnectsPerMinute a bound on reconnection attempts, whatever the backoff says
 * @param files how secure files are kept and served
 */
public record AgentSettings(String nodeId, List<Edge> edges, Path bundle, String listenHost, int listenPort,
    Path bootIdFile, Duration enrolTimeout, int missedAcks, Duration backoffMin, Duration backoffMax,
    int maxReconnectsPerMinute, FilesSettings files) {

  /** A controller's edge. */
  public record Edge(String host, int port) {
    static Edge parse(String value) {
      int colon = value.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("opencluster.agent.edges: expected host:port, got '" + value + "'");
      }
      try {
        return new Edge(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("opencluster.agent.edges: expected host:port, got '" + value + "'");
      }
    }

    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  public AgentSettings {
    edges = List.copyOf(edges);
  }

  public Path certificateFile() {
    return bundle.resolve("node.pem");
  }

  public Path keyFile() {
    return bundle.resolve("node.key");
  }

  public Path caFile() {
    return bundle.resolve("ca.pem");
  }

  /**
   * The layers, highest first: {@code overrides} (a configuration file), the bundle's agent.conf,
   * then reference.conf.
   *
   * @throws IllegalArgumentException naming what to fix
   */
  public static AgentSettings load(Config overrides, Path bundle) {
    Path agentConf = bundle.resolve("agent.conf");
    if (!Files.isRegularFile(agentConf)) {
      throw new IllegalArgumentException("no bundle at " + bundle + ": expected agent.conf, node.pem, node.key and "
          + "ca.pem from 'opencluster node register'");
    }
    Config config = overrides.withFallback(ConfigFactory.parseFile(agentConf.toFile()))
        .withFallback(ConfigFactory.defaultReference(AgentSettings.class.getClassLoader())).resolve();
    return create(config, bundle);
  }

  static AgentSettings create(Config config, Path bundle) {
    try {
      Config c = config.getConfig("opencluster.agent");
      String nodeId = c.getString("node-id");
      if (!Identity.isValidName(nodeId)) {
        throw new IllegalArgumentException("opencluster.agent.node-id is not a node id: '" + nodeId + "'");
      }
      List<Edge> edges = new ArrayList<>();
      for (String edge : c.getStringList("edges")) {
        edges.add(Edge.parse(edge));
      }
      if (edges.isEmpty()) {
        throw new IllegalArgumentException("opencluster.agent.edges is empty: the agent has no controller to reach");
      }
      int missedAcks = c.getInt("missed-acks-before-failover");
      if (missedAcks < 1) {
        throw new IllegalArgumentException("opencluster.agent.missed-acks-before-failover must be at least 1");
      }
      return new AgentSettings(nodeId, edges, bundle, c.getString("listen.host"), c.getInt("listen.port"),
          Path.of(c.getString("boot-id-file")), c.getDuration("enrol-timeout"), missedAcks,
          c.getDuration("backoff.min"), c.getDuration("backoff.max"), c.getInt("backoff.max-reconnects-per-minute"),
          FilesSettings.create(config));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
