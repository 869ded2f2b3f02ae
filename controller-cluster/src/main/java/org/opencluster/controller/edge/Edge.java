package org.opencluster.controller.edge;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.opencluster.controller.audit.SecurityEvents;
import org.opencluster.protocol.edge.EdgeSystem;
import org.opencluster.protocol.tls.ReloadingTlsContext;
import org.slf4j.Logger;
import scala.concurrent.ExecutionContextExecutor;
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
  /** A leaving edge is drained once no agent reached it for this long. */
  private static final Duration QUIET = Duration.ofSeconds(1);
  private static final Duration CHECK_EVERY = Duration.ofMillis(200);
  private static final Logger LOG = LoggerFactory.getLogger(Edge.class);

  private final ActorSystem system;
  private final EdgeCounters counters;
  private final EdgeSessions sessions;
  private final int port;

  private Edge(ActorSystem system, EdgeCounters counters, EdgeSessions sessions, int port) {
    this.system = system;
    this.counters = counters;
    this.sessions = sessions;
    this.port = port;
  }

  /**
   * Starts the edge on {@code host:port} (0: any free port).
   *
   * @param serving whether this controller runs node entities (unsealed, sharding started)
   * @param audit where refused messages are counted, by kind
   * @param trackAgents at most this many agents are tracked for redirects and counts
   */
  public static Edge start(String host, int port, ReloadingTlsContext tls, ClusterSharding sharding,
      BooleanSupplier serving, Duration askTimeout, int maxFramePayloadBytes, SecurityEvents audit, int trackAgents) {
    ActorSystem system = EdgeSystem.start(SYSTEM_NAME, host, port, List.of(GATEWAY_PATH), false, tls,
        ConfigFactory.empty(), Edge.class.getClassLoader());
    EdgeCounters counters = new EdgeCounters(audit);
    EdgeSessions sessions = new EdgeSessions(trackAgents);
    system.actorOf(Gateway.props(sharding, serving, counters, sessions, askTimeout, maxFramePayloadBytes), "gateway");
    int bound = EdgeSystem.port(system);
    LOG.info("Edge for agents listening on {}:{} (gateway {})", host, bound, GATEWAY_PATH);
    return new Edge(system, counters, sessions, bound);
  }

  /** Balancing: moves agents to the edges of {@code shares} (see {@link EdgeSessions#move}), counted. */
  public int move(java.util.Map<String, Integer> shares, Duration active) {
    int told = sessions.move(shares, active);
    counters.add(EdgeCounters.Outcome.REDIRECTED, told);
    return told;
  }

  /** The agents whose sessions this edge carries. */
  public EdgeSessions sessions() {
    return sessions;
  }

  /**
   * Leaving: tells every agent seen within {@code active} to move to {@code targets} (host:port of
   * the other controllers' edges, least loaded first), and redirects every agent that reaches this
   * edge from now on. Completes once no agent has reached the edge for a second (they moved), or
   * after {@code timeout} (an agent that ignores the redirect fails over when the edge stops).
   */
  public CompletionStage<Integer> drain(List<String> targets, Duration active, Duration timeout,
      org.apache.pekko.actor.typed.Scheduler scheduler, ExecutionContextExecutor executor) {
    long started = sessions.now();
    int told = sessions.drain(targets, active);
    counters.add(EdgeCounters.Outcome.REDIRECTED, told);
    LOG.info("Edge leaving: told {} agents to move to {}", told, targets.isEmpty() ? "(no other controller)" : targets);
    CompletableFuture<Integer> drained = new CompletableFuture<>();
    if (told == 0) {
      drained.complete(0);
      return drained;
    }
    long deadline = started + timeout.toNanos();
    Runnable check = new Runnable() {
      @Override
      public void run() {
        long now = sessions.now();
        boolean quiet = now - started > QUIET.toNanos() && sessions.seenSince(now - QUIET.toNanos()) == 0;
        if (quiet || now - deadline >= 0) {
          int stayed = sessions.seenSince(now - QUIET.toNanos());
          if (stayed > 0) {
            LOG.warn("Edge leaving: {} agents still reached it after {}; they fail over when it stops", stayed, timeout);
          }
          drained.complete(told);
        } else {
          scheduler.scheduleOnce(CHECK_EVERY, this, executor);
        }
      }
    };
    scheduler.scheduleOnce(CHECK_EVERY, check, executor);
    return drained;
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
