package org.opencluster.controller.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.persistence.keys.Seal;

/**
 * The cluster as this controller sees it.
 *
 * <pre>
 * GET /v1/cluster   any role   members (address, status, roles, app version, reachable), the leader,
 *                              this controller's seal state, node-entity shards and entities per member
 * </pre>
 *
 * Shards are counted by asking every member's shard region (Pekko's cluster sharding stats): a
 * member that does not answer within the timeout is listed under {@code "shardsUnknown"}. A sealed
 * controller runs no node sharding and reports no shards.
 */
public final class ClusterRoutes extends AllDirectives {

  private static final Duration STATS_TIMEOUT = Duration.ofSeconds(5);

  /**
   * What the route needs from the controller.
   *
   * @param shardingStarted whether this controller runs the node entities' sharding (it is unsealed)
   */
  public record Services(ActorSystem<?> system, String controller, Seal seal, BooleanSupplier shardingStarted) {}

  private final OperatorApi api;
  private final Services services;

  ClusterRoutes(OperatorApi api, Services services) {
    this.api = api;
    this.services = services;
  }

  Route routes() {
    return path("cluster", () -> get(() -> api.respond(this::status)));
  }

  private HttpResponse status() {
    ClusterEvent.CurrentClusterState state = Cluster.get(services.system()).state();
    Address self = Cluster.get(services.system()).selfMember().address();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("controller", services.controller());
    body.put("self", self.toString());
    body.put("sealState", services.seal().status().state().name().toLowerCase(Locale.ROOT));
    body.put("leader", state.getLeader() == null ? null : state.getLeader().toString());
    Map<Address, ShardRegion.ShardRegionStats> regions = shardStats();
    Set<Member> unreachable = state.getUnreachable();
    List<Map<String, Object>> members = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    for (Member member : state.getMembers()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("address", member.address().toString());
      entry.put("status", member.status().toString().toLowerCase(Locale.ROOT));
      entry.put("reachable", !unreachable.contains(member));
      entry.put("roles", new TreeSet<>(member.getRoles()));
      entry.put("appVersion", member.appVersion().toString());
      ShardRegion.ShardRegionStats stats = regions == null ? null : regions.get(member.address());
      if (stats != null) {
        entry.put("shards", stats.getStats().size());
        entry.put("nodeEntities", stats.getStats().values().stream().mapToLong(n -> ((Number) n).longValue()).sum());
        if (!stats.getFailed().isEmpty()) {
          entry.put("shardsFailed", new TreeSet<>(stats.getFailed()));
        }
      } else if (regions != null) {
        unknown.add(member.address().toString());
      }
      members.add(entry);
    }
    body.put("members", members);
    body.put("shardsCounted", regions != null);
    if (!unknown.isEmpty()) {
      body.put("shardsUnknown", unknown);
    }
    return OperatorApi.json(200, body);
  }

  /** Node-entity shard regions by member address; null when this controller runs no node sharding. */
  private Map<Address, ShardRegion.ShardRegionStats> shardStats() {
    if (!services.shardingStarted().getAsBoolean()) {
      return null;
    }
    try {
      ShardRegion.ClusterShardingStats stats = AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery,
              ShardRegion.ClusterShardingStats>ask(ClusterSharding.get(services.system()).shardState(),
              replyTo -> new GetClusterShardingStats(NodeEntity.ENTITY_KEY, STATS_TIMEOUT, replyTo),
              STATS_TIMEOUT.plusSeconds(1), services.system().scheduler())
          .toCompletableFuture().get(STATS_TIMEOUT.toSeconds() + 2, TimeUnit.SECONDS);
      return stats.getRegions();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (Exception e) {
      throw new OperatorApi.Problem(OperatorApi.problem(503, "unavailable", "Unavailable",
          "the shard regions did not answer in time; retry"));
    }
  }
}
