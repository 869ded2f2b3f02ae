package org.opencluster.controller.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.opencluster.controller.edge.EdgeCounters;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.node.NodeMetrics;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.pki.CertificateValidationException;

/**
 * One controller's metrics, in a Prometheus registry scraped at {@code GET /metrics} on the
 * operator API. Every series carries {@code controller="NAME"}. Names and labels are documented in
 * docs/operations.md ("Metrics"); none carries a secret, a node's key or a file's content.
 *
 * <pre>
 * opencluster_nodes{stage}                     gauge    node entities hosted here, by stage (see {@link #nodesByStage})
 * opencluster_fleet_nodes{stage}               gauge    every node of the cluster by stage, from the read model
 * opencluster_heartbeats_total                 counter  agents' heartbeats handled here
 * opencluster_quarantines_total{reason}        counter  nodes quarantined here
 * opencluster_journal_write_seconds            timer    node entities' journal writes (histogram)
 * opencluster_edge_refusals_total{reason}      counter  Refused answers to agents (gateway and entities)
 * opencluster_edge_dropped_total               counter  messages to the gateway that were neither Hello nor Frame
 * opencluster_tls_refusals_total{listener,reason} counter peers refused at a TLS handshake
 * opencluster_seal_state{state}                gauge    1 for this controller's seal state, 0 for the others
 * opencluster_secret_rotations_total{result,urgent} counter rotations finished or failed by secrets hosted here
 * opencluster_secret_rotation_seconds{urgent}   timer    a rotation's start to its finish (histogram)
 * </pre>
 */
