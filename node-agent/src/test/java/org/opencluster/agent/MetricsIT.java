package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.Controller;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.testing.Scrape;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.pki.Role;
import org.opencluster.protocol.session.AgentSession;

/**
 * {@code GET /metrics} on a real controller while an agent speaks to its edge over TLS: a
 * heartbeat and a refused frame move their counters, any operator role may read them, and nothing
 * secret is in the text.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsIT {

  private static final Duration REPLY = Duration.ofSeconds(10);

  private Testbed testbed;
  private Controller controller;
  private ApiTestClient auditor;

  @BeforeAll
  void start(@TempDir Path directory) throws Exception {
    testbed = new Testbed(directory, TestDatabases.freshH2());
    controller = testbed.controller("ctl-1");
    auditor = new ApiTestClient(testbed.cluster().issueOperator("audrey", Role.AUDITOR));
  }

  @AfterAll
  void stop() throws Exception {
    testbed.close();
  }

  @Test
  void aHeartbeatAndARefusedFrame_moveTheirCounters() throws Exception {
    Path bundle = testbed.register(controller, "metrics-1");
    double heartbeats = value("opencluster_heartbeats_total{controller=\"ctl-1\"}");
    double refused = value("opencluster_edge_refusals_total{controller=\"ctl-1\",reason=\"not_authenticated\"}");
    try (RogueAgent agent = new RogueAgent(bundle)) {
      AgentSession session = EdgeSecurityIT.enrol(agent, testbed.edgeOf(controller), testbed, "metrics-1",
          EdgeSecurityIT.nodeKey(bundle));
      agent.send(testbed.edgeOf(controller), "/user/gateway", EdgeSecurityIT.heartbeat(session));
      Object ack = agent.next(REPLY);
      assertThat(ack).isInstanceOf(Frame.class);
      assertThat(ControllerMessage.parseFrom(session.channel().open((Frame) ack)).hasHeartbeatAck()).isTrue();
      agent.send(testbed.edgeOf(controller), "/user/gateway",
          EdgeSecurityIT.heartbeat(session).toBuilder().setMac(ByteString.copyFrom(new byte[32])).build());
      assertThat(agent.next(REPLY)).isInstanceOf(Refused.class);
    }
    assertThat(value("opencluster_heartbeats_total{controller=\"ctl-1\"}")).isGreaterThan(heartbeats);
    assertThat(value("opencluster_edge_refusals_total{controller=\"ctl-1\",reason=\"not_authenticated\"}"))
        .isGreaterThan(refused);
    assertThat(value("opencluster_nodes{controller=\"ctl-1\",stage=\"active\"}")).isGreaterThanOrEqualTo(1);
    assertThat(value("opencluster_journal_write_seconds_count{controller=\"ctl-1\"}")).isPositive();
    assertThat(value("opencluster_seal_state{controller=\"ctl-1\",state=\"unsealed\"}")).isEqualTo(1);
    // The node may be active or, silent since, quarantined: the read model counts it in one stage.
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).untilAsserted(() -> {
      double fleet = 0;
      for (String stage : java.util.List.of("registered", "active", "quarantined", "expired", "retired")) {
        fleet += value("opencluster_fleet_nodes{controller=\"ctl-1\",stage=\"" + stage + "\"}");
      }
      assertThat(fleet).as("the whole fleet, from the read model").isGreaterThanOrEqualTo(1);
    });
  }

  @Test
  void anyRoleReadsTheMetrics_asPrometheusText_withoutASecret() throws Exception {
    HttpResponse<String> scrape = auditor.exchange(controller.apiPort(), "GET", "/metrics", null);
    assertThat(scrape.statusCode()).isEqualTo(200);
    assertThat(scrape.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
        assertThat(type).startsWith("text/plain").contains("version=0.0.4"));
    assertThat(scrape.body()).contains("# TYPE opencluster_heartbeats_total counter")
        .doesNotContain("PRIVATE KEY").doesNotContain("ocs1-");
  }

  private double value(String series) throws Exception {
    await().atMost(REPLY).until(() -> Scrape.value(scrape(), series) >= 0);
    return Scrape.value(scrape(), series);
  }

  private String scrape() throws Exception {
    HttpResponse<String> reply = testbed.admin().exchange(controller.apiPort(), "GET", "/metrics", null);
    assertThat(reply.statusCode()).isEqualTo(200);
    return reply.body();
  }
}
