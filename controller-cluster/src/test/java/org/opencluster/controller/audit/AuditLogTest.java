package org.opencluster.controller.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.testing.MovableClock;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.SecretBytes;

/** The audit log on embedded H2: appends, the chain, queries, sealed hold-back, refusal counting, fail-closed. */
class AuditLogTest {

  private static final Instant START = Instant.parse("2025-03-01T10:00:00Z");
  private static final AuditSettings SETTINGS = new AuditSettings(16, Duration.ofSeconds(60), Duration.ofHours(1), 100);

  private final MovableClock clock = new MovableClock(START);
  private final SecretBytes key = SecretBytes.random(32);
  private Storage storage;
  private Seal seal;
  private AuditLog log;
  private AuditTables tables;

  @BeforeEach
  void open() throws Exception {
    storage = Storage.open(TestDatabases.freshH2());
    seal = new Seal(storage.keyRingStore(), Clock.systemUTC(), Duration.ofMinutes(15));
    seal.initializeWithKey(key);
    seal.unsealWithKey(key);
    log = AuditLog.start(storage.dataSource(), seal, "ctl-1", SETTINGS, clock);
    tables = new AuditTables(storage.dataSource());
  }

  @AfterEach
  void close() {
    log.close();
    seal.seal();
    storage.close();
    key.close();
  }

  @Test
  void appendedRecords_areNumberedInOrder_readBack_andVerifyIntact() throws Exception {
    assertThat(stored(event("operator/alice", "api.post", "/v1/nodes", "started"))).isEqualTo(1);
    assertThat(stored(event("operator/alice", "api.post", "/v1/nodes", "201"))).isEqualTo(2);
    assertThat(stored(event("operator/bob", "api.get", "/v1/files", "200"))).isEqualTo(3);

    AuditQuery.Page page = log.query(AuditQuery.all());
    assertThat(page.records()).extracting(AuditRecord::seq).containsExactly(1L, 2L, 3L);
    assertThat(page.records().get(1).event()).isEqualTo(event("operator/alice", "api.post", "/v1/nodes", "201"));
    assertThat(page.records().get(1).controller()).isEqualTo("ctl-1");
    assertThat(page.next()).isEmpty();

    Verification verification = log.verify(Optional.empty());
    assertThat(verification.intact()).isTrue();
    assertThat(verification.records()).isEqualTo(3);
    assertThat(verification.headSeq()).isEqualTo(3);
    assertThat(verification.headHash()).hasSize(64);
  }

  @Test
  void storedRecords_holdNoPlaintext() throws Exception {
    String marker = "audit-marker-7c1d";
    stored(new AuditEvent(START, "operator/" + marker, "api.put", "/v1/files/" + marker, "200", marker));
    assertThat(new String(tables.record(1), StandardCharsets.ISO_8859_1)).doesNotContain(marker);
    assertThat(new String(tables.head(), StandardCharsets.ISO_8859_1)).doesNotContain(marker);
  }

  @Test
  void queries_filterByActorActionAndTime_andPage() throws Exception {
    stored(event("operator/alice", "api.post", "/v1/nodes", "201"));
    clock.advance(Duration.ofMinutes(5));
    stored(event("operator/bob", "api.get", "/v1/nodes/a", "200"));
    stored(event("operator/alice", "api.delete", "/v1/files/x", "200"));
    stored(event("controller/ctl-1", "node.quarantine", "node/web-1", "quarantined"));

    assertThat(log.query(query(Optional.empty(), Optional.of("operator/alice"), Optional.empty(), 0, 10)).records())
        .extracting(AuditRecord::seq).containsExactly(1L, 3L);
    assertThat(log.query(query(Optional.empty(), Optional.empty(), Optional.of("api"), 0, 10)).records())
        .extracting(AuditRecord::seq).containsExactly(1L, 2L, 3L);
    assertThat(log.query(query(Optional.empty(), Optional.empty(), Optional.of("ap"), 0, 10)).records())
        .as("an action filter matches whole parts only").isEmpty();
    assertThat(log.query(query(Optional.of(START.plusSeconds(60)), Optional.empty(), Optional.empty(), 0, 10)).records())
        .extracting(AuditRecord::seq).containsExactly(2L, 3L, 4L);

    AuditQuery.Page first = log.query(query(Optional.empty(), Optional.empty(), Optional.empty(), 0, 2));
    assertThat(first.records()).extracting(AuditRecord::seq).containsExactly(1L, 2L);
    assertThat(first.next()).hasValue(2L);
    AuditQuery.Page second = log.query(query(Optional.empty(), Optional.empty(), Optional.empty(), 2, 2));
    assertThat(second.records()).extracting(AuditRecord::seq).containsExactly(3L, 4L);
  }

