package org.opencluster.controller.audit;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.keys.StorageIntegrityException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's audit log: operator commands and security events as records of who, what, when and
 * outcome, each encrypted under the data key ring and hash-chained to the one before, in one chain
 * shared by every controller ({@link AuditStore} says how appends stay one chain).
 *
 * <p>Appends never block the caller: records go into a bounded queue that one thread of this
 * controller writes, in batches, each batch one transaction. While the controller is sealed the
 * records wait in the queue (nothing can be encrypted) and are written at unseal; a controller that
 * stops before it unseals loses them. {@link #append} answers when the record is stored, so the
 * operator API can refuse to act (or to answer) without its record; security events
 * ({@link SecurityEvents}) are retried until stored, and any the full queue turned away are counted
 * in an {@code audit.dropped} record. Refusals are counted and written once per kind per
 * {@code refusal-interval}.
 *
 * <p>Thread-safe. {@link #query} and {@link #verify} reach the database: call them off actors' threads.
 */
public final class AuditLog implements SecurityEvents, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final int MAX_BATCH = 256;
  private static final int QUERY_PAGE = 500;
  /** Below the operator API's wait for a record (10 s), so a database that is back serves requests again at once. */
  private static final long MAX_BACKOFF_MILLIS = 4_000;
  private static final long IDLE_WAIT_MILLIS = 500;

  private record Pending(AuditEvent event, CompletableFuture<Long> stored, boolean retry) {}

  private record Tally(AtomicLong count, AtomicReference<String> sample) {}

  /** Whose repeated reads of one path with one outcome are counted together. */
  private record ReadKey(String actor, String target, String outcome) {}

  private final AuditStore store;
  private final AuditVerifier verifier;
  private final Seal seal;
  private final String actor;
  private final AuditSettings settings;
  private final Clock clock;
  private final BlockingQueue<Pending> queue;
  private final Map<String, Tally> refusals = new ConcurrentHashMap<>();
  private final Map<ReadKey, AtomicLong> reads = new ConcurrentHashMap<>();
  private final AtomicLong dropped = new AtomicLong();
  private final Object wake = new Object();
  private final Thread writer;
  private volatile boolean closing;
  private Instant nextRefusalFlush;
  private Instant nextHeadLog;
  private AuditChain.Head lastHead;

  private AuditLog(DataSource dataSource, Seal seal, String controller, AuditSettings settings, Clock clock) {
    this.store = new AuditStore(dataSource, seal, controller);
    this.verifier = new AuditVerifier(store, seal);
    this.seal = seal;
    this.actor = "controller/" + controller;
    this.settings = settings;
    this.clock = clock;
    this.queue = new LinkedBlockingQueue<>(settings.queueCapacity());
    this.nextRefusalFlush = clock.instant().plus(settings.refusalInterval());
    this.nextHeadLog = clock.instant();
    this.writer = new Thread(this::write, "opencluster-audit-writer");
    this.writer.setDaemon(true);
  }

  /** Starts the writer of controller {@code controller}. */
  public static AuditLog start(DataSource dataSource, Seal seal, String controller, AuditSettings settings, Clock clock) {
    AuditLog log = new AuditLog(dataSource, seal, controller, settings, clock);
    seal.onChange(status -> log.wakeWriter());
    log.writer.start();
    return log;
  }

  /**
   * Queues {@code event}; never blocks.
   *
   * @return completes with the record's place once it is stored (only after unseal), or fails with
   *     {@link AuditException} if the queue is full, the log is closing, or the database refused
   */
  public CompletableFuture<Long> append(AuditEvent event) {
    Pending pending = new Pending(event, new CompletableFuture<>(), false);
    if (closing || !queue.offer(pending)) {
      pending.stored().completeExceptionally(new AuditException(closing ? "the audit log is closing"
          : "the audit queue is full (" + settings.queueCapacity() + " records waiting)"));
    }
    return pending.stored();
  }

  /** Whether records are being stored now (the controller is unsealed), rather than held until unseal. */
  public boolean storing() {
    return seal.isUnsealed();
  }

  @Override
  public void record(String action, String target, String outcome, String detail) {
    record(new AuditEvent(clock.instant(), actor, action, target, outcome, detail));
  }

  /**
   * A security event with its own actor (an operator's unseal attempt): queued like {@link
   * #record(String, String, String, String)}, retried until stored, never blocks.
   */
  public void record(AuditEvent event) {
    if (!queue.offer(new Pending(event, new CompletableFuture<>(), true))) {
      dropped.incrementAndGet();
    }
  }

  /** The actor of a certificate identity: "operator/alice", "controller/ctl-1", "node/web-1". */
  public static String actorOf(org.opencluster.protocol.pki.Identity identity) {
    return identity.kind().name().toLowerCase(java.util.Locale.ROOT) + "/" + identity.name();
  }

  @Override
  public void refused(String source, String kind, String sample) {
    Tally tally = refusals.computeIfAbsent(source + "\u0000" + kind,
        key -> new Tally(new AtomicLong(), new AtomicReference<>()));
    tally.sample().set(sample);
    tally.count().incrementAndGet();
  }

  /**
   * A read that monitoring repeats (seal status, metrics, cluster status): counted per actor, path
   * and outcome, and written as one {@code api.get} record per {@code refusal-interval}, so a poller
   * neither floods the log nor fills its queue. Never blocks.
   */
  public void countRead(String actor, String target, String outcome) {
    reads.computeIfAbsent(new ReadKey(actor, target, outcome), key -> new AtomicLong()).incrementAndGet();
  }

  /**
   * Searches the log, decrypting at most {@code query-scan-limit} records.
   *
   * @throws AuditException if the database cannot be read
   * @throws IllegalStateException while sealed
   */
  public AuditQuery.Page query(AuditQuery query) {
    List<AuditRecord> found = new ArrayList<>();
    List<Long> unreadable = new ArrayList<>();
    long from = query.after();
    int scanned = 0;
    while (scanned < settings.queryScanLimit()) {
      int asked = Math.min(QUERY_PAGE, settings.queryScanLimit() - scanned);
      List<AuditStore.Row> rows = store.rows(from, asked);
      for (AuditStore.Row row : rows) {
        scanned++;
        from = row.seq();
        try {
          AuditRecord record = AuditChain.open(seal, row.record()).record();
          if (query.matches(record)) {
            found.add(record);
          }
        } catch (StorageIntegrityException e) {
          unreadable.add(row.seq());
        }
        if (found.size() == query.limit()) {
          return new AuditQuery.Page(found, unreadable, OptionalLong.of(from));
        }
      }
      if (rows.size() < asked) {
        return new AuditQuery.Page(found, unreadable, OptionalLong.empty());
      }
    }
    return new AuditQuery.Page(found, unreadable, OptionalLong.of(from));
  }

  /**
   * Walks the whole chain and names every record that is not as written: removed, reordered,
   * altered, or cut off the end (against the head, and against {@code anchor} if given).
   *
   * @throws AuditException if the database cannot be read
   * @throws IllegalStateException while sealed
   */
  public Verification verify(Optional<Verification.Anchor> anchor) {
    return verifier.verify(anchor);
  }

  /** Writes what is queued (if unsealed), then stops the writer; what cannot be written is reported lost. */
  @Override
  public void close() {
    closing = true;
    wakeWriter();
    try {
      writer.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!writer.isAlive()) {
      List<Pending> late = new ArrayList<>();
      queue.drainTo(late);
      late.forEach(pending -> pending.stored().completeExceptionally(new AuditException("the audit log is closed")));
    }
  }

  @Override
  public String toString() {
    return "AuditLog[" + actor + ", " + queue.size() + " waiting]";
  }

  // ---- the writer thread ---------------------------------------------------------------------

  private void write() {
    List<Pending> carried = new ArrayList<>();
    long backoff = 0;
    while (true) {
      if (closing && (queue.isEmpty() && carried.isEmpty() || !seal.isUnsealed())) {
        break;
      }
      flushRefusalsIfDue();
      if (!seal.isUnsealed()) {
        idle(IDLE_WAIT_MILLIS);
        continue;
      }
      List<Pending> batch = carried;
      carried = new ArrayList<>();
      if (batch.isEmpty()) {
        Pending first = take();
        if (first == null) {
          continue;
        }
        batch.add(first);
        if (!seal.isUnsealed()) {
          // Sealed while waiting: hold this one and leave the rest queued, so the queue's bound holds.
          carried = batch;
          continue;
        }
      }
      queue.drainTo(batch, MAX_BATCH - batch.size());
      // An operator record its request stopped waiting for (and answered 503, unrun) is not written:
      // the log would show a command start that never ran.
      batch.removeIf(pending -> !pending.retry() && pending.stored().isDone());
      if (batch.isEmpty()) {
        continue;
      }
      long lost = dropped.getAndSet(0);
      if (lost > 0) {
        batch.add(0, new Pending(new AuditEvent(clock.instant(), actor, "audit.dropped", "audit", "dropped",
            lost + " security event records were dropped: the audit queue was full"), new CompletableFuture<>(), true));
      }
      try {
        AuditChain.Head head = store.append(batch.stream().map(Pending::event).toList());
        long seq = head.seq() - batch.size();
        for (Pending pending : batch) {
          pending.stored().complete(++seq);
        }
        lastHead = head;
        backoff = 0;
        logHeadIfDue();
      } catch (RuntimeException e) {
        if (!seal.isUnsealed()) {
          // Sealed since the batch was taken: it waits for the unseal like the rest.
          carried.addAll(batch);
          continue;
        }
        backoff = Math.min(MAX_BACKOFF_MILLIS, Math.max(500, backoff * 2));
        LOG.error("Could not write {} audit records (retrying security events in {} ms; operator commands are "
            + "refused meanwhile): {}", batch.size(), backoff, e.getMessage());
        for (Pending pending : batch) {
          if (pending.retry()) {
            carried.add(pending);
          } else {
            pending.stored().completeExceptionally(e instanceof AuditException ? e
                : new AuditException("cannot write the audit record: " + e.getMessage(), e));
          }
        }
        if (closing) {
          break;
        }
        idle(backoff);
      }
    }
    List<Pending> left = new ArrayList<>(carried);
    queue.drainTo(left);
    for (Pending pending : left) {
      pending.stored().completeExceptionally(new AuditException("the audit log closed before the record was stored"));
    }
    if (!left.isEmpty()) {
      LOG.warn("The audit log closed with {} records unwritten (the controller was sealed or its database "
          + "unreachable)", left.size());
    }
  }

  private Pending take() {
    try {
      return queue.poll(IDLE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closing = true;
      return null;
    }
  }

  private void idle(long millis) {
    synchronized (wake) {
      if (closing) {
        return;
      }
      try {
        wake.wait(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        closing = true;
      }
    }
  }

  private void wakeWriter() {
    synchronized (wake) {
      wake.notifyAll();
    }
  }

  /** One record per refused kind with a count, once per interval. */
  private void flushRefusalsIfDue() {
    Instant now = clock.instant();
    if (now.isBefore(nextRefusalFlush)) {
      return;
    }
    nextRefusalFlush = now.plus(settings.refusalInterval());
    reads.forEach((key, counter) -> {
      long count = counter.getAndSet(0);
      if (count > 0) {
        record(new AuditEvent(now, key.actor(), "api.get", key.target(), key.outcome(),
            count + (count == 1 ? " read" : " reads") + " in the last " + settings.refusalInterval().toSeconds() + " s"));
      }
    });
    refusals.forEach((key, tally) -> {
      long count = tally.count().getAndSet(0);
      if (count > 0) {
        int split = key.indexOf('\u0000');
        String source = key.substring(0, split);
        String sample = tally.sample().getAndSet(null);
        record(source + ".refused", key.substring(split + 1), "refused", count + (count == 1 ? " refusal" : " refusals")
            + " in the last " + settings.refusalInterval().toSeconds() + " s" + (sample == null ? "" : "; latest: " + sample));
      }
    });
  }

  /**
   * The newest record's place and chain hash go to the log now and then: a copy outside the
   * database that a later verify can be checked against (the removal of the newest records is
   * otherwise invisible).
   */
  private void logHeadIfDue() {
    Instant now = clock.instant();
    if (lastHead != null && !now.isBefore(nextHeadLog)) {
      nextHeadLog = now.plus(settings.headLogInterval());
      LOG.info("Audit log head: {}:{} (record:chain hash; 'opencluster audit verify --anchor' with it detects "
          + "records removed after it)", lastHead.seq(), HexFormat.of().formatHex(lastHead.hash()));
    }
  }
}
