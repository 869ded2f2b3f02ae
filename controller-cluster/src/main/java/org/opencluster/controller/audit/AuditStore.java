package org.opencluster.controller.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.opencluster.persistence.keys.DataKeyRing;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.keys.StorageIntegrityException;

/**
 * The audit tables ({@code oc_audit_record}, {@code oc_audit_head}, migration V5).
 *
 * <p>One chain for every controller: an append locks the single head row ({@code SELECT ... FOR
 * UPDATE}), reads the newest record's place and hash from it, inserts the next records and moves
 * the head, in one transaction. Appenders on any controller queue on that row lock, so each sees
 * the head the previous one committed: no two records get the same place and none is chained to a
 * stale predecessor. {@code seq} is also the primary key, so even a writer that skipped the lock
 * could not fork the chain, only fail. A head that fails authentication stops every append (fail
 * closed) until it is looked at.
 */
final class AuditStore {

  /** One stored row, unopened. */
  record Row(long seq, byte[] record) {}

  private final DataSource dataSource;
  private final Seal seal;
  private final String controller;

  AuditStore(DataSource dataSource, Seal seal, String controller) {
    this.dataSource = dataSource;
    this.seal = seal;
    this.controller = controller;
  }

  /**
   * Appends {@code events} in order, as one transaction.
   *
   * @return the new head: the last event's place and chain hash
   * @throws AuditException if the database refuses
   * @throws StorageIntegrityException if the stored head fails authentication
   * @throws IllegalStateException while sealed
   */
  AuditChain.Head append(List<AuditEvent> events) {
    DataKeyRing ring = seal.keyRing();
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        AuditChain.Head head;
        try (PreparedStatement lock = connection.prepareStatement("SELECT head FROM oc_audit_head WHERE id = 1 FOR UPDATE");
            ResultSet row = lock.executeQuery()) {
          if (!row.next()) {
            throw new StorageIntegrityException("the audit head row is missing: the table was modified");
          }
          head = AuditChain.openHead(seal, row.getBytes(1));
        }
        long seq = head.seq();
        byte[] hash = head.hash();
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO oc_audit_record (seq, record) VALUES (?, ?)")) {
          for (AuditEvent event : events) {
            seq++;
            byte[] record = AuditChain.seal(ring, seq, hash, controller, event);
            insert.setLong(1, seq);
            insert.setBytes(2, record);
            insert.addBatch();
            hash = AuditChain.hash(hash, seq, record);
          }
          insert.executeBatch();
        }
        AuditChain.Head next = new AuditChain.Head(seq, hash);
        try (PreparedStatement update = connection.prepareStatement("UPDATE oc_audit_head SET head = ? WHERE id = 1")) {
          update.setBytes(1, AuditChain.sealHead(ring, next));
          update.executeUpdate();
        }
        connection.commit();
        return next;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new AuditException("cannot write audit records: " + e.getMessage(), e);
    }
  }

  /** The stored head, unopened: null before the first record. */
  byte[] sealedHead() {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select = connection.prepareStatement("SELECT head FROM oc_audit_head WHERE id = 1");
        ResultSet row = select.executeQuery()) {
      if (!row.next()) {
        throw new StorageIntegrityException("the audit head row is missing: the table was modified");
      }
      return row.getBytes(1);
    } catch (SQLException e) {
      throw new AuditException("cannot read the audit head: " + e.getMessage(), e);
    }
  }

  /** At most {@code limit} rows after {@code after}, by place. */
  List<Row> rows(long after, int limit) {
    List<Row> rows = new ArrayList<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select = connection.prepareStatement(
            "SELECT seq, record FROM oc_audit_record WHERE seq > ? ORDER BY seq LIMIT ?")) {
      select.setLong(1, after);
      select.setInt(2, limit);
      try (ResultSet result = select.executeQuery()) {
        while (result.next()) {
          rows.add(new Row(result.getLong(1), result.getBytes(2)));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new AuditException("cannot read audit records: " + e.getMessage(), e);
    }
  }
}
