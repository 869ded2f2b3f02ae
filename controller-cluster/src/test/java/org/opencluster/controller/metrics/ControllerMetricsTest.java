package org.opencluster.controller.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.opencluster.controller.testing.Scrape.value;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.edge.EdgeCounters;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.protocol.pki.CertificateValidationException;

/** Each metric source, read back from the Prometheus text the registry serves at GET /metrics. */
class ControllerMetricsTest {

  private final ControllerMetrics metrics = new ControllerMetrics("ctl-1");

  @Test
  void nodesByStage_readsTheHookAtEachScrape() {
    AtomicReference<Map<String, Long>> source = new AtomicReference<>(Map.of("active", 3L));
    metrics.nodesByStage(source::get);
    assertThat(value(metrics.scrape(), "opencluster_nodes{controller=\"ctl-1\",stage=\"active\"}")).isEqualTo(3);
    assertThat(value(metrics.scrape(), "opencluster_nodes{controller=\"ctl-1\",stage=\"quarantined\"}")).isZero();
    source.set(Map.of("active", 2L, "quarantined", 1L));
    assertThat(value(metrics.scrape(), "opencluster_nodes{controller=\"ctl-1\",stage=\"active\"}")).isEqualTo(2);
    assertThat(value(metrics.scrape(), "opencluster_nodes{controller=\"ctl-1\",stage=\"quarantined\"}")).isEqualTo(1);
  }

  @Test
  void hostedNodes_followEntitiesAsTheyStartMoveAndStop() {
    metrics.nodesByStage(metrics.hostedNodes());
    metrics.hosted(Optional.empty(), Optional.of(NodeEntity.Stage.REGISTERED));
    metrics.hosted(Optional.empty(), Optional.of(NodeEntity.Stage.REGISTERED));
    metrics.hosted(Optional.of(NodeEntity.Stage.REGISTERED), Optional.of(NodeEntity.Stage.ACTIVE));
    metrics.hosted(Optional.of(NodeEntity.Stage.REGISTERED), Optional.empty());
    String scrape = metrics.scrape();
    assertThat(value(scrape, "opencluster_nodes{controller=\"ctl-1\",stage=\"registered\"}")).isZero();
    assertThat(value(scrape, "opencluster_nodes{controller=\"ctl-1\",stage=\"active\"}")).isEqualTo(1);
    assertThat(scrape).as("unregistered entities are not nodes").doesNotContain("stage=\"unregistered\"");
  }

  @Test
  void heartbeatsQuarantinesAndJournalWrites_areCounted() {
    metrics.heartbeat();
    metrics.quarantined(NodeEntity.QuarantineReason.CLONE_DETECTED);
    metrics.journalWritten(Duration.ofMillis(7));
    String scrape = metrics.scrape();
    assertThat(value(scrape, "opencluster_heartbeats_total{controller=\"ctl-1\"}")).isEqualTo(1);
    assertThat(value(scrape, "opencluster_quarantines_total{controller=\"ctl-1\",reason=\"clone_detected\"}")).isEqualTo(1);
    assertThat(value(scrape, "opencluster_journal_write_seconds_count{controller=\"ctl-1\"}")).isEqualTo(1);
    assertThat(value(scrape, "opencluster_journal_write_seconds_bucket{controller=\"ctl-1\",le=\"0.01\"}")).isEqualTo(1);
    assertThat(value(scrape, "opencluster_journal_write_seconds_bucket{controller=\"ctl-1\",le=\"0.005\"}")).isZero();
  }

  @Test
  void tlsRefusals_areCountedByListenerAndReason() {
    metrics.tlsRefused("edge", CertificateValidationException.Reason.REVOKED);
    metrics.tlsRefused("edge", CertificateValidationException.Reason.REVOKED);
    metrics.tlsRefused("api", CertificateValidationException.Reason.EXPIRED);
    String scrape = metrics.scrape();
    assertThat(value(scrape, "opencluster_tls_refusals_total{controller=\"ctl-1\",listener=\"edge\",reason=\"revoked\"}"))
        .isEqualTo(2);
    assertThat(value(scrape, "opencluster_tls_refusals_total{controller=\"ctl-1\",listener=\"api\",reason=\"expired\"}"))
        .isEqualTo(1);
  }

  @Test
  void edgeRefusals_areReadFromTheGatewaysCounters() {
    metrics.edge(new EdgeCounters());
    String scrape = metrics.scrape();
    assertThat(value(scrape, "opencluster_edge_refusals_total{controller=\"ctl-1\",reason=\"malformed\"}")).isZero();
    assertThat(value(scrape, "opencluster_edge_refusals_total{controller=\"ctl-1\",reason=\"not_authenticated\"}")).isZero();
    assertThat(value(scrape, "opencluster_edge_dropped_total{controller=\"ctl-1\"}")).isZero();
    assertThat(scrape).doesNotContain("unrecognized");
  }

  @Test
  void theSealState_isOneForTheCurrentStateOnly() {
    AtomicReference<Seal.State> state = new AtomicReference<>(Seal.State.SEALED);
    metrics.seal(state::get);
    assertThat(value(metrics.scrape(), "opencluster_seal_state{controller=\"ctl-1\",state=\"sealed\"}")).isEqualTo(1);
    assertThat(value(metrics.scrape(), "opencluster_seal_state{controller=\"ctl-1\",state=\"unsealed\"}")).isZero();
    state.set(Seal.State.UNSEALED);
    assertThat(value(metrics.scrape(), "opencluster_seal_state{controller=\"ctl-1\",state=\"sealed\"}")).isZero();
    assertThat(value(metrics.scrape(), "opencluster_seal_state{controller=\"ctl-1\",state=\"unsealed\"}")).isEqualTo(1);
  }
}
