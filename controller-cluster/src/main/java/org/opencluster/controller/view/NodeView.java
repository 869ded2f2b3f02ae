package org.opencluster.controller.view;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.projection.javadsl.ProjectionManagement;
import org.opencluster.controller.files.FileDefinition;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.persistence.jdbc.StorageException;
import org.opencluster.protocol.pki.Identity;

/**
 * The nodes' read model, as the operator API reads it: a filtered page of {@code node_view} in id
 * order, and a rebuild from the journal. The view trails the journal by about the read journal's
 * refresh interval (1 s); a node's own status ({@code GET /v1/nodes/ID}) asks its entity.
 *
 * <p>Pages are keyset pages: the cursor names the last id of the page before, so a listing that
 * follows its cursors sees every node that matched throughout exactly once, however nodes change
 * meanwhile (a node whose stage or labels change may leave or join a filtered listing).
 */
public final class NodeView {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1000;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<TreeMap<String, String>> LABELS = new TypeReference<>() {};
  private static final String CURSOR_PREFIX = "n1:";
  private static final String COLUMNS = "v.id, v.name, v.labels, v.stage, v.quarantine_reason, v.registered_at, "
      + "v.lifetime_ends_at, v.certificate_not_after, v.heartbeat_bucket, v.updated_at";

  private final DataSource dataSource;
  private final ActorSystem<?> system;
  private final Executor blocking;

