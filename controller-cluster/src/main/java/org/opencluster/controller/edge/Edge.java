package org.opencluster.controller.edge;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.opencluster.controller.audit.SecurityEvents;
import org.opencluster.protocol.edge.EdgeSystem;
import org.opencluster.protocol.tls.ReloadingTlsContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's edge: a second actor system in the controller process, not a cluster member,
 * on its own port, facing agents. Artery over TLS 1.3 with mutual authentication (node
 * certificates only, the deny list read at every handshake), untrusted mode, and one trusted
 * selection path: the gateway. Untrusted mode cannot run on cluster members, hence the second
 * system; the gateway hands everything to the cluster system's sharding in process.
 */
public final class Edge implements AutoCloseable {

  /** The edge's actor system name: agents address {@code pekko://opencluster-edge@HOST:PORT/user/gateway}. */
  public static final String SYSTEM_NAME = "opencluster-edge";
  public static final String GATEWAY_PATH = "/user/gateway";
  private static final Logger LOG = LoggerFactory.getLogger(Edge.class);

  private final ActorSystem system;
  private final EdgeCounters counters;
  private final int port;

  private Edge(ActorSystem system, EdgeCounters counters, int port) {
    this.system = system;
    this.counters = counters;
    this.port = port;
  }

  /**
   * Starts the edge on {@code host:port} (0: any free port).
   *
   * @param serving whether this controller runs node entities (unsealed, sharding started)
   * @param audit where refused messages are counted, by kind
   */
  public static Edge start(String host, int port, ReloadingTlsContext tls, ClusterSharding sharding,
      BooleanSupplier serving, Duration askTimeout, int maxFramePayloadBytes, SecurityEvents audit) {
    ActorSystem system = EdgeSystem.start(SYSTEM_NAME, host, port, List.of(GATEWAY_PATH), false, tls,
        ConfigFactory.empty(), Edge.class.getClassLoader());
    EdgeCounters counters = new EdgeCounters(audit);
    system.actorOf(Gateway.props(sharding, serving, counters, askTimeout, maxFramePayloadBytes), "gateway");
    int bound = EdgeSystem.port(system);
    LOG.info("Edge for agents listening on {}:{} (gateway {})", host, bound, GATEWAY_PATH);
    return new Edge(system, counters, bound);
  }

  public int port() {
    return port;
  }

  public EdgeCounters counters() {
    return counters;
  }

  /** The edge's actor system, for tests. */
  public ActorSystem system() {
    return system;
  }

  /** Stops taking agents' messages: they fail over to the other controllers' edges. */
  @Override
  public void close() {
    if (!EdgeSystem.terminate(system, Duration.ofSeconds(10))) {
      LOG.warn("The edge's actor system did not terminate in time (apache/pekko#3247); continuing");
    }
  }
}
