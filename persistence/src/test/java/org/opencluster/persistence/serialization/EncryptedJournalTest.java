package org.opencluster.persistence.serialization;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.opencluster.persistence.PersistenceConfig;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.jdbc.StorageSetup;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.persistence.testing.TestSeals;

/**
 * A real event-sourced actor journaling through the encrypting serializer into a real database
 * (H2 and PostgreSQL), then the raw rows read back with plain JDBC.
 */
class EncryptedJournalTest {

  private static final String MARKER = "secret-marker-7f3c";
  private static final Config CONFIG = PersistenceConfig.load(ConfigFactory.parseString("""
      pekko.actor.allow-java-serialization = off
      pekko.loglevel = WARNING
      """));

  static Stream<Arguments> databases() {
    return Stream.of(Arguments.of("h2", TestDatabases.freshH2()), Arguments.of("postgresql", TestDatabases.freshPostgres()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void eventsAreStoredEncrypted_andRecoverAfterARestart(String name, StorageSettings settings) throws Exception {
    try (Storage storage = Storage.open(settings)) {
      Seal seal = TestSeals.unsealed(storage);
      run(storage, seal, kit -> {
        TestProbe<Done> done = kit.createTestProbe();
        ActorRef<Object> notes = kit.spawn(Notes.create("notes-1"));
        notes.tell(new Notes.Add(MARKER + "-a", done.getRef()));
        notes.tell(new Notes.Add(MARKER + "-b", done.getRef()));
        done.expectMessage(Done.getInstance());
        done.expectMessage(Done.getInstance());
      });

      try (Connection connection = storage.dataSource().getConnection();
          Statement statement = connection.createStatement();
          ResultSet rows = statement.executeQuery("SELECT event_ser_id, event_ser_manifest, event_payload FROM event_journal")) {
        int count = 0;
        while (rows.next()) {
          count++;
          assertThat(rows.getInt(1)).isEqualTo(EncryptingSerializer.IDENTIFIER);
          assertThat(rows.getString(2)).isEqualTo(PersistenceRecordSerializer.IDENTIFIER + ":shard-id");
          assertThat(new String(rows.getBytes(3), StandardCharsets.ISO_8859_1)).doesNotContain(MARKER);
        }
        assertThat(count).isEqualTo(2);
      }

      run(storage, seal, kit -> {
        TestProbe<List<String>> state = kit.createTestProbe();
        kit.spawn(Notes.create("notes-1")).tell(new Notes.Get(state.getRef()));
        assertThat(state.receiveMessage()).containsExactly(MARKER + "-a", MARKER + "-b");
      });
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aFlippedByteInAStoredEvent_stopsRecoveryAndRaisesAnAlert(String name, StorageSettings settings) throws Exception {
    try (Storage storage = Storage.open(settings)) {
      Seal seal = TestSeals.unsealed(storage);
      run(storage, seal, kit -> {
        TestProbe<Done> done = kit.createTestProbe();
        kit.spawn(Notes.create("notes-2")).tell(new Notes.Add(MARKER, done.getRef()));
        done.expectMessage(Done.getInstance());
      });
      byte[] payload;
      try (Connection connection = storage.dataSource().getConnection();
          Statement statement = connection.createStatement();
          ResultSet row = statement.executeQuery("SELECT event_payload FROM event_journal WHERE persistence_id = 'notes-2'")) {
        row.next();
        payload = row.getBytes(1);
      }
      payload[payload.length / 2] ^= 1;
      try (Connection connection = storage.dataSource().getConnection();
          PreparedStatement update = connection.prepareStatement("UPDATE event_journal SET event_payload = ? WHERE persistence_id = 'notes-2'")) {
        update.setBytes(1, payload);
        assertThat(update.executeUpdate()).isEqualTo(1);
      }
      run(storage, seal, kit -> {
        TestProbe<StorageIntegrityAlert> alerts = kit.createTestProbe();
        kit.system().eventStream().tell(new org.apache.pekko.actor.typed.eventstream.EventStream.Subscribe<>(
            StorageIntegrityAlert.class, alerts.getRef()));
        TestProbe<List<String>> state = kit.createTestProbe();
        ActorRef<Object> notes = kit.spawn(Notes.create("notes-2"));
        TestProbe<Object> watcher = kit.createTestProbe();
        notes.tell(new Notes.Get(state.getRef()));
        assertThat(alerts.receiveMessage(Duration.ofSeconds(10)).reason()).contains("failed authentication");
        watcher.expectTerminated(notes, Duration.ofSeconds(10));
        state.expectNoMessage(Duration.ofMillis(200));
      });
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aSealedController_writesNothing(String name, StorageSettings settings) throws Exception {
    try (Storage storage = Storage.open(settings)) {
      Seal seal = TestSeals.unsealed(storage);
      seal.seal();
      run(storage, seal, kit -> {
        TestProbe<Done> done = kit.createTestProbe();
        TestProbe<Object> watcher = kit.createTestProbe();
        ActorRef<Object> notes = kit.spawn(Notes.create("notes-3"));
        notes.tell(new Notes.Add(MARKER, done.getRef()));
        watcher.expectTerminated(notes, Duration.ofSeconds(10));
        done.expectNoMessage(Duration.ofMillis(200));
      });
      try (Connection connection = storage.dataSource().getConnection();
          Statement statement = connection.createStatement();
          ResultSet row = statement.executeQuery("SELECT COUNT(*) FROM event_journal")) {
        row.next();
        assertThat(row.getInt(1)).isZero();
      }
    }
  }

  private interface WithKit {
    void accept(ActorTestKit kit) throws Exception;
  }

  private static void run(Storage storage, Seal seal, WithKit body) throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "journal-test",
        ActorSystemSetup.create(BootstrapSetup.create(CONFIG), new StorageSetup(storage, seal)));
    ActorTestKit kit = ActorTestKit.create(system);
    try {
      body.accept(kit);
    } finally {
      kit.shutdownTestKit();
    }
  }

  /** A minimal event-sourced actor whose events are bound to the encrypting serializer. */
  static final class Notes extends EventSourcedBehavior<Object, ShardIdRecord, List<String>> {

    record Add(String text, ActorRef<Done> replyTo) {}

    record Get(ActorRef<List<String>> replyTo) {}

    static Behavior<Object> create(String id) {
      return new Notes(id);
    }

    private Notes(String id) {
      super(PersistenceId.ofUniqueId(id));
    }

    @Override
    public List<String> emptyState() {
      return List.of();
    }

    @Override
    public CommandHandler<Object, ShardIdRecord, List<String>> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Add.class, (state, add) -> Effect().persist(new ShardIdRecord(add.text())).thenRun(s -> add.replyTo().tell(Done.getInstance())))
          .onCommand(Get.class, (state, get) -> Effect().none().thenRun(s -> get.replyTo().tell(s)))
          .build();
    }

    @Override
    public EventHandler<List<String>, ShardIdRecord> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onEvent(ShardIdRecord.class, (state, event) -> {
        List<String> next = new ArrayList<>(state);
        next.add(event.shardId());
        return List.copyOf(next);
      }).build();
    }
  }
}
