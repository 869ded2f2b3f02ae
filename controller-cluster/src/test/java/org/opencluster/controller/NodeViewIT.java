package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.files.FileDefinition;
import org.opencluster.controller.files.TestCatalogs;
import org.opencluster.controller.testing.ApiTestClient;
import org.opencluster.controller.view.NodeView;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.pki.Role;

/**
 * The read model over a few thousand real node entities on PostgreSQL: every event through the
 * encrypted journal, the projection into node_view, the listing through the operator API. A
 * listing filtered on labels, or on the very stage nodes are leaving, that follows its cursors
 * while nodes change stage sees no node twice and every node that matched throughout; a rebuild
 * restores the view from the journal (all but the last heartbeat buckets, which come back with
 * each node's next).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeViewIT {

  private static final int NODES = 2500;
  private static final Duration TIMEOUT = Duration.ofMinutes(4);
  private static final Duration ASK = Duration.ofSeconds(30);

  private TestCluster cluster;
  private Controller controller;
  private ClusterSharding sharding;
  private ApiTestClient admin;
  private ApiTestClient auditor;
  private final Set<String> web = new TreeSet<>();
  private final Set<String> all = new TreeSet<>();

  @BeforeAll
  void start(@TempDir Path directory) throws Exception {
    cluster = new TestCluster(directory);
    controller = cluster.start(cluster.controllerConfig("ctl-1", TestCluster.freePort(), List.of(),
        TestDatabases.freshPostgres()));
    admin = new ApiTestClient(cluster.issueOperator("alice", Role.ADMIN));
    auditor = new ApiTestClient(cluster.issueOperator("audrey", Role.AUDITOR));
    TestCluster.unsealByOperators(admin, controller);
    await().atMost(TIMEOUT).until(() -> controller.readiness().shardingStarted());
    sharding = ClusterSharding.get(controller.system());

    for (int i = 1; i <= NODES; i++) {
      String id = String.format("n-%05d", i);
      all.add(id);
      if (i % 2 == 0) {
        web.add(id);
      }
    }
    inBatches(List.copyOf(all), id -> this.<NodeEntity.Registration>ask(id, replyTo -> new NodeEntity.Register(
        "host-" + id, Map.of("tier", web.contains(id) ? "web" : "data", "zone", "z" + Math.floorMod(id.hashCode(), 3)),
        Duration.ofHours(24), replyTo)));
    inBatches(List.copyOf(all).subList(0, NODES / 2), id -> this.<NodeEntity.HeartbeatAccepted>ask(id, NodeEntity.Heartbeat::new));
    await().atMost(TIMEOUT).until(() -> listAll("limit=1000").size() == NODES);
    await().atMost(TIMEOUT).until(() -> listAll("state=active&limit=1000").size() == NODES / 2);
  }

  @AfterAll
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  @Order(1)
  void aFilteredListing_followingItsCursors_whileNodesChangeStage_seesEachMatchingNodeOnce() throws Exception {
    List<String> changing = List.copyOf(all).subList(NODES / 4, NODES / 4 + 600);
    AtomicBoolean listing = new AtomicBoolean(true);
    Set<String> retired = java.util.concurrent.ConcurrentHashMap.newKeySet();
    CompletableFuture<Set<String>> churn = CompletableFuture.supplyAsync(() -> {
      Set<String> quarantined = new HashSet<>();
      for (int i = 0; i < changing.size() && (listing.get() || i < 300); i++) {
        String id = changing.get(i);
        if (i % 3 == 0) {
          this.<Done>ask(id, replyTo -> new NodeEntity.Retire("test", replyTo)).toCompletableFuture().join();
          retired.add(id);
        } else {
          this.<Done>ask(id, replyTo -> new NodeEntity.Quarantine(NodeEntity.QuarantineReason.OPERATOR, "test", replyTo))
              .toCompletableFuture().join();
          quarantined.add(id);
        }
      }
      return quarantined;
    });

    List<String> webListed = ids(listAll("label=" + encode("tier=web") + "&limit=97"));
    List<String> activeListed = ids(listAll("state=active&limit=89"));
    List<String> allListed = ids(listAll("limit=113"));
    listing.set(false);
    Set<String> quarantined = churn.get();

    assertThat(webListed).as("no node twice").doesNotHaveDuplicates();
    assertThat(webListed).as("none missing, none extra, in id order").containsExactlyElementsOf(web);
    assertThat(allListed).doesNotHaveDuplicates().containsExactlyElementsOf(all);
    Set<String> activeThroughout = new TreeSet<>(List.copyOf(all).subList(0, NODES / 2));
    changing.forEach(activeThroughout::remove);
    assertThat(activeListed).as("a stage filter while nodes leave that stage: no node twice").doesNotHaveDuplicates()
        .as("every node active throughout is there").containsAll(activeThroughout)
        .as("and none that never was active").isSubsetOf(List.copyOf(all).subList(0, NODES / 2));
    assertThat(activeListed).isSorted();
    await().atMost(TIMEOUT).untilAsserted(() ->
        assertThat(ids(listAll("state=quarantined&limit=50"))).containsExactlyElementsOf(new TreeSet<>(quarantined)));
    // The view has caught up with the churn: the next test compares a rebuild against it.
    await().atMost(TIMEOUT).untilAsserted(() ->
        assertThat(ids(listAll("state=retired&limit=50"))).containsExactlyElementsOf(new TreeSet<>(retired)));
    Set<String> quarantinedWeb = new TreeSet<>(quarantined);
    quarantinedWeb.retainAll(web);
    assertThat(ids(listAll("state=quarantined&label=" + encode("tier=web") + "&name-prefix=host-n-0")))
        .containsExactlyElementsOf(quarantinedWeb);
  }

  @Test
  @Order(2)
  void aRebuild_restoresTheViewFromTheJournal() throws Exception {
    List<JsonNode> before = listAll("limit=1000");
    try (Connection connection = controller.storage().dataSource().getConnection();
        Statement statement = connection.createStatement()) {
      statement.executeUpdate("UPDATE node_view SET name = 'tampered', stage = 'retired' WHERE id < 'n-00100'");
      statement.executeUpdate("DELETE FROM node_view WHERE id > 'n-02400'");
    }
    assertThat(listAll("limit=1000")).as("the view was changed behind the projection's back").isNotEqualTo(before);

    assertThat(auditor.post(controller.apiPort(), "/v1/sys/read-model/rebuild", "").status()).isEqualTo(403);
    ApiTestClient.Reply rebuilt = admin.post(controller.apiPort(), "/v1/sys/read-model/rebuild", "");
    assertThat(rebuilt.status()).isEqualTo(202);

    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(withoutHeartbeatBuckets(listAll("limit=1000")))
        .isEqualTo(withoutHeartbeatBuckets(before)));
  }

  @Test
  @Order(3)
  void theLiveConsumersOfASelector_areItsActiveNodes_acrossEveryPage() throws Exception {
    NodeView view = new NodeView(controller.storage().dataSource(), controller.system());
    Set<String> activeWeb = new TreeSet<>(ids(listAll("state=active&label=" + encode("tier=web") + "&limit=1000")));
    Set<String> active = new TreeSet<>(ids(listAll("state=active&limit=1000")));
    String quarantined = ids(listAll("state=quarantined&limit=1")).get(0);
    String registered = List.copyOf(all).get(NODES - 1);

    assertThat(view.liveNodes(TestCatalogs.labels(Map.of("tier", "web"))).toCompletableFuture().get())
        .isNotEmpty().isEqualTo(activeWeb);
    assertThat(view.liveNodes(new FileDefinition.Selector(Set.of(), Map.of(), true)).toCompletableFuture().get())
        .as("more than one page of %d", NodeView.MAX_LIMIT).hasSizeGreaterThan(NodeView.MAX_LIMIT / 2).isEqualTo(active);
    assertThat(view.liveNodes(TestCatalogs.nodes("n-00001", quarantined, registered, "nobody-1")).toCompletableFuture().get())
        .as("a quarantined, a registered (not enrolled) and an unknown node are not live").containsExactly("n-00001");
  }

  // ---- helpers --------------------------------------------------------------------------------

  private <R> CompletionStage<StatusReply<R>> ask(String id, Function<ActorRef<StatusReply<R>>, NodeEntity.Command> command) {
    return sharding.entityRefFor(NodeEntity.ENTITY_KEY, id).ask(command::apply, ASK);
  }

  /** Asks 100 entities at a time; every answer must be a success. */
  private static void inBatches(List<String> ids, Function<String, CompletionStage<? extends StatusReply<?>>> command) {
    for (int from = 0; from < ids.size(); from += 100) {
      List<CompletableFuture<? extends StatusReply<?>>> replies = new ArrayList<>();
      for (String id : ids.subList(from, Math.min(ids.size(), from + 100))) {
        replies.add(command.apply(id).toCompletableFuture());
      }
      replies.forEach(reply -> assertThat(reply.join().isSuccess()).isTrue());
    }
  }

  /** Every page of {@code GET /v1/nodes?query}, following the cursors. */
  private List<JsonNode> listAll(String query) throws Exception {
    return auditor.everyPage(controller.apiPort(), "/v1/nodes?" + query);
  }

  /** The nodes without their last heartbeat bucket: a rebuild leaves it empty until each node's next bucket. */
  private static List<JsonNode> withoutHeartbeatBuckets(List<JsonNode> nodes) {
    return nodes.stream().map(node -> (JsonNode) ((com.fasterxml.jackson.databind.node.ObjectNode) node.deepCopy())
        .without("lastHeartbeatBucket")).toList();
  }

  private static List<String> ids(List<JsonNode> nodes) {
    return nodes.stream().map(node -> node.path("id").asText()).toList();
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
