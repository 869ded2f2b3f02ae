package org.opencluster.controller.view;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.opencluster.controller.node.NodeEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code node_view.heartbeat_bucket} off the journal: the node entities on this controller
 * hand it the bucket a heartbeat entered ({@link #entered}, never blocks), and its own thread
 * writes what is waiting in batches, one transaction each. A bucket never moves back
 * ({@code heartbeat_bucket < ?} in the update).
 *
 * <p>It is only a view: what cannot be kept is dropped. At most {@code capacity} nodes wait (a
 * node's later bucket replaces its earlier one); beyond that a bucket is dropped and counted, and
 * the writer logs the count. A node's row that does not exist yet (a brand-new node, or during a
 * rebuild) is not updated either; the node's next bucket fixes both. If the database fails, the
 * batch waits and is tried again.
 */
public final class HeartbeatBucketWriter implements NodeEnvironment.HeartbeatBuckets, AutoCloseable {

  /** Nodes waiting at most, by default: a burst at a bucket boundary of a large fleet fits. */
  public static final int DEFAULT_CAPACITY = 65_536;

  private static final Logger LOG = LoggerFactory.getLogger(HeartbeatBucketWriter.class);
  private static final int MAX_BATCH = 500;
  private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final String UPDATE = "UPDATE node_view SET heartbeat_bucket = ? "
      + "WHERE id = ? AND (heartbeat_bucket IS NULL OR heartbeat_bucket < ?)";

  private final DataSource dataSource;
  private final int capacity;
  private final ConcurrentHashMap<String, Instant> waiting = new ConcurrentHashMap<>();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong droppedInAll = new AtomicLong();
  private final Thread writer;
  private volatile boolean closing;

  HeartbeatBucketWriter(DataSource dataSource, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    this.dataSource = dataSource;
    this.capacity = capacity;
    this.writer = new Thread(this::write, "opencluster-heartbeat-bucket-writer");
    this.writer.setDaemon(true);
  }

  /** A writer on {@code dataSource}, started, holding at most {@code capacity} nodes waiting. */
  public static HeartbeatBucketWriter start(DataSource dataSource, int capacity) {
    HeartbeatBucketWriter writer = new HeartbeatBucketWriter(dataSource, capacity);
    writer.startWriting();
    return writer;
  }

  void startWriting() {
    writer.start();
  }

  /** Never blocks: the bucket waits for the writer's thread, or is dropped and counted if too many wait. */
  @Override
  public void entered(String nodeId, Instant bucket) {
    if (closing || waiting.size() >= capacity && !waiting.containsKey(nodeId)) {
      dropped.incrementAndGet();
      droppedInAll.incrementAndGet();
      return;
    }
    waiting.merge(nodeId, bucket, HeartbeatBucketWriter::later);
    LockSupport.unpark(writer);
  }

  /** Buckets dropped since the start because too many nodes were waiting. */
  public long dropped() {
    return droppedInAll.get();
  }

  /** Writes what waits (one more batch at most), then stops the thread. */
  @Override
  public void close() {
    closing = true;
    LockSupport.unpark(writer);
    try {
      writer.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "HeartbeatBucketWriter[" + waiting.size() + " waiting]";
  }

  // ---- the writer thread ---------------------------------------------------------------------

  private void write() {
    long backoff = 0;
    while (true) {
      long lost = dropped.getAndSet(0);
      if (lost > 0) {
        LOG.warn("Dropped {} heartbeat buckets for the read model: {} nodes were already waiting to be written. "
            + "Those nodes' last heartbeat bucket in node_view stays older until their next bucket", lost, capacity);
      }
      Map<String, Instant> batch = take();
      if (batch.isEmpty()) {
        if (closing) {
          return;
        }
        LockSupport.parkNanos(this, IDLE_NANOS);
        continue;
      }
      try {
        update(batch);
        backoff = 0;
      } catch (SQLException | RuntimeException e) {
        batch.forEach((nodeId, bucket) -> waiting.merge(nodeId, bucket, HeartbeatBucketWriter::later));
        if (closing) {
          LOG.warn("Closed with {} heartbeat buckets unwritten to the read model: {}", waiting.size(), e.getMessage());
          return;
        }
        backoff = Math.min(MAX_BACKOFF_NANOS, Math.max(TimeUnit.MILLISECONDS.toNanos(500), backoff * 2));
        LOG.warn("Could not write {} heartbeat buckets to the read model (retrying in {} ms): {}", batch.size(),
            TimeUnit.NANOSECONDS.toMillis(backoff), e.getMessage());
        LockSupport.parkNanos(this, backoff);
      }
    }
  }

  private static Instant later(Instant one, Instant other) {
    return other.isAfter(one) ? other : one;
  }

  /** Up to a batch of what waits, by node id (one lock order for every writer in the cluster). */
  private Map<String, Instant> take() {
    Map<String, Instant> batch = new TreeMap<>();
    Iterator<String> nodes = waiting.keySet().iterator();
    while (nodes.hasNext() && batch.size() < MAX_BATCH) {
      String nodeId = nodes.next();
      Instant bucket = waiting.remove(nodeId);
      if (bucket != null) {
        batch.put(nodeId, bucket);
      }
    }
    return batch;
  }

  private void update(Map<String, Instant> batch) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try (PreparedStatement update = connection.prepareStatement(UPDATE)) {
        for (Map.Entry<String, Instant> entry : batch.entrySet()) {
          update.setLong(1, entry.getValue().toEpochMilli());
          update.setString(2, entry.getKey());
          update.setLong(3, entry.getValue().toEpochMilli());
          update.addBatch();
        }
        update.executeBatch();
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      }
    }
  }
}