  public NodeView(DataSource dataSource, ActorSystem<?> system) {
    this.dataSource = dataSource;
    this.system = system;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  /** A query that cannot be answered as asked; the message says why. */
  public static final class InvalidQuery extends Exception {
    InvalidQuery(String message) {
      super(message);
    }
  }

  /**
   * What to list: every filter given must match.
   *
   * @param after the last id of the previous page (decoded from its cursor)
   */
  public record Query(Optional<NodeEntity.Stage> stage, Map<String, String> labels, Optional<String> namePrefix,
      int limit, Optional<String> after) {
    public Query {
      labels = Map.copyOf(labels);
    }

    /** Every node, the first page. */
    public static Query all() {
      return new Query(Optional.empty(), Map.of(), Optional.empty(), DEFAULT_LIMIT, Optional.empty());
    }

    /**
     * From query parameters: {@code state}, {@code label=k=v} (repeatable), {@code name-prefix},
     * {@code limit} (1..1000, default 100), {@code after} (a cursor). Anything else is refused, so a
     * misspelt filter does not silently list everything.
     */
    public static Query parse(Map<String, List<String>> parameters) throws InvalidQuery {
      for (String name : parameters.keySet()) {
        if (!List.of("state", "label", "name-prefix", "limit", "after").contains(name)) {
          throw new InvalidQuery("unknown parameter '" + name + "': use state, label, name-prefix, limit, after");
        }
      }
      Optional<String> state = single(parameters, "state");
      Optional<NodeEntity.Stage> stage = state.isEmpty() ? Optional.empty() : Optional.of(stage(state.get()));
      Map<String, String> labels = new TreeMap<>();
      for (String label : parameters.getOrDefault("label", List.of())) {
        int equals = label.indexOf('=');
        if (equals < 0) {
          throw new InvalidQuery("label must be key=value, got '" + label + "'");
        }
        String key = label.substring(0, equals);
        String value = label.substring(equals + 1);
        Optional<String> invalid = NodeEntity.invalidLabel(key, value);
        if (invalid.isPresent()) {
          throw new InvalidQuery(invalid.get());
        }
        if (labels.containsKey(key) && !labels.get(key).equals(value)) {
          throw new InvalidQuery("label '" + key + "' asked with two values: no node matches both");
        }
        labels.put(key, value);
      }
      Optional<String> prefix = single(parameters, "name-prefix");
      if (prefix.isPresent() && !prefix.get().matches("[a-z0-9._-]{1,63}")) {
        throw new InvalidQuery("name-prefix must be 1..63 characters of a-z, 0-9, '.', '_', '-'");
      }
      int limit = DEFAULT_LIMIT;
      Optional<String> limitText = single(parameters, "limit");
      if (limitText.isPresent()) {
        try {
          limit = Integer.parseInt(limitText.get());
        } catch (NumberFormatException e) {
          limit = -1;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
          throw new InvalidQuery("limit must be a number from 1 to " + MAX_LIMIT);
        }
      }
      Optional<String> after = single(parameters, "after");
      return new Query(stage, labels, prefix, limit, after.isEmpty() ? Optional.empty() : Optional.of(decode(after.get())));
    }

    private static Optional<String> single(Map<String, List<String>> parameters, String name) throws InvalidQuery {
      List<String> values = parameters.getOrDefault(name, List.of());
      if (values.size() > 1) {
        throw new InvalidQuery(name + " may be given once");
      }
      return values.stream().findFirst();
    }

    private static NodeEntity.Stage stage(String name) throws InvalidQuery {
      return switch (name) {
        case "registered" -> NodeEntity.Stage.REGISTERED;
        case "active" -> NodeEntity.Stage.ACTIVE;
        case "quarantined" -> NodeEntity.Stage.QUARANTINED;
        case "expired" -> NodeEntity.Stage.EXPIRED;
        case "retired" -> NodeEntity.Stage.RETIRED;
        default -> throw new InvalidQuery("state must be registered, active, quarantined, expired or retired");
      };
    }
  }

  /** A node as the view has it. No secret. */
  public record Node(String id, String name, Map<String, String> labels, String stage,
      Optional<String> quarantineReason, Instant registeredAt, Instant lifetimeEndsAt,
      Optional<Instant> certificateNotAfter, Optional<Instant> heartbeatBucket, Instant updatedAt) {}

  /** @param next the cursor of the following page, if there may be one */
  public record Page(List<Node> nodes, Optional<String> next) {}

  /**
   * The page {@code query} asks for.
   *
   * @throws StorageException if the database does not answer
   */
  public Page list(Query query) {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM node_view v WHERE 1 = 1");
    List<Object> arguments = new ArrayList<>();
    query.after().ifPresent(after -> {
      sql.append(" AND v.id > ?");
      arguments.add(after);
    });
    query.stage().ifPresent(stage -> {
      sql.append(" AND v.stage = ?");
      arguments.add(stage.name().toLowerCase(Locale.ROOT));
    });
    query.namePrefix().ifPresent(prefix -> {
      sql.append(" AND v.name LIKE ? ESCAPE '!'");
      arguments.add(prefix.replace("!", "!!").replace("_", "!_").replace("%", "!%") + "%");
    });
    for (Map.Entry<String, String> label : new TreeMap<>(query.labels()).entrySet()) {
      sql.append(" AND EXISTS (SELECT 1 FROM node_view_label l WHERE l.node_id = v.id AND l.label_key = ? "
          + "AND l.label_value = ?)");
      arguments.add(label.getKey());
      arguments.add(label.getValue());
    }
    sql.append(" ORDER BY v.id LIMIT ?");
    arguments.add(query.limit() + 1);
    List<Node> nodes = new ArrayList<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement(sql.toString())) {
      for (int i = 0; i < arguments.size(); i++) {
        statement.setObject(i + 1, arguments.get(i));
      }
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          nodes.add(node(rows));
        }
      }
    } catch (SQLException e) {
      throw new StorageException("cannot read the node view: " + e.getMessage(), e);
    }
    if (nodes.size() <= query.limit()) {
      return new Page(nodes, Optional.empty());
    }
    List<Node> page = List.copyOf(nodes.subList(0, query.limit()));
    return new Page(page, Optional.of(cursor(page.get(page.size() - 1).id())));
  }

  /**
   * Every node {@code query} matches, following the pages to the end ({@code query}'s limit is the
   * page size, its {@code after} where to start). Keyset pages: a node that matched throughout is
   * seen exactly once.
   *
   * @throws StorageException if the database does not answer
   */
  public List<Node> listAll(Query query) {
    List<Node> all = new ArrayList<>();
    Query next = query;
    while (true) {
      Page page = list(next);
      all.addAll(page.nodes());
      if (page.next().isEmpty() || page.nodes().isEmpty()) {
        return all;
      }
      next = new Query(query.stage(), query.labels(), query.namePrefix(), query.limit(),
          Optional.of(page.nodes().get(page.nodes().size() - 1).id()));
    }
  }

  /**
   * The ids of the live nodes {@code selector} matches, read on the blocking dispatcher: the
   * consumers a secret's rotation expects to acknowledge. Live is the stage ACTIVE: the node
   * enrolled (its agent joined) and is not quarantined, expired or retired. A REGISTERED node has
   * not enrolled: it holds nothing to acknowledge, and reads the current version once it joins.
   * The read model trails the journal by about a second.
   */
  public CompletionStage<Set<String>> liveNodes(FileDefinition.Selector selector) {
    return CompletableFuture.supplyAsync(() -> {
      Map<String, String> labels = selector.all() || !selector.nodes().isEmpty() ? Map.of() : selector.labels();
      Set<String> ids = new TreeSet<>();
      for (Node node : listAll(new Query(Optional.of(NodeEntity.Stage.ACTIVE), labels, Optional.empty(), MAX_LIMIT,
          Optional.empty()))) {
        if (selector.matches(node.id(), node.labels())) {
          ids.add(node.id());
        }
      }
      return ids;
    }, blocking);
  }

  /**
   * How many nodes the view holds in each stage (lower-case stage name to count): the fleet, as
   * far as the projection has got.
   *
   * @throws StorageException if the database does not answer
   */
  public Map<String, Long> countByStage() {
    Map<String, Long> counts = new TreeMap<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement("SELECT stage, COUNT(*) FROM node_view GROUP BY stage");
        ResultSet rows = statement.executeQuery()) {
      while (rows.next()) {
        counts.put(rows.getString(1), rows.getLong(2));
      }
    } catch (SQLException e) {
      throw new StorageException("cannot count the node view: " + e.getMessage(), e);
    }
    return counts;
  }

  /**
   * Empties the view and its offset and lets the projection replay the journal from the start:
   * the projection is paused (wherever in the cluster it runs), the view and offset are cleared in
   * one transaction, and it is resumed. It is resumed whatever failed before (the pause, which
   * then clears nothing, or the clearing), so a failed rebuild leaves the view as it was, still
   * kept; if the resume itself fails, or this controller stops half way, the projection resumes
   * itself where it next starts ({@link NodeViewProjection#init}). Listings are partial until the
   * replay catches up; the last heartbeat buckets come back as each node enters its next one.
   */
  public CompletionStage<Done> rebuild() {
    ProjectionManagement management = ProjectionManagement.get(system);
    return management.pause(NodeViewProjection.ID)
        .thenCompose(paused -> CompletableFuture.runAsync(this::clear, blocking))
        .handle((cleared, failure) -> Optional.ofNullable(failure))
        .thenCompose(failure -> management.resume(NodeViewProjection.ID).thenApply(resumed -> {
          failure.ifPresent(f -> {
            throw f instanceof CompletionException c ? c : new CompletionException(f);
          });
          return Done.getInstance();
        }));
  }

  private void clear() {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try (Statement statement = connection.createStatement();
          PreparedStatement offset = connection.prepareStatement(
              "DELETE FROM pekko_projection_offset_store WHERE projection_name = ?")) {
        statement.executeUpdate("DELETE FROM node_view_label");
        statement.executeUpdate("DELETE FROM node_view");
        offset.setString(1, NodeViewProjection.ID.name());
        offset.executeUpdate();
        connection.commit();
      } catch (SQLException e) {
        connection.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StorageException("cannot clear the node view: " + e.getMessage(), e);
    }
  }

  private static Node node(ResultSet row) throws SQLException {
    return new Node(row.getString(1), row.getString(2), labels(row.getString(3)), row.getString(4),
        Optional.ofNullable(row.getString(5)), Instant.ofEpochMilli(row.getLong(6)), Instant.ofEpochMilli(row.getLong(7)),
        instant(row, 8), instant(row, 9), Instant.ofEpochMilli(row.getLong(10)));
  }

  private static Optional<Instant> instant(ResultSet row, int column) throws SQLException {
    long millis = row.getLong(column);
    return row.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
  }

  private static Map<String, String> labels(String json) throws SQLException {
    try {
      return JSON.readValue(json, LABELS);
    } catch (JsonProcessingException e) {
      throw new SQLException("node_view.labels is not a JSON object of strings", e);
    }
  }

  /** The opaque cursor after {@code id}. */
  static String cursor(String id) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString((CURSOR_PREFIX + id).getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(String cursor) throws InvalidQuery {
    String text;
    try {
      text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      text = "";
    }
    if (!text.startsWith(CURSOR_PREFIX) || !Identity.isValidName(text.substring(CURSOR_PREFIX.length()))) {
      throw new InvalidQuery("after is not a cursor this API gave: pass the 'next' of the previous page unchanged");
    }
    return text.substring(CURSOR_PREFIX.length());
  }
}
