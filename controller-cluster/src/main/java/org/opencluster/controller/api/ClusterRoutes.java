package org.opencluster.controller.api;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

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
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Leave;
import org.opencluster.controller.cluster.ControllerDirectory;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.protocol.pki.Identity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.opencluster.persistence.keys.Seal;

/**
 * The cluster as this controller sees it.
 *
 * <pre>
 * GET  /v1/cluster                          any role   members (address, status, roles, app version,
 *                                                       reachable; each controller's name, seal state, edge and
 *                                                       agents as it describes itself), the leader, this
 *                                                       controller's seal state, node-entity shards and entities
 *                                                       per member
 * POST /v1/cluster/members/NAME/leave       admin      controller NAME leaves gracefully: its edge redirects its
 *                                                       agents, its shards hand off, its process exits (202)
 * </pre>
 *
 * Shards are counted by asking every member's shard region (Pekko's cluster sharding stats): a
 * member that does not answer within the timeout is listed under {@code "shardsUnknown"}. A sealed
 * controller runs no node sharding and reports no shards.
 */
public final class ClusterRoutes extends AllDirectives {

  private static final Duration STATS_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration DESCRIBE_TIMEOUT = Duration.ofSeconds(3);
  private static final Logger LOG = LoggerFactory.getLogger(ClusterRoutes.class);

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

  Route routes(Identity who) {
    return pathPrefix("cluster", () -> concat(
        pathEndOrSingleSlash(() -> get(() -> api.respond(this::status))),
        path(segment("members").slash(segment()).slash("leave"), name ->
            post(() -> api.admin(who, () -> api.respond(() -> leave(who, name)))))));
  }

  /**
   * Asks controller {@code name} to leave the cluster gracefully (any member can ask, Pekko's Leave):
   * it runs Coordinated Shutdown as on SIGTERM. Refused for a name no member describes (404), for a
   * controller already leaving (409), and for the last controller serving nodes (409): the fleet
   * would have nowhere to go.
   */
  private HttpResponse leave(Identity who, String name) {
    List<ControllerDirectory.Description> described = describeAll();
    ControllerDirectory.Description target = described.stream().filter(d -> d.controller().equals(name)).findFirst()
        .orElseThrow(() -> new OperatorApi.Problem(OperatorApi.problem(404, "not-found", "No such controller",
            "no member of the cluster is controller '" + name + "' (see GET /v1/cluster)")));
    ClusterEvent.CurrentClusterState state = Cluster.get(services.system()).state();
    Member member = null;
    java.util.Set<String> upAndReachable = new java.util.HashSet<>();
    for (Member m : state.getMembers()) {
      if (m.address().toString().equals(target.address())) {
        member = m;
      }
      if (m.status() == MemberStatus.up() && !state.getUnreachable().contains(m)) {
        upAndReachable.add(m.address().toString());
      }
    }
    if (target.leaving() || member == null || member.status() != MemberStatus.up()) {
      throw new OperatorApi.Problem(OperatorApi.problem(409, "conflict", "Already leaving",
          "controller '" + name + "' is " + (member == null ? "not a member" : member.status().toString().toLowerCase(Locale.ROOT))
              + (target.leaving() ? " and leaving" : "")));
    }
    boolean othersServe = described.stream().anyMatch(d -> !d.controller().equals(name) && !d.leaving()
        && "unsealed".equals(d.sealState()) && upAndReachable.contains(d.address()));
    if (!othersServe) {
      throw new OperatorApi.Problem(OperatorApi.problem(409, "conflict", "Last controller",
          "controller '" + name + "' is the last unsealed controller: the fleet would have no controller to move to. "
              + "Start and unseal another first, or stop it with SIGTERM if that is what you mean"));
    }
    Cluster.get(services.system()).manager().tell(Leave.create(member.address()));
    LOG.info("{} asked controller {} ({}) to leave the cluster", who, name, member.address());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("controller", name);
    body.put("address", member.address().toString());
    body.put("leaving", true);
    return OperatorApi.json(202, body);
  }

  private List<ControllerDirectory.Description> describeAll() {
    try {
      return ControllerDirectory.describeAll(services.system(), DESCRIBE_TIMEOUT).toCompletableFuture()
          .get(DESCRIBE_TIMEOUT.toSeconds() + 2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (Exception e) {
      throw new OperatorApi.Problem(OperatorApi.problem(503, "unavailable", "Unavailable",
          "the controllers did not describe themselves in time; retry"));
    }
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
    Map<String, ControllerDirectory.Description> described = new LinkedHashMap<>();
    describeAll().forEach(d -> described.put(d.address(), d));
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
      ControllerDirectory.Description d = described.get(member.address().toString());
      if (d != null) {
        entry.put("controller", d.controller());
        entry.put("sealState", d.sealState());
        entry.put("edge", d.edge());
        entry.put("agents", d.agents());
        entry.put("leaving", d.leaving());
      }
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

  /**
   * Node-entity shard regions by member address; null when this controller runs no node sharding,
   * empty when the regions did not answer in time (every member is then listed as not counted).
   */
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
      // Regions moving (a member leaving or unreachable): the status without the counts, not a failure.
      LOG.info("Cluster status without shard counts: the shard regions did not answer in time");
      return Map.of();
    }
  }
}
