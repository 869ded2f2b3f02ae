package org.opencluster.controller.view;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import javax.sql.DataSource;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.ExactlyOnceProjection;
import org.apache.pekko.projection.javadsl.ProjectionManagement;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;
import org.opencluster.controller.node.NodeEntity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code node_view} (and {@code node_view_label}) from the node entities' tagged events: a
 * pekko-projection-jdbc exactly-once projection (each event's rows and the offset in one
 * transaction), run by a sharded daemon process with one instance, so once in the cluster, on a
 * controller that is unsealed (only those start it: the events are encrypted).
 *
 * <p>What reaches the view: id, name, labels, stage (and quarantine reason), registration and
 * lifetime end, the node certificate's notAfter, the write time of the last event applied. Only
 * those events are tagged ({@link NodeEntity#tagsFor}): sessions, generated secrets and rotation
 * schedules are never read here, and the certificate itself never reaches the view. The last
 * heartbeat bucket is not an event: {@link HeartbeatBucketWriter} writes it.
 *
 * <p>An event that cannot be read (it does not decrypt, or this controller does not know its type)
 * is logged with its persistence id and sequence number and skipped ({@link ReadableEventsByTag}),
 * so one bad record does not stop the view. A registration whose facts name another node than its
 * persistence id (a history copied from another node) is logged and skipped too.
 */
public final class NodeViewProjection {

  /** Its name in the offset store. Fixed: another name would start a second view from the beginning. */
  public static final ProjectionId ID = ProjectionId.of("node-view", NodeEntity.TAG);

  private static final String DAEMON = "node-view-projection";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger LOG = LoggerFactory.getLogger(NodeViewProjection.class);

  private NodeViewProjection() {}

  /**
   * Starts the projection's daemon on this controller; call once, after unseal. Wherever the
   * projection starts, it is resumed if it was left paused: only a rebuild pauses it, and a rebuild
   * that stopped half way (its controller crashed) must not leave the view stopped.
   */
  public static void init(ActorSystem<?> system, DataSource dataSource) {
    ExactlyOnceProjection<Offset, EventEnvelope<NodeEntity.Event>> projection = projection(system, dataSource);
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, DAEMON, 1,
        instance -> Behaviors.setup(context -> {
          resumeIfPaused(context.getSystem());
          return ProjectionBehavior.create(projection);
        }), ShardedDaemonProcessSettings.create(system), Optional.of(ProjectionBehavior.stopMessage()));
  }

  private static void resumeIfPaused(ActorSystem<?> system) {
    ProjectionManagement management = ProjectionManagement.get(system);
    management.isPaused(ID)
        .thenCompose(paused -> paused
            ? management.resume(ID).thenApply(resumed -> {
              LOG.warn("The read model's projection was left paused (a rebuild did not finish); resumed it");
              return resumed;
            })
            : CompletableFuture.completedFuture(Done.getInstance()))
        .whenComplete((done, failure) -> {
          if (failure != null) {
            LOG.warn("Could not check whether the read model's projection was left paused: {}; if GET /v1/nodes "
                + "stops following the nodes, rebuild the read model", failure.getMessage());
          }
        });
  }

  private static ExactlyOnceProjection<Offset, EventEnvelope<NodeEntity.Event>> projection(ActorSystem<?> system,
      DataSource dataSource) {
    SourceProvider<Offset, EventEnvelope<NodeEntity.Event>> events =
        new ReadableEventsByTag(system, dataSource, NodeEntity.TAG);
    return JdbcProjection.exactlyOnce(ID, events, () -> new DataSourceSession(dataSource), Handler::new, system);
  }

  /** One event into the view's rows, on the projection's transaction. */
  private static final class Handler extends JdbcHandler<EventEnvelope<NodeEntity.Event>, DataSourceSession> {

    @Override
    public void process(DataSourceSession session, EventEnvelope<NodeEntity.Event> envelope) throws Exception {
      String id = PersistenceId.extractEntityId(envelope.persistenceId());
      session.withConnection(connection -> {
        apply(connection, id, envelope.event(), envelope.timestamp());
        return null;
      });
    }

    private static void apply(Connection connection, String id, Object event, long at) throws SQLException {
      if (event instanceof NodeEntity.NodeRegistered registered) {
        register(connection, id, registered.facts(), at);
      } else if (event instanceof NodeEntity.NodeActivated) {
        stage(connection, id, NodeEntity.Stage.ACTIVE, null, at);
      } else if (event instanceof NodeEntity.NodeQuarantined quarantined) {
        stage(connection, id, NodeEntity.Stage.QUARANTINED, lower(quarantined.reason().name()), at);
      } else if (event instanceof NodeEntity.NodeExpired) {
        stage(connection, id, NodeEntity.Stage.EXPIRED, null, at);
      } else if (event instanceof NodeEntity.NodeRetired) {
        stage(connection, id, NodeEntity.Stage.RETIRED, null, at);
      } else if (event instanceof NodeEntity.NodeLabelsChanged labelled) {
        labels(connection, id, labelled.labels(), at);
      }
      // Sessions, generated secrets and rotations are not the view's business (nor tagged).
    }

    /**
     * The first event of node {@code id} (its persistence id): its row, replacing any (a
     * redelivered event after a crash). Facts that name another node are a history copied from that
     * node's journal: skipped, so the copy cannot overwrite the other node's row.
     */
    private static void register(Connection connection, String id, NodeEntity.NodeFacts facts, long at)
        throws SQLException {
      if (!facts.nodeId().equals(id)) {
        LOG.error("The read model skips the registration in node {}'s journal: it names node {}, so it was copied "
            + "from another node's history. Node {}'s entity refuses to recover; restore the journal from a trusted "
            + "backup", id, facts.nodeId(), id);
        return;
      }
      update(connection, "DELETE FROM node_view_label WHERE node_id = ?", id);
      update(connection, "DELETE FROM node_view WHERE id = ?", id);
      try (PreparedStatement insert = connection.prepareStatement("INSERT INTO node_view (id, name, labels, stage, "
          + "registered_at, lifetime_ends_at, certificate_not_after, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
        insert.setString(1, id);
        insert.setString(2, facts.name());
        insert.setString(3, json(facts.labels()));
        insert.setString(4, lower(NodeEntity.Stage.REGISTERED.name()));
        insert.setLong(5, facts.registeredAt().toEpochMilli());
        insert.setLong(6, facts.lifetimeEndsAt().toEpochMilli());
        Optional<Instant> notAfter = facts.certificateNotAfter();
        if (notAfter.isPresent()) {
          insert.setLong(7, notAfter.get().toEpochMilli());
        } else {
          insert.setNull(7, Types.BIGINT);
        }
        insert.setLong(8, at);
        insert.executeUpdate();
      }
      insertLabels(connection, id, facts.labels());
    }

    private static void stage(Connection connection, String id, NodeEntity.Stage stage, String reason, long at)
        throws SQLException {
      update(connection, "UPDATE node_view SET stage = ?, quarantine_reason = ?, updated_at = ? WHERE id = ?",
          lower(stage.name()), reason, at, id);
    }

    private static void labels(Connection connection, String id, Map<String, String> labels, long at)
        throws SQLException {
      update(connection, "UPDATE node_view SET labels = ?, updated_at = ? WHERE id = ?", json(labels), at, id);
      update(connection, "DELETE FROM node_view_label WHERE node_id = ?", id);
      insertLabels(connection, id, labels);
    }

    private static void insertLabels(Connection connection, String id, Map<String, String> labels) throws SQLException {
      if (labels.isEmpty()) {
        return;
      }
      try (PreparedStatement insert = connection.prepareStatement(
          "INSERT INTO node_view_label (node_id, label_key, label_value) VALUES (?, ?, ?)")) {
        for (Map.Entry<String, String> label : new TreeMap<>(labels).entrySet()) {
          insert.setString(1, id);
          insert.setString(2, label.getKey());
          insert.setString(3, label.getValue());
          insert.addBatch();
        }
        insert.executeBatch();
      }
    }

    private static void update(Connection connection, String sql, Object... values) throws SQLException {
      try (PreparedStatement statement = connection.prepareStatement(sql)) {
        for (int i = 0; i < values.length; i++) {
          statement.setObject(i + 1, values[i], values[i] instanceof Long ? Types.BIGINT : Types.VARCHAR);
        }
        statement.executeUpdate();
      }
    }

    private static String json(Map<String, String> labels) {
      try {
        return JSON.writeValueAsString(new TreeMap<>(labels));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("cannot render labels", e);
      }
    }

    private static String lower(String name) {
      return name.toLowerCase(Locale.ROOT);
    }
  }
}