  @Test
  void aQuery_readsAtMostTheScanLimit_andSaysWhereToGoOn() throws Exception {
    List<CompletableFuture<Long>> appended = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      appended.add(append(event("operator/bob", "api.get", "/v1/files", "200")));
      if (appended.size() == SETTINGS.queueCapacity()) {
        waitFor(appended);
      }
    }
    waitFor(appended);
    AuditQuery.Page page = log.query(query(Optional.empty(), Optional.of("operator/nobody"), Optional.empty(), 0, 10));
    assertThat(page.records()).isEmpty();
    assertThat(page.next()).as("scan limit 100 of 120 records").hasValue(100L);
    assertThat(log.query(query(Optional.empty(), Optional.of("operator/nobody"), Optional.empty(), 100, 10)).next())
        .isEmpty();
  }

  @Test
  void whileSealed_recordsWait_andAreWrittenAtUnseal() throws Exception {
    seal.seal();
    CompletableFuture<Long> waiting = append(event("operator/alice", "api.post", "/v1/sys/unseal", "200"));
    log.record("seal.unseal-share", "seal", "refused", "share refused");
    assertThat(log.storing()).isFalse();
    assertThat(waiting).isNotDone();

    seal.unsealWithKey(key);
    assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> tables.count() == 2);
    assertThat(log.query(AuditQuery.all()).records().get(1).event().actor()).isEqualTo("controller/ctl-1");
  }

  @Test
  void aFullQueue_refusesOperatorRecords_andCountsTheSecurityEventsItDropped() throws Exception {
    seal.seal();
    List<CompletableFuture<Long>> held = new ArrayList<>();
    CompletableFuture<Long> refused = null;
    for (int i = 0; i < 2 * SETTINGS.queueCapacity() && refused == null; i++) {
      CompletableFuture<Long> appended = append(event("operator/alice", "api.get", "/v1/sys/seal-status", "200"));
      if (appended.isCompletedExceptionally()) {
        refused = appended;
      } else {
        held.add(appended);
      }
    }
    assertThat(refused).as("refused once the queue is full").isNotNull();
    assertThat(held.size()).isBetween(SETTINGS.queueCapacity(), SETTINGS.queueCapacity() + 1);
    CompletableFuture<Long> full = refused;
    assertThatThrownBy(full::get).hasCauseInstanceOf(AuditException.class).hasMessageContaining("queue is full");
    log.record("node.quarantine", "node/web-1", "quarantined", "heartbeat_missed");
    log.record("node.quarantine", "node/web-2", "quarantined", "heartbeat_missed");

    seal.unsealWithKey(key);
    waitFor(held);
    await().atMost(Duration.ofSeconds(10)).until(() -> log.query(AuditQuery.all()).records().stream()
        .anyMatch(r -> r.event().action().equals("audit.dropped")));
    AuditRecord dropped = log.query(AuditQuery.all()).records().stream()
        .filter(r -> r.event().action().equals("audit.dropped")).findFirst().orElseThrow();
    assertThat(dropped.event().detail()).startsWith("2 security event records were dropped");
  }

  @Test
  void aFloodOfRefusals_isOneRecordPerKindPerInterval() throws Exception {
    for (int i = 0; i < 10_000; i++) {
      log.refused("edge.gateway", "malformed", "frame refused: malformed " + i);
    }
    log.refused("tls.api", "untrusted_issuer", "another CA");
    clock.advance(Duration.ofSeconds(61));
    await().atMost(Duration.ofSeconds(10)).until(() -> tables.count() == 2);
    List<AuditRecord> records = log.query(AuditQuery.all()).records();
    AuditRecord malformed = records.stream().filter(r -> r.event().action().equals("edge.gateway.refused"))
        .findFirst().orElseThrow();
    assertThat(malformed.event().target()).isEqualTo("malformed");
    assertThat(malformed.event().detail()).isEqualTo("10000 refusals in the last 60 s; latest: frame refused: malformed 9999");

    log.refused("edge.gateway", "malformed", "once more");
    clock.advance(Duration.ofSeconds(30));
    stored(event("operator/alice", "api.get", "/v1/audit", "200"));
    assertThat(tables.count()).as("not before the interval is over").isEqualTo(3);
    clock.advance(Duration.ofSeconds(31));
    await().atMost(Duration.ofSeconds(10)).until(() -> tables.count() == 4);
  }

  @Test
  void aHeadThatFailsAuthentication_stopsEveryAppend() throws Exception {
    stored(event("operator/alice", "api.get", "/v1/files", "200"));
    byte[] head = tables.head();
    head[head.length - 1] ^= 1;
    tables.writeHead(head);
    CompletableFuture<Long> next = append(event("operator/alice", "api.get", "/v1/files", "200"));
    assertThatThrownBy(() -> next.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(AuditException.class).hasMessageContaining("failed authentication");
    assertThat(tables.count()).isEqualTo(1);
  }

  @Test
  void textsAreCleaned_soANameCannotForgeALine() {
    AuditEvent event = new AuditEvent(START, "operator/a\nb", "api.get", "/v1/x\r\n2025 forged", "200", "x".repeat(5000));
    assertThat(event.actor()).isEqualTo("operator/a?b");
    assertThat(event.target()).isEqualTo("/v1/x??2025 forged");
    assertThat(event.detail()).hasSize(AuditEvent.MAX_DETAIL);
  }

  private static AuditEvent event(String actor, String action, String target, String outcome) {
    return new AuditEvent(START, actor, action, target, outcome, "");
  }

  private AuditQuery query(Optional<Instant> since, Optional<String> actor, Optional<String> action, long after,
      int limit) {
    return new AuditQuery(since, actor, action, after, limit);
  }

  private CompletableFuture<Long> append(AuditEvent event) {
    return log.append(new AuditEvent(clock.instant(), event.actor(), event.action(), event.target(), event.outcome(),
        event.detail()));
  }

  private long stored(AuditEvent event) throws Exception {
    return append(event).get(10, TimeUnit.SECONDS);
  }

  private static void waitFor(List<CompletableFuture<Long>> futures) throws Exception {
    for (CompletableFuture<Long> future : futures) {
      future.get(10, TimeUnit.SECONDS);
    }
    futures.clear();
  }
}