public final class ControllerMetrics implements NodeMetrics,
    org.opencluster.controller.secrets.SecretEnvironment.SecretMetrics {

  // Gauges hold their sources strongly, and the edge's counters are kept here: Micrometer refers to
  // a source weakly, so a lambda source would be collected and its series read NaN.

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final HostedStages hosted = new HostedStages();
  private final Counter heartbeats;
  private final Map<NodeEntity.QuarantineReason, Counter> quarantines = new EnumMap<>(NodeEntity.QuarantineReason.class);
  private final Timer journalWrites;
  private EdgeCounters edgeCounters;

  /** @param controller this controller's name, on every series */
  public ControllerMetrics(String controller) {
    registry.config().commonTags("controller", controller);
    heartbeats = Counter.builder("opencluster.heartbeats").description("Agents' heartbeats handled by this controller")
        .register(registry);
    for (NodeEntity.QuarantineReason reason : NodeEntity.QuarantineReason.values()) {
      quarantines.put(reason, Counter.builder("opencluster.quarantines").tag("reason", label(reason))
          .description("Nodes quarantined by this controller's entities").register(registry));
    }
    journalWrites = Timer.builder("opencluster.journal.write")
        .description("Node entities' journal writes, from the command to the stored event")
        .serviceLevelObjectives(Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1))
        .register(registry);
  }

  /**
   * Feeds {@code opencluster_nodes{stage}} from {@code source}: stage name (lower case) to count,
   * read at each scrape. Without a call, the nodes this controller hosts, counted from its entities'
   * transitions ({@link #hosted}): per controller, so the fleet is the sum over controllers.
   */
  public ControllerMetrics nodesByStage(Supplier<Map<String, Long>> source) {
    for (NodeEntity.Stage stage : NodeEntity.Stage.values()) {
      if (stage != NodeEntity.Stage.UNREGISTERED) {
        String name = label(stage);
        Gauge.builder("opencluster.nodes", source, s -> s.get().getOrDefault(name, 0L))
            .description("Nodes by stage").tag("stage", name).strongReference(true).register(registry);
      }
    }
    return this;
  }

  /**
   * Feeds {@code opencluster_fleet_nodes{stage}}: the whole fleet by stage, as the read model
   * counts it ({@code source} must not block: it is read at each scrape).
   */
  public ControllerMetrics fleetNodes(Supplier<Map<String, Long>> source) {
    for (NodeEntity.Stage stage : NodeEntity.Stage.values()) {
      if (stage != NodeEntity.Stage.UNREGISTERED) {
        String name = label(stage);
        Gauge.builder("opencluster.fleet.nodes", source, s -> s.get().getOrDefault(name, 0L))
            .description("Nodes of the whole cluster by stage, from the read model").tag("stage", name)
            .strongReference(true).register(registry);
      }
    }
    return this;
  }

  /** Counts of this controller's own entities by stage: the default source of {@link #nodesByStage}. */
  public Supplier<Map<String, Long>> hostedNodes() {
    return hosted::snapshot;
  }

  /** The edge gateway's refusals by reason, read at each scrape. */
  public ControllerMetrics edge(EdgeCounters counters) {
    edgeCounters = counters;
    for (Refused.Reason reason : Refused.Reason.values()) {
      if (reason != Refused.Reason.UNRECOGNIZED) {
        FunctionCounter.builder("opencluster.edge.refusals", counters, c -> c.refusals(reason))
            .description("Refused answers sent to agents, by the edge gateway or a node entity")
            .tag("reason", label(reason)).register(registry);
      }
    }
    FunctionCounter.builder("opencluster.edge.dropped", counters, c -> c.count(EdgeCounters.Outcome.UNKNOWN_MESSAGE))
        .description("Messages to the edge gateway that were neither a Hello nor a Frame").register(registry);
    FunctionCounter.builder("opencluster.edge.redirects", counters, c -> c.count(EdgeCounters.Outcome.REDIRECTED))
        .description("Agents told to carry their sessions on through another controller's edge (this one leaving, "
            + "or above its share)").register(registry);
    return this;
  }

  /** A peer refused at the TLS handshake of {@code listener} (cluster, api, edge). */
  public void tlsRefused(String listener, CertificateValidationException.Reason reason) {
    Counter.builder("opencluster.tls.refusals").description("Peers refused at a TLS handshake")
        .tag("listener", listener).tag("reason", label(reason)).register(registry).increment();
  }

  /** {@code opencluster_seal_state{state}}: 1 for the state {@code seal} is in. */
  public ControllerMetrics seal(Supplier<Seal.State> seal) {
    for (Seal.State state : Seal.State.values()) {
      Gauge.builder("opencluster.seal.state", seal, s -> s.get() == state ? 1 : 0)
          .description("This controller's seal: 1 for its current state").tag("state", label(state))
          .strongReference(true).register(registry);
    }
    return this;
  }

  @Override
  public void heartbeat() {
    heartbeats.increment();
  }

  @Override
  public void quarantined(NodeEntity.QuarantineReason reason) {
    quarantines.get(reason).increment();
  }

  @Override
  public void journalWritten(Duration took) {
    journalWrites.record(took);
  }

  @Override
  public void hosted(Optional<NodeEntity.Stage> from, Optional<NodeEntity.Stage> to) {
    hosted.moved(from, to);
  }

  @Override
  public void rotationFinished(boolean urgent, Duration took) {
    Counter.builder("opencluster.secret.rotations").description("Rotations of shared secrets hosted here, by outcome")
        .tag("result", "finished").tag("urgent", Boolean.toString(urgent)).register(registry).increment();
    Timer.builder("opencluster.secret.rotation").description("A rotation's start to its finish")
        .tag("urgent", Boolean.toString(urgent))
        .serviceLevelObjectives(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(1),
            Duration.ofMinutes(5), Duration.ofMinutes(15))
        .register(registry).record(took);
  }

  @Override
  public void rotationFailed(boolean urgent, org.opencluster.controller.secrets.SecretEntity.Step step) {
    Counter.builder("opencluster.secret.rotations").description("Rotations of shared secrets hosted here, by outcome")
        .tag("result", "failed").tag("urgent", Boolean.toString(urgent)).register(registry).increment();
  }

  /** The Prometheus text format (0.0.4) of every series. */
  public String scrape() {
    return registry.scrape();
  }

  private static String label(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }
}
