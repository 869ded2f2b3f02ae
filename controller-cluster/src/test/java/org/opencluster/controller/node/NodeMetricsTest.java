package org.opencluster.controller.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.metrics.ControllerMetrics;
import org.opencluster.controller.node.NodeEntity.AgentFrame;
import org.opencluster.controller.node.NodeEntity.Bootstrap;
import org.opencluster.controller.node.NodeEntity.Command;
import org.opencluster.controller.node.NodeEntity.EdgeReply;
import org.opencluster.controller.node.NodeEntity.Enrol;
import org.opencluster.controller.node.NodeEntity.Event;
import org.opencluster.controller.node.NodeEntity.QuarantineReason;
import org.opencluster.controller.node.NodeEntity.Register;
import org.opencluster.controller.node.NodeEntity.Registration;
import org.opencluster.controller.node.NodeEntity.State;
import org.opencluster.controller.testing.MovableClock;
import org.opencluster.controller.testing.Scrape;

/**
 * What a node entity tells the controller's metrics, through a real {@link ControllerMetrics} read
 * back as Prometheus text: heartbeats, quarantines by reason, journal writes, and the stage the
 * entity is hosted in.
 */
class NodeMetricsTest {

  private static final NodeSettings SETTINGS = new NodeSettings(Duration.ofSeconds(5), 3, Duration.ofSeconds(5),
      Duration.ofSeconds(60), Duration.ofHours(24), Duration.ofDays(365), 100);
  private static final EntityTestSystem TEST_SYSTEM = new EntityTestSystem("node-metrics-test");
  private static final ActorSystem<Void> SYSTEM = TEST_SYSTEM.system();
  private static final TestPki PKI = new TestPki();

  private MovableClock clock;
  private ControllerMetrics metrics;
  private EventSourcedBehaviorTestKit<Command, Event, State> node;

  @AfterAll
  static void shutDown() {
    TEST_SYSTEM.close();
  }

  @BeforeEach
  void create() {
    clock = new MovableClock(Instant.now());
    metrics = new ControllerMetrics("ctl-1");
    metrics.nodesByStage(metrics.hostedNodes());
    node = EventSourcedBehaviorTestKit.create(SYSTEM, NodeEntity.create("n-1",
        new NodeEnvironment(SETTINGS, clock, () -> PKI.controller, NodeEnvironment.Revocations.NONE, FileSource.NONE, metrics),
        Optional.empty()));
  }

  @Test
  void aRegistration_isHostedAsRegistered_andItsWriteIsTimed() {
    register();
    assertThat(value("opencluster_nodes{controller=\"ctl-1\",stage=\"registered\"}")).isEqualTo(1);
    assertThat(value("opencluster_journal_write_seconds_count{controller=\"ctl-1\"}")).isEqualTo(1);
  }

  @Test
  void eachHeartbeat_isCounted() throws Exception {
    register();
    Agent agent = new Agent("n-1", PKI.nodeKeys, "boot-a", clock.instant(), PKI);
    agent.complete(node.<EdgeReply>runCommand(r -> new Enrol(agent.hello(), r)).reply());
    node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    node.<EdgeReply>runCommand(r -> new AgentFrame(agent.heartbeat(), r));
    assertThat(value("opencluster_heartbeats_total{controller=\"ctl-1\"}")).isEqualTo(2);
    assertThat(value("opencluster_nodes{controller=\"ctl-1\",stage=\"active\"}")).isEqualTo(1);
    assertThat(value("opencluster_nodes{controller=\"ctl-1\",stage=\"registered\"}")).isZero();
  }

  @Test
  void aQuarantine_isCountedByReason_andMovesTheStage() {
    register();
    node.<StatusReply<Done>>runCommand(r -> new NodeEntity.Quarantine(QuarantineReason.OPERATOR, "test", r));
    assertThat(value("opencluster_quarantines_total{controller=\"ctl-1\",reason=\"operator\"}")).isEqualTo(1);
    assertThat(value("opencluster_quarantines_total{controller=\"ctl-1\",reason=\"heartbeat_missed\"}")).isZero();
    assertThat(value("opencluster_nodes{controller=\"ctl-1\",stage=\"quarantined\"}")).isEqualTo(1);
    assertThat(value("opencluster_nodes{controller=\"ctl-1\",stage=\"registered\"}")).isZero();
  }

  @Test
  void anEntityThatRecovers_isHostedOnce() {
    register();
    node.restart();
    assertThat(value("opencluster_nodes{controller=\"ctl-1\",stage=\"registered\"}")).isEqualTo(1);
  }

  private void register() {
    var registered = node.<StatusReply<Registration>>runCommand(r -> new Register("web-1", Map.of(), Duration.ofHours(24),
        ByteString.copyFrom(encoded()), Bootstrap.REUSABLE, r));
    assertThat(registered.reply().isSuccess()).isTrue();
  }

  private static byte[] encoded() {
    try {
      return PKI.nodeCertificate.getEncoded();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The value of one series in the scrape, or -1 if it is not there. */
  private double value(String series) {
    return Scrape.value(metrics.scrape(), series);
  }
}
