package org.opencluster.persistence.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.opencluster.persistence.keys.KeyRingStore;

/** The seal record and wrapped data keys in tables {@code oc_seal} and {@code oc_data_key}. */
final class JdbcKeyRingStore implements KeyRingStore {

  private static final String UNIQUE_VIOLATION = "23505";

  private final DataSource dataSource;

  JdbcKeyRingStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  @Override
  public Optional<SealRecord> sealRecord() {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select = connection.prepareStatement(
            "SELECT shares, threshold, key_check, created_at FROM oc_seal WHERE id = 1");
        ResultSet row = select.executeQuery()) {
      if (!row.next()) {
        return Optional.empty();
      }
      return Optional.of(new SealRecord(row.getInt(1), row.getInt(2), row.getBytes(3), Instant.ofEpochMilli(row.getLong(4))));
    } catch (SQLException e) {
      throw new StorageException("cannot read the seal record: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean initialize(SealRecord seal, WrappedKey firstKey) {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try (PreparedStatement insertSeal = connection.prepareStatement(
              "INSERT INTO oc_seal (id, shares, threshold, key_check, created_at) VALUES (1, ?, ?, ?, ?)");
          PreparedStatement insertKey = connection.prepareStatement(
              "INSERT INTO oc_data_key (key_id, wrapped_key, created_at) VALUES (?, ?, ?)")) {
        insertSeal.setInt(1, seal.shares());
        insertSeal.setInt(2, seal.threshold());
        insertSeal.setBytes(3, seal.keyCheck());
        insertSeal.setLong(4, seal.createdAt().toEpochMilli());
        insertSeal.executeUpdate();
        bind(insertKey, firstKey).executeUpdate();
        connection.commit();
        return true;
      } catch (SQLException e) {
        connection.rollback();
        if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
          return false;
        }
        throw e;
      }
    } catch (SQLException e) {
      throw new StorageException("cannot store the seal record: " + e.getMessage(), e);
    }
  }

  @Override
  public List<WrappedKey> wrappedKeys() {
    List<WrappedKey> keys = new ArrayList<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select = connection.prepareStatement(
            "SELECT key_id, wrapped_key, created_at FROM oc_data_key ORDER BY key_id");
        ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        keys.add(new WrappedKey(rows.getInt(1), rows.getBytes(2), Instant.ofEpochMilli(rows.getLong(3))));
      }
      return keys;
    } catch (SQLException e) {
      throw new StorageException("cannot read the data keys: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean addWrappedKey(WrappedKey key) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement insert = connection.prepareStatement(
            "INSERT INTO oc_data_key (key_id, wrapped_key, created_at) VALUES (?, ?, ?)")) {
      bind(insert, key).executeUpdate();
      return true;
    } catch (SQLException e) {
      if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
        return false;
      }
      throw new StorageException("cannot store data key " + key.keyId() + ": " + e.getMessage(), e);
    }
  }

  private static PreparedStatement bind(PreparedStatement insert, WrappedKey key) throws SQLException {
    insert.setInt(1, key.keyId());
    insert.setBytes(2, key.wrapped());
    insert.setLong(3, key.createdAt().toEpochMilli());
    return insert;
  }
}
