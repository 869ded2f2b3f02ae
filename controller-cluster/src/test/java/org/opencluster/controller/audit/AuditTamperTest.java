package org.opencluster.controller.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * Someone who can write the database (real PostgreSQL) deletes, reorders or alters audit records,
 * or cuts off the newest: verify names the record. And several controllers appending at once make
 * one chain.
 */
class AuditTamperTest {

  private static final AuditSettings SETTINGS = new AuditSettings(1000, Duration.ofSeconds(60), Duration.ofHours(1), 1000);

  private final SecretBytes key = SecretBytes.random(32);
  private final List<AutoCloseable> opened = new ArrayList<>();
  private StorageSettings database;
  private AuditLog log;
  private AuditTables tables;

  @BeforeEach
  void open() throws Exception {
    database = TestDatabases.freshPostgres();
    log = controller("ctl-1", true);
    tables = new AuditTables(((Storage) opened.get(0)).dataSource());
  }

  @AfterEach
  void close() throws Exception {
    for (int i = opened.size() - 1; i >= 0; i--) {
      opened.get(i).close();
    }
    key.close();
  }

  @Test
  void anIntactLog_verifies() throws Exception {
    append(10);
    Verification verification = log.verify(Optional.empty());
    assertThat(verification.intact()).isTrue();
    assertThat(verification.problems()).isEmpty();
    assertThat(verification.headSeq()).isEqualTo(10);
  }

  @Test
  void aDeletedRecord_isNamed() throws Exception {
    append(10);
    tables.delete(4);
    Verification verification = log.verify(Optional.empty());
    assertThat(verification.intact()).isFalse();
    assertThat(verification.problems()).containsExactly(
        new Verification.Problem(4, Verification.Kind.REMOVED, "record 4 was removed"));
  }

