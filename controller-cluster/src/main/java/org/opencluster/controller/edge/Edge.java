package org.opencluster.controller.edge;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.remote.artery.tcp.SSLEngineProviderSetup;
import org.opencluster.protocol.edge.EdgeConfig;
import org.opencluster.protocol.tls.ArteryTls;
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
   */
  public static Edge start(String host, int port, ReloadingTlsContext tls, ClusterSharding sharding,
      BooleanSupplier serving, Duration askTimeout, int maxFramePayloadBytes) {
    Config config = EdgeConfig.create(Map.of(
        "pekko.remote.artery.canonical.hostname", host,
        "pekko.remote.artery.canonical.port", port,
        "pekko.remote.artery.trusted-selection-paths", List.of(GATEWAY_PATH),
        "pekko.coordinated-shutdown.exit-jvm", "off",
        "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off",
        "pekko.loggers", List.of("org.apache.pekko.event.slf4j.Slf4jLogger"),
        "pekko.logging-filter", "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"), Edge.class.getClassLoader());
    ActorSystem system = ActorSystem.create(SYSTEM_NAME, ActorSystemSetup.create(
        BootstrapSetup.create(config), SSLEngineProviderSetup.create(s -> new ArteryTls(tls))));
    EdgeCounters counters = new EdgeCounters();
    system.actorOf(Gateway.props(sharding, serving, counters, askTimeout, maxFramePayloadBytes), "gateway");
    int bound = ((ExtendedActorSystem) system).provider().getDefaultAddress().getPort().get().intValue();
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
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      LOG.warn("The edge's actor system did not terminate in time (apache/pekko#3247); continuing");
    }
  }
}
