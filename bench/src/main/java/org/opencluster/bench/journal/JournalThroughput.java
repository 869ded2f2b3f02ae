package org.opencluster.bench.journal;

import com.typesafe.config.ConfigFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.Props;
import org.opencluster.bench.BenchReport;
import org.opencluster.persistence.PersistenceConfig;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.jdbc.StorageSetup;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.persistence.testing.TestSeals;

/**
 * How much the encrypting serializer costs the journal: the same events, written by the same
 * writers to the same database in the same run, once encrypted (as every controller event is)
 * and once in the clear. Reported as events per second each, and their ratio.
 */
public final class JournalThroughput {

  private static final int PAYLOAD_BYTES = 200;
  private static final int ROUNDS = 5;

  private JournalThroughput() {}

  public static BenchReport run(int writers, int eventsPerWriter) throws Exception {
    BenchReport report = new BenchReport("journal write throughput, encrypted vs plain");
    String payload = "x".repeat(PAYLOAD_BYTES);
    for (String database : List.of("h2", "postgresql")) {
      StorageSettings settings = database.equals("h2") ? TestDatabases.freshH2() : TestDatabases.freshPostgres();
      try (Storage storage = Storage.open(settings)) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "journal-bench", ActorSystemSetup.create(
            BootstrapSetup.create(PersistenceConfig.load(ConfigFactory.parseString("pekko.loglevel = WARNING"))),
            new StorageSetup(storage, TestSeals.unsealed(storage))));
        try {
          String setup = String.format(Locale.ROOT, "%s (%s); %d writers x %d events of %d B; pool of %d; %s cores",
              database, database.equals("h2") ? "in memory" : "embedded 17, 127.0.0.1", writers, eventsPerWriter,
              PAYLOAD_BYTES, settings.maxConnections(), BenchReport.machine().get("cores"));
          write(system, "warm-enc", writers, eventsPerWriter / 4, i -> new BenchEvent.Encrypted(payload));
          write(system, "warm-plain", writers, eventsPerWriter / 4, i -> new BenchEvent.Plain(payload));
          List<Double> plain = new ArrayList<>();
          List<Double> encrypted = new ArrayList<>();
          List<Double> ratios = new ArrayList<>();
          for (int round = 0; round < ROUNDS; round++) {
            // Alternate which goes first, so neither always meets a warmer or fuller database.
            double p;
            double e;
            if (round % 2 == 0) {
              p = write(system, "plain-r" + round, writers, eventsPerWriter, i -> new BenchEvent.Plain(payload));
              e = write(system, "enc-r" + round, writers, eventsPerWriter, i -> new BenchEvent.Encrypted(payload));
            } else {
              e = write(system, "enc-r" + round, writers, eventsPerWriter, i -> new BenchEvent.Encrypted(payload));
              p = write(system, "plain-r" + round, writers, eventsPerWriter, i -> new BenchEvent.Plain(payload));
            }
            plain.add(p);
            encrypted.add(e);
            ratios.add(e / p);
          }
          String rounds = setup + "; median of " + ROUNDS + " alternating rounds, error = half the range";
          report.add(database + ": plain events", "events/s", median(plain), halfRange(plain), rounds);
          report.add(database + ": encrypted events", "events/s", median(encrypted), halfRange(encrypted), rounds);
          report.add(database + ": encrypted / plain", "ratio", median(ratios), halfRange(ratios),
              rounds + "; median of the per-round ratios");
          report.add(database + ": stored bytes per event, plain", "bytes", averagePayload(storage, "plain-%"), Double.NaN, setup);
          report.add(database + ": stored bytes per event, encrypted", "bytes", averagePayload(storage, "enc-%"), Double.NaN, setup);
        } finally {
          system.terminate();
          system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
      }
    }
    return report;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static double halfRange(List<Double> values) {
    return (values.stream().mapToDouble(Double::doubleValue).max().orElse(0)
        - values.stream().mapToDouble(Double::doubleValue).min().orElse(0)) / 2;
  }

  /** Events per second for {@code writers} writers persisting {@code events} events each. */
  private static double write(ActorSystem<Void> system, String prefix, int writers, int events,
      Function<Integer, BenchEvent> event) throws Exception {
    List<ActorRef<Writer.Write>> refs = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      refs.add(system.systemActorOf(Writer.create(prefix + "-" + w, event), prefix + "-" + w, Props.empty()));
    }
    long start = System.nanoTime();
    List<CompletableFuture<Done>> done = new ArrayList<>();
    for (ActorRef<Writer.Write> ref : refs) {
      CompletionStage<Done> finished = AskPattern.ask(ref, replyTo -> new Writer.Write(events, replyTo),
          Duration.ofMinutes(10), system.scheduler());
      done.add(finished.toCompletableFuture());
    }
    CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
    double seconds = (System.nanoTime() - start) / 1e9;
    return writers * (double) events / seconds;
  }

  private static double averagePayload(Storage storage, String persistenceIds) throws Exception {
    try (Connection connection = storage.dataSource().getConnection();
        PreparedStatement select = connection.prepareStatement(
            "SELECT AVG(OCTET_LENGTH(event_payload)) FROM event_journal WHERE persistence_id LIKE ?")) {
      select.setString(1, persistenceIds);
      try (ResultSet row = select.executeQuery()) {
        row.next();
        return row.getDouble(1);
      }
    }
  }
}
