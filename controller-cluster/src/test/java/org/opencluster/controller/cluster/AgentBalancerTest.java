package org.opencluster.controller.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which agents a controller sends where: the share, the tolerance, the half step, the drain order. */
class AgentBalancerTest {

  private static ControllerDirectory.Description controller(String name, int agents) {
    return controller(name, agents, "unsealed", false);
  }

  private static ControllerDirectory.Description controller(String name, int agents, String seal, boolean leaving) {
    return new ControllerDirectory.Description(name, "pekko://opencluster@" + name + ":25520", "1.0.0", seal, agents,
        name + ":25530", leaving);
  }

  @Test
  void aControllerAboveItsShare_sendsHalfItsExcess_toThoseBelow_inProportionToWhatTheyLack() {
    Map<String, Integer> moves = AgentBalancer.moves("a", List.of(controller("a", 900), controller("b", 100),
        controller("c", 0)), 1000);
    // share 333.3, excess 566.7: half is 284, split 233.3 : 333.3
    assertThat(moves.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(284);
    assertThat(moves.get("c:25530")).isGreaterThan(moves.get("b:25530"));
  }

  @Test
  void withinTheTolerance_orBelowTheShare_nothingMoves() {
    assertThat(AgentBalancer.moves("a", List.of(controller("a", 105), controller("b", 95)), 1000)).isEmpty();
    assertThat(AgentBalancer.moves("b", List.of(controller("a", 900), controller("b", 100)), 1000)).isEmpty();
    assertThat(AgentBalancer.moves("a", List.of(controller("a", 900)), 1000)).as("alone").isEmpty();
  }

  @Test
  void leavingOrSealedControllers_neitherReceiveNorCount() {
    Map<String, Integer> moves = AgentBalancer.moves("a", List.of(controller("a", 100), controller("b", 0, "sealed", false),
        controller("d", 100)), 1000);
    assertThat(moves).isEmpty();
    assertThat(AgentBalancer.drainTargets("a", List.of(controller("a", 10), controller("b", 7), controller("c", 0,
        "unsealed", true), controller("d", 3), controller("e", 0, "sealed", false))))
        .containsExactly("d:25530", "b:25530");
  }

  @Test
  void whileAnyControllerIsLeaving_nothingMoves_evenFromAControllerFarAboveItsShare() {
    List<ControllerDirectory.Description> duringALeave = List.of(controller("a", 900), controller("b", 100),
        controller("c", 500, "unsealed", true));
    assertThat(AgentBalancer.moves("a", duringALeave, 1000)).isEmpty();
    assertThat(AgentBalancer.moves("a", List.of(controller("a", 900), controller("b", 100)), 1000))
        .as("once it is gone").isNotEmpty();
  }

  @Test
  void movesPerRound_areBounded() {
    Map<String, Integer> moves = AgentBalancer.moves("a", List.of(controller("a", 10_000), controller("b", 0)), 500);
    assertThat(moves).containsExactly(Map.entry("b:25530", 500));
  }

  @Test
  void roundAfterRound_theFleetSettlesWithinTheTolerance_withoutOscillating() {
    Map<String, Integer> agents = new HashMap<>(Map.of("a", 5000, "b", 5000, "c", 0));
    int rounds = 0;
    int previousSpread = Integer.MAX_VALUE;
    while (rounds < 30) {
      List<ControllerDirectory.Description> described = new ArrayList<>();
      agents.forEach((name, count) -> described.add(controller(name, count)));
      Map<String, Integer> next = new HashMap<>(agents);
      boolean moved = false;
      for (String name : agents.keySet()) {
        for (Map.Entry<String, Integer> move : AgentBalancer.moves(name, described, 10_000).entrySet()) {
          String to = move.getKey().substring(0, move.getKey().indexOf(':'));
          next.merge(name, -move.getValue(), Integer::sum);
          next.merge(to, move.getValue(), Integer::sum);
          moved = true;
        }
      }
      agents = next;
      rounds++;
      int spread = agents.values().stream().max(Integer::compare).orElseThrow()
          - agents.values().stream().min(Integer::compare).orElseThrow();
      assertThat(spread).as("the spread never grows").isLessThanOrEqualTo(previousSpread);
      previousSpread = spread;
      if (!moved) {
        break;
      }
    }
    assertThat(agents.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(10_000);
    // Settled: nobody above the share by more than the tolerance, so the others lack at most twice that.
    assertThat(agents.values()).allSatisfy(count -> assertThat(count).isBetween(3333 - 667, 3333 + 334));
    assertThat(rounds).isLessThan(30);
  }

  @Test
  void aLeavingControllerWhosePeersAreTooBusyToAnswer_stillDrainsToThem_asTheyLastDescribedThemselves() {
    ControllerDirectory.Description self = controller("a", 500, "unsealed", true);
    ControllerDirectory.Description b = controller("b", 300);
    ControllerDirectory.Description c = controller("c", 100);
    ControllerDirectory.LastKnown lastKnown = new ControllerDirectory.LastKnown();
    lastKnown.remember(List.of(self, b, c));

    List<ControllerDirectory.Description> all = lastKnown.fillIn(List.of(self),
        java.util.Set.of(self.address(), b.address(), c.address()));

    assertThat(AgentBalancer.drainTargets("a", all)).containsExactly("c:25530", "b:25530");
  }

  @Test
  void whatAPeerSaysNow_winsOverWhatItSaidLast_andAControllerNoLongerUp_isLeftOut() {
    ControllerDirectory.Description self = controller("a", 500, "unsealed", true);
    ControllerDirectory.LastKnown lastKnown = new ControllerDirectory.LastKnown();
    lastKnown.remember(List.of(self, controller("b", 300), controller("c", 100)));
    ControllerDirectory.Description bNowLeaving = controller("b", 300, "unsealed", true);

    List<ControllerDirectory.Description> all = lastKnown.fillIn(List.of(self, bNowLeaving),
        java.util.Set.of(self.address(), bNowLeaving.address()));

    assertThat(all).containsExactly(self, bNowLeaving);
    assertThat(AgentBalancer.drainTargets("a", all)).as("b leaves too; c is gone").isEmpty();
  }
}
