package org.opencluster.controller.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.testing.TestDatabases;

/** The read model's heartbeat bucket writer on a real (H2) store with the controller's migrations. */
class HeartbeatBucketWriterTest {

  private static final Instant HOUR = Instant.parse("2026-06-01T12:00:00Z");
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private Storage storage;

  @BeforeEach
  void open() throws SQLException {
    storage = Storage.open(TestDatabases.freshH2());
    for (String id : new String[] {"n-1", "n-2", "n-3", "n-4"}) {
      try (Connection connection = storage.dataSource().getConnection();
          PreparedStatement insert = connection.prepareStatement("INSERT INTO node_view (id, name, labels, stage, "
              + "registered_at, lifetime_ends_at, updated_at) VALUES (?, ?, '{}', 'active', 0, 1, 0)")) {
        insert.setString(1, id);
        insert.setString(2, "host-" + id);
        insert.executeUpdate();
      }
    }
  }

  @AfterEach
  void close() {
    storage.close();
  }

  @Test
  void aBucket_reachesTheNodesRow_andNeverMovesBack() throws SQLException {
    try (HeartbeatBucketWriter writer = HeartbeatBucketWriter.start(storage.dataSource(), 100)) {
      writer.entered("n-1", HOUR);
      await().atMost(TIMEOUT).until(() -> bucket("n-1").equals(Optional.of(HOUR)));

      writer.entered("n-1", HOUR.minus(Duration.ofHours(2)));
      writer.entered("n-2", HOUR);
      await().atMost(TIMEOUT).until(() -> bucket("n-2").equals(Optional.of(HOUR)));
      assertThat(bucket("n-1")).as("an earlier bucket does not replace a later one").contains(HOUR);

      writer.entered("n-unknown", HOUR);
      writer.entered("n-3", HOUR.plus(Duration.ofHours(1)));
      await().atMost(TIMEOUT).until(() -> bucket("n-3").equals(Optional.of(HOUR.plus(Duration.ofHours(1)))));
      assertThat(writer.dropped()).isZero();
    }
  }

  @Test
  void aFullWriter_dropsAndCounts_withoutBlocking_andKeepsTheLatestBucketPerNode() throws SQLException {
    HeartbeatBucketWriter writer = new HeartbeatBucketWriter(storage.dataSource(), 2);
    writer.entered("n-1", HOUR);
    writer.entered("n-1", HOUR.plus(Duration.ofHours(1)));
    writer.entered("n-2", HOUR);
    writer.entered("n-3", HOUR);
    writer.entered("n-4", HOUR);
    assertThat(writer.dropped()).as("two nodes wait; the others are dropped, the caller never waits").isEqualTo(2);

    writer.startWriting();
    try (writer) {
      await().atMost(TIMEOUT).until(() -> bucket("n-2").isPresent() && bucket("n-1").isPresent());
      assertThat(bucket("n-1")).as("a node's later bucket replaced its earlier one").contains(HOUR.plus(Duration.ofHours(1)));
      assertThat(bucket("n-3")).isEmpty();
      assertThat(bucket("n-4")).isEmpty();
    }
  }

  private Optional<Instant> bucket(String id) throws SQLException {
    try (Connection connection = storage.dataSource().getConnection();
        PreparedStatement select = connection.prepareStatement("SELECT heartbeat_bucket FROM node_view WHERE id = ?")) {
      select.setString(1, id);
      try (ResultSet row = select.executeQuery()) {
        row.next();
        long millis = row.getLong(1);
        return row.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
      }
    }
  }
}
