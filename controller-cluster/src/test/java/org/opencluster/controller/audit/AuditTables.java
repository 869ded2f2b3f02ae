package org.opencluster.controller.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/** What someone with write access to the database can do to the audit tables, for the tamper tests. */
public final class AuditTables {

  private final DataSource dataSource;

  public AuditTables(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  public byte[] record(long seq) throws SQLException {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select = connection.prepareStatement("SELECT record FROM oc_audit_record WHERE seq = ?")) {
      select.setLong(1, seq);
      try (ResultSet row = select.executeQuery()) {
        if (!row.next()) {
          throw new IllegalStateException("no record " + seq);
        }
        return row.getBytes(1);
      }
    }
  }

  public void write(long seq, byte[] record) throws SQLException {
    update("UPDATE oc_audit_record SET record = ? WHERE seq = ?", record, seq);
  }

  public void delete(long seq) throws SQLException {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement delete = connection.prepareStatement("DELETE FROM oc_audit_record WHERE seq = ?")) {
      delete.setLong(1, seq);
      delete.executeUpdate();
    }
  }

  /** Exchanges two records' places. */
  public void swap(long a, long b) throws SQLException {
    byte[] first = record(a);
    byte[] second = record(b);
    write(a, second);
    write(b, first);
  }

  public byte[] head() throws SQLException {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select = connection.prepareStatement("SELECT head FROM oc_audit_head WHERE id = 1");
        ResultSet row = select.executeQuery()) {
      row.next();
      return row.getBytes(1);
    }
  }

  public void writeHead(byte[] head) throws SQLException {
    update("UPDATE oc_audit_head SET head = ? WHERE id = 1", head, null);
  }

  public long count() throws SQLException {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM oc_audit_record");
        ResultSet row = select.executeQuery()) {
      row.next();
      return row.getLong(1);
    }
  }

  private void update(String sql, byte[] bytes, Long seq) throws SQLException {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement update = connection.prepareStatement(sql)) {
      update.setBytes(1, bytes);
      if (seq != null) {
        update.setLong(2, seq);
      }
      update.executeUpdate();
    }
  }
}
