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
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.ExactlyOnceProjection;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;
import org.opencluster.controller.node.NodeEntity;

/**
 * Keeps {@code node_view} (and {@code node_view_label}) from the node entities' tagged events: a
 * pekko-projection-jdbc exactly-once projection (each event's rows and the offset in one
 * transaction), run by a sharded daemon process with one instance, so once in the cluster, on a
 * controller that is unsealed (only those start it: the events are encrypted).
 *
 * <p>What reaches the view: id, name, labels, stage (and quarantine reason), registration and
 * lifetime end, the node certificate's notAfter, the last heartbeat bucket, the write time of the
 * last event applied. Sessions, generated secrets, the certificate itself and rotation schedules
 * never do.
 */
public final class NodeViewProjection {

  /** Its name in the offset store. Fixed: another name would start a second view from the beginning. */
  public static final ProjectionId ID = ProjectionId.of("node-view", NodeEntity.TAG);

  private static final String DAEMON = "node-view-projection";
  private static final ObjectMapper JSON = new ObjectMapper();

  private NodeViewProjection() {}

  /** Starts the projection's daemon on this controller; call once, after unseal. */
  public static void init(ActorSystem<?> system, DataSource dataSource) {
    ExactlyOnceProjection<Offset, EventEnvelope<NodeEntity.Event>> projection = projection(system, dataSource);
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, DAEMON, 1,
        instance -> ProjectionBehavior.create(projection), ShardedDaemonProcessSettings.create(system),
        Optional.of(ProjectionBehavior.stopMessage()));
  }

  private static ExactlyOnceProjection<Offset, EventEnvelope<NodeEntity.Event>> projection(ActorSystem<?> system,
      DataSource dataSource) {
    SourceProvider<Offset, EventEnvelope<NodeEntity.Event>> events =
        EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), NodeEntity.TAG);
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
        register(connection, registered.facts(), at);
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
      } else if (event instanceof NodeEntity.HeartbeatBucketEntered heartbeat) {
        update(connection, "UPDATE node_view SET heartbeat_bucket = ?, updated_at = ? WHERE id = ?",
            heartbeat.bucket().toEpochMilli(), at, id);
      }
      // Sessions, generated secrets and rotations are not the view's business.
    }

    /** The first event of a node: its row, replacing any (a redelivered event after a crash). */
    private static void register(Connection connection, NodeEntity.NodeFacts facts, long at) throws SQLException {
      update(connection, "DELETE FROM node_view_label WHERE node_id = ?", facts.nodeId());
      update(connection, "DELETE FROM node_view WHERE id = ?", facts.nodeId());
      try (PreparedStatement insert = connection.prepareStatement("INSERT INTO node_view (id, name, labels, stage, "
          + "registered_at, lifetime_ends_at, certificate_not_after, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
        insert.setString(1, facts.nodeId());
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
      insertLabels(connection, facts.nodeId(), facts.labels());
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