  @Test
  void twoSwappedRecords_areNamed() throws Exception {
    append(10);
    tables.swap(3, 7);
    Verification verification = log.verify(Optional.empty());
    assertThat(verification.intact()).isFalse();
    assertThat(verification.first()).map(Verification.Problem::seq).hasValue(3L);
    assertThat(verification.problems()).extracting(Verification.Problem::seq, Verification.Problem::kind)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(3L, Verification.Kind.REORDERED),
            org.assertj.core.groups.Tuple.tuple(7L, Verification.Kind.REORDERED));
    assertThat(verification.problems().get(0).detail()).isEqualTo(
        "place 3 holds record 7, which was written at place 7: records were moved or reordered");
  }

  @Test
  void twoNeighboursSwapped_areNamed() throws Exception {
    append(10);
    tables.swap(5, 6);
    assertThat(log.verify(Optional.empty()).problems()).extracting(Verification.Problem::seq, Verification.Problem::kind)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(5L, Verification.Kind.REORDERED),
            org.assertj.core.groups.Tuple.tuple(6L, Verification.Kind.REORDERED));
  }

  @Test
  void oneAlteredByte_isNamed_wherever_itIs() throws Exception {
    append(10);
    byte[] content = tables.record(6);
    content[content.length - 20] ^= 1;
    tables.write(6, content);
    byte[] header = tables.record(2);
    header[8] ^= 1;
    tables.write(2, header);

    Verification verification = log.verify(Optional.empty());
    assertThat(verification.problems()).extracting(Verification.Problem::seq, Verification.Problem::kind)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(2L, Verification.Kind.ALTERED),
            org.assertj.core.groups.Tuple.tuple(6L, Verification.Kind.ALTERED));
    assertThat(log.query(AuditQuery.all()).unreadable()).containsExactly(2L, 6L);
  }

  @Test
  void theNewestRecordsDeleted_areNamedAgainstTheHead() throws Exception {
    append(10);
    tables.delete(9);
    tables.delete(10);
    assertThat(log.verify(Optional.empty()).problems()).containsExactly(new Verification.Problem(9,
        Verification.Kind.TRUNCATED, "records 9..10 are missing after the last record present (8): removed from the end"));
  }

  @Test
  void theNewestRecordsDeleted_withAnOlderHeadPutBack_areNamedOnlyAgainstAnAnchorKeptElsewhere() throws Exception {
    append(8);
    byte[] olderHead = tables.head();
    append(2);
    Verification.Anchor kept = anchor(log.verify(Optional.empty()));
    tables.delete(9);
    tables.delete(10);
    tables.writeHead(olderHead);

    assertThat(log.verify(Optional.empty()).intact()).as("the database alone cannot tell (docs: known limits)").isTrue();
    Verification againstTheAnchor = log.verify(Optional.of(kept));
    assertThat(againstTheAnchor.intact()).isFalse();
    assertThat(againstTheAnchor.first()).hasValue(new Verification.Problem(9, Verification.Kind.TRUNCATED,
        "records 9..10 are missing after the last record present (8): removed from the end"));
  }

  @Test
  void anAnchorOfAnotherHistory_isRefused() throws Exception {
    append(5);
    Verification.Anchor other = new Verification.Anchor(3, new byte[32]);
    assertThat(log.verify(Optional.of(other)).problems()).extracting(Verification.Problem::seq, Verification.Problem::kind)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(3L, Verification.Kind.ALTERED));
  }

  @Test
  void aForgedHead_isNamed() throws Exception {
    append(3);
    byte[] head = tables.head();
    head[head.length - 1] ^= 1;
    tables.writeHead(head);
    Verification verification = log.verify(Optional.empty());
    assertThat(verification.intact()).isFalse();
    assertThat(verification.first().orElseThrow().detail()).contains("head record").contains("fails authentication");
  }

  @Test
  void threeControllersAppendingAtOnce_makeOneChain() throws Exception {
    AuditLog second = controller("ctl-2", false);
    AuditLog third = controller("ctl-3", false);
    ExecutorService threads = Executors.newFixedThreadPool(6);
    List<CompletableFuture<Long>> appended = new ArrayList<>();
    try {
      for (AuditLog writer : List.of(log, second, third)) {
        for (int t = 0; t < 2; t++) {
          threads.execute(() -> {
            for (int i = 0; i < 50; i++) {
              CompletableFuture<Long> future = writer.append(event(i));
              synchronized (appended) {
                appended.add(future);
              }
            }
          });
        }
      }
      threads.shutdown();
      assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      threads.shutdownNow();
    }
    List<Long> places = new ArrayList<>();
    for (CompletableFuture<Long> future : appended) {
      places.add(future.get(30, TimeUnit.SECONDS));
    }
    assertThat(places).hasSize(300).doesNotHaveDuplicates().allMatch(place -> place >= 1 && place <= 300);
    Verification verification = log.verify(Optional.empty());
    assertThat(verification.intact()).as("%s", verification.problems()).isTrue();
    assertThat(verification.records()).isEqualTo(300);
    assertThat(log.query(new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), 0, 1000)).records())
        .extracting(AuditRecord::controller).contains("ctl-1", "ctl-2", "ctl-3");
  }

  /** A controller's storage, seal and audit log on the shared database. */
  private AuditLog controller(String name, boolean first) throws Exception {
    Storage storage = Storage.open(database);
    opened.add(storage);
    Seal seal = new Seal(storage.keyRingStore(), Clock.systemUTC(), Duration.ofMinutes(15));
    if (first) {
      seal.initializeWithKey(key);
    }
    seal.unsealWithKey(key);
    opened.add(seal::seal);
    AuditLog audit = AuditLog.start(storage.dataSource(), seal, name, SETTINGS, Clock.systemUTC());
    opened.add(audit);
    return audit;
  }

  private void append(int records) throws Exception {
    List<CompletableFuture<Long>> appended = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      appended.add(log.append(event(i)));
    }
    for (CompletableFuture<Long> future : appended) {
      future.get(10, TimeUnit.SECONDS);
    }
  }

  private static AuditEvent event(int i) {
    return new AuditEvent(Instant.now(), "operator/alice", "api.get", "/v1/files/f" + i, "200", "");
  }

  private static Verification.Anchor anchor(Verification verification) {
    return new Verification.Anchor(verification.headSeq(), HexFormat.of().parseHex(verification.headHash()));
  }
}
