package org.opencluster.controller.cluster;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How many of this controller's agents to send where, so the agents spread over the controllers
 * serving them (after a rolling upgrade, the last controller restarted has none): a controller
 * with more than its share by more than the tolerance (10%, at least one agent) sends half its excess, at most {@code
 * maxMoves} per round, to the controllers below the share, in proportion to what they lack. Half,
 * because every controller decides on the same, slightly stale counts: the excess shrinks
 * geometrically round after round instead of overshooting. Pure: the edge does the moving.
 */
public final class AgentBalancer {

  /**
   * A controller keeps its agents while its excess is at most this many agents, or at most {@link
   * #TOLERANCE} of the share, whichever is more: a move is cheap (a redirect and a heartbeat), but
   * counts move a little between rounds.
   */
  static final int MIN_EXCESS = 1;
  static final double TOLERANCE = 0.1;

  private AgentBalancer() {}

  /**
   * The moves this controller should make: edge host:port to how many agents, empty to stay.
   *
   * @param self this controller's name
   * @param described every controller's description; only unsealed, not leaving ones with an edge count.
   *     While any controller is leaving, nothing moves: its agents are arriving on the others, so
   *     the counts say nothing yet, and a move then only adds to the work of taking its nodes over
   *     (seen at 10,000 nodes: 900 agents balanced away in the minute of the oldest's leave)
   */
  public static Map<String, Integer> moves(String self, List<ControllerDirectory.Description> described, int maxMoves) {
    if (described.stream().anyMatch(ControllerDirectory.Description::leaving)) {
      return Map.of();
    }
    List<ControllerDirectory.Description> serving = described.stream()
        .filter(d -> "unsealed".equals(d.sealState()) && !d.leaving() && !d.edge().isEmpty()).toList();
    ControllerDirectory.Description me = serving.stream().filter(d -> d.controller().equals(self)).findFirst()
        .orElse(null);
    if (me == null || serving.size() < 2 || maxMoves <= 0) {
      return Map.of();
    }
    long total = serving.stream().mapToLong(ControllerDirectory.Description::agents).sum();
    double share = (double) total / serving.size();
    double excess = me.agents() - share;
    if (excess <= Math.max(MIN_EXCESS, share * TOLERANCE)) {
      return Map.of();
    }
    int toMove = (int) Math.min(maxMoves, Math.ceil(excess / 2));
    Map<String, Double> lacking = new LinkedHashMap<>();
    double lackingTotal = 0;
    for (ControllerDirectory.Description d : serving) {
      if (d != me && d.agents() < share) {
        lacking.put(d.edge(), share - d.agents());
        lackingTotal += share - d.agents();
      }
    }
    Map<String, Integer> moves = new LinkedHashMap<>();
    int given = 0;
    for (Map.Entry<String, Double> entry : lacking.entrySet()) {
      int count = (int) Math.floor(toMove * entry.getValue() / lackingTotal);
      if (count > 0) {
        moves.put(entry.getKey(), count);
        given += count;
      }
    }
    // What rounding left over goes to the one lacking most.
    if (given < toMove && !lacking.isEmpty()) {
      String most = lacking.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
      moves.merge(most, toMove - given, Integer::sum);
    }
    return moves;
  }

  /**
   * Where a leaving controller sends its agents: the edges of the other controllers serving
   * nodes, the least loaded first.
   */
  public static List<String> drainTargets(String self, List<ControllerDirectory.Description> described) {
    return described.stream()
        .filter(d -> !d.controller().equals(self) && "unsealed".equals(d.sealState()) && !d.leaving()
            && !d.edge().isEmpty())
        .sorted(java.util.Comparator.comparingInt(ControllerDirectory.Description::agents))
        .map(ControllerDirectory.Description::edge).toList();
  }
}
