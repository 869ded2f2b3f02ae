package org.opencluster.controller.view;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.Graph;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.javadsl.Source;
import org.opencluster.controller.node.NodeEntity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.util.Try;

/**
 * The tagged node events, as pekko-persistence-jdbc's {@code eventsByTag} gives them, except that
 * an event that cannot be read is skipped instead of failing the stream for good. The read
 * journal fails the whole batch when one event in it does not deserialize (it does not decrypt:
 * {@code StorageIntegrityException}; or its type is unknown to this controller, e.g. written by a
 * newer one), without saying which; the projection would restart at the same offset forever. Here
 * a failed stream is followed by a look at the rows after the last event given: the readable ones
 * before the first unreadable one are given, the unreadable one is logged with its persistence id
 * and sequence number and passed over, and the query goes on after it. A failure that no row
 * explains (the database is down) fails the stream as before, and the projection retries.
 */
final class ReadableEventsByTag extends SourceProvider<Offset, EventEnvelope<NodeEntity.Event>> {

  private static final Logger LOG = LoggerFactory.getLogger(ReadableEventsByTag.class);
  private static final String ROWS = "SELECT j.\"ordering\", j.\"persistence_id\", j.\"sequence_number\", "
      + "j.\"write_timestamp\", j.\"event_ser_id\", j.\"event_ser_manifest\", j.\"event_payload\" "
      + "FROM \"event_journal\" j JOIN \"event_tag\" t ON t.\"event_id\" = j.\"ordering\" "
      + "WHERE t.\"tag\" = ? AND j.\"ordering\" > ? AND j.\"deleted\" = FALSE ORDER BY j.\"ordering\" LIMIT ?";

  private final SourceProvider<Offset, EventEnvelope<NodeEntity.Event>> events;
  private final DataSource dataSource;
  private final String tag;
  private final Serialization serialization;
  private final Executor blocking;
  /** The read journal's batch: the unreadable event is within this many rows of the last one given. */
  private final int batch;

  ReadableEventsByTag(ActorSystem<?> system, DataSource dataSource, String tag) {
    this.events = EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), tag);
    this.dataSource = dataSource;
    this.tag = tag;
    this.serialization = SerializationExtension.get(Adapter.toClassic(system));
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    this.batch = system.settings().config().getInt("jdbc-read-journal.max-buffer-size");
  }

  @Override
  public CompletionStage<Source<EventEnvelope<NodeEntity.Event>, NotUsed>> source(
      Supplier<CompletionStage<Optional<Offset>>> offset) {
    return offset.get().thenApply(start -> from(start.orElse(Offset.noOffset())));
  }

  @Override
  public Offset extractOffset(EventEnvelope<NodeEntity.Event> envelope) {
    return envelope.offset();
  }

  @Override
  public long extractCreationTime(EventEnvelope<NodeEntity.Event> envelope) {
    return envelope.timestamp();
  }

  private Source<EventEnvelope<NodeEntity.Event>, NotUsed> from(Offset start) {
    AtomicLong last = new AtomicLong(ordering(start));
    return Source.completionStageSource(events.source(() -> CompletableFuture.completedFuture(Optional.of(start))))
        .mapMaterializedValue(ignored -> NotUsed.getInstance())
        .map(envelope -> {
          last.set(ordering(envelope.offset()));
          return envelope;
        })
        .recoverWithRetries(1, new PFBuilder<Throwable, Graph<SourceShape<EventEnvelope<NodeEntity.Event>>, NotUsed>>()
            .matchAny(failure -> Source.completionStageSource(
                    CompletableFuture.supplyAsync(() -> skipUnreadable(last.get(), failure), blocking))
                .mapMaterializedValue(ignored -> NotUsed.getInstance()))
            .build());
  }

  /** The readable events after {@code after} up to the first unreadable one, then the query after it. */
  private Source<EventEnvelope<NodeEntity.Event>, NotUsed> skipUnreadable(long after, Throwable failure) {
    List<EventEnvelope<NodeEntity.Event>> readable = new ArrayList<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement rows = connection.prepareStatement(ROWS)) {
      rows.setString(1, tag);
      rows.setLong(2, after);
      rows.setInt(3, batch);
      try (ResultSet row = rows.executeQuery()) {
        while (row.next()) {
          long ordering = row.getLong(1);
          String persistenceId = row.getString(2);
          long sequenceNr = row.getLong(3);
          Try<Object> event = serialization.deserialize(row.getBytes(7), row.getInt(5), row.getString(6));
          if (event.isFailure()) {
            LOG.error("The read model skips event {} of {} (journal ordering {}): it cannot be read ({}: {}). The view "
                + "may miss what it changed; rebuild the view once the record is restored", sequenceNr, persistenceId,
                ordering, event.failed().get().getClass().getSimpleName(), event.failed().get().getMessage());
            return Source.from(readable).concat(from(Offset.sequence(ordering)));
          }
          if (event.get() instanceof NodeEntity.Event nodeEvent) {
            readable.add(EventEnvelope.create(Offset.sequence(ordering), persistenceId, sequenceNr, nodeEvent,
                row.getLong(4)));
          }
        }
      }
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
    return Source.failed(failure);
  }

  private static long ordering(Offset offset) {
    return offset instanceof Sequence sequence ? sequence.value() : 0L;
  }
}
