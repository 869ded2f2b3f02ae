package org.opencluster.controller.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.agent.v1.Refused;

/** The edge's agents: counted while they heartbeat, told to move when it leaves or has too many. */
class EdgeSessionsTest {

  private static final ActorTestKit KIT = ActorTestKit.create();
  private static final Duration WINDOW = Duration.ofSeconds(3);

  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final EdgeSessions sessions = new EdgeSessions(100, nanos::get);

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  private Map<String, TestProbe<Refused>> agents(int count) {
    Map<String, TestProbe<Refused>> agents = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      TestProbe<Refused> probe = KIT.createTestProbe();
      agents.put("n-" + i, probe);
      sessions.seen("n-" + i, Adapter.toClassic(probe.ref()), session(i));
    }
    return agents;
  }

  private static ByteString session(int i) {
    return ByteString.copyFromUtf8("session-" + i);
  }

  private void advance(Duration by) {
    nanos.addAndGet(by.toNanos());
  }

  @Test
  void agentsCount_whileTheyHeartbeatWithinTheWindow_andArePrunedAfter() {
    agents(3);
    assertThat(sessions.active(WINDOW)).isEqualTo(3);
    advance(Duration.ofSeconds(2));
    sessions.seen("n-0", Adapter.toClassic(KIT.<Refused>createTestProbe().ref()), session(0));
    advance(Duration.ofSeconds(2));
    assertThat(sessions.active(WINDOW)).as("only the one that heartbeat lately").isEqualTo(1);
    sessions.prune(WINDOW);
    advance(Duration.ofSeconds(-4));
    assertThat(sessions.active(WINDOW)).as("the others forgotten").isEqualTo(1);
  }

  @Test
  void leaving_tellsEveryActiveAgentToMove_spreadOverTheTargets_andRedirectsThoseWhoComeLater() {
    sessions.advertisedAs("a:1");
    Map<String, TestProbe<Refused>> agents = agents(4);
    assertThat(sessions.drain(List.of("b:1", "c:1"), WINDOW)).isEqualTo(4);
    List<String> firstChoices = new ArrayList<>();
    int i = 0;
    for (TestProbe<Refused> agent : agents.values()) {
      Refused moved = agent.receiveMessage();
      assertThat(moved.getReason()).isEqualTo(Refused.Reason.MOVED);
      assertThat(moved.getRetryable()).isTrue();
      assertThat(moved.getMoveToList()).containsExactlyInAnyOrder("b:1", "c:1");
      assertThat(moved.getFrom()).as("says which edge sends it").isEqualTo("a:1");
      assertThat(moved.getSessionId()).as("names the agent's own session").isEqualTo(session(i++));
      firstChoices.add(moved.getMoveTo(0));
    }
    assertThat(firstChoices).as("spread over both").contains("b:1", "c:1");
    assertThat(sessions.draining()).isTrue();
    assertThat(sessions.drainTargets(7)).containsExactlyInAnyOrder("b:1", "c:1");
  }

  @Test
  void leavingWithNowhereToSendThem_tellsNobody() {
    Map<String, TestProbe<Refused>> agents = agents(2);
    assertThat(sessions.drain(List.of(), WINDOW)).isZero();
    assertThat(sessions.drainTargets(0)).isEmpty();
    agents.values().forEach(TestProbe::expectNoMessage);
  }

  @Test
  void balancing_movesAsManyAsAsked_toTheNamedEdges_andForgetsThem() {
    Map<String, TestProbe<Refused>> agents = agents(10);
    assertThat(sessions.move(Map.of("b:1", 3, "c:1", 2), WINDOW)).isEqualTo(5);
    assertThat(sessions.active(WINDOW)).as("the five told are forgotten here").isEqualTo(5);
    Map<String, Integer> told = new java.util.HashMap<>();
    for (TestProbe<Refused> agent : agents.values()) {
      Refused got;
      try {
        got = agent.receiveMessage(Duration.ofMillis(200));
      } catch (AssertionError nothingCame) {
        continue; // this one stays
      }
      assertThat(got.getMoveToList()).hasSize(1);
      told.merge(got.getMoveTo(0), 1, Integer::sum);
      agent.expectNoMessage(Duration.ofMillis(20)); // told once
    }
    assertThat(told).containsExactlyInAnyOrderEntriesOf(Map.of("b:1", 3, "c:1", 2));
  }

  @Test
  void beyondItsCapacity_newAgentsAreNotTracked_butKnownOnesAreStillUpdated() {
    EdgeSessions small = new EdgeSessions(2, nanos::get);
    for (int i = 0; i < 3; i++) {
      small.seen("n-" + i, Adapter.toClassic(KIT.<Refused>createTestProbe().ref()), session(i));
    }
    assertThat(small.active(WINDOW)).isEqualTo(2);
    advance(Duration.ofSeconds(10));
    small.seen("n-0", Adapter.toClassic(KIT.<Refused>createTestProbe().ref()), session(0));
    assertThat(small.active(WINDOW)).isEqualTo(1);
  }
}
