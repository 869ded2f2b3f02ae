package org.opencluster.persistence.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * Small named values that only an unsealed controller can read or forge (table
 * {@code oc_sealed_value}): each is AES-256-GCM under the active data key, bound to its kind and
 * name, so a record copied to another name, altered, or written by someone without the key fails
 * authentication. Deleting a row, or putting back an older record of the same name (for example
 * an approval since withdrawn), is not detected here: whoever can write the database can do that,
 * and only an anchor outside it (the audit log of the operations issue) would tell.
 *
 * <p>Thread-safe. Every call needs the seal open.
 */
public final class SealedValues {

  private static final byte[] LABEL = "opencluster/sealed-value/v1".getBytes(StandardCharsets.US_ASCII);
  private static final Pattern KIND = Pattern.compile("[a-z][a-z0-9-]{0,63}");
  private static final int MAX_NAME = 255;
  private static final String UNIQUE_VIOLATION = "23505";

  private final DataSource dataSource;
  private final Seal seal;
  private final Clock clock;

  public SealedValues(DataSource dataSource, Seal seal, Clock clock) {
    this.dataSource = dataSource;
    this.seal = seal;
    this.clock = clock;
  }

  /**
   * Stores {@code value} under ({@code kind}, {@code name}), replacing any earlier value.
   *
   * @throws IllegalStateException while sealed
   */
  public void put(String kind, String name, SecretBytes value) {
    byte[] record = seal.keyRing().encrypt(value, associatedData(kind, name));
    // Update, else insert; two writers of a new name race on the insert, and the loser updates:
    // the last writer wins, as with any replace.
    try (Connection connection = dataSource.getConnection()) {
      if (update(connection, kind, name, record) == 0) {
        try (PreparedStatement insert = connection.prepareStatement(
            "INSERT INTO oc_sealed_value (kind, name, record, updated_at) VALUES (?, ?, ?, ?)")) {
          insert.setString(1, kind);
          insert.setString(2, name);
          insert.setBytes(3, record);
          insert.setLong(4, clock.millis());
          insert.executeUpdate();
        } catch (SQLException e) {
          if (!UNIQUE_VIOLATION.equals(e.getSQLState()) || update(connection, kind, name, record) == 0) {
            throw e;
          }
        }
      }
    } catch (SQLException e) {
      throw new StorageException("cannot store " + kind + " '" + name + "': " + e.getMessage(), e);
    }
  }

  private int update(Connection connection, String kind, String name, byte[] record) throws SQLException {
    try (PreparedStatement update = connection.prepareStatement(
        "UPDATE oc_sealed_value SET record = ?, updated_at = ? WHERE kind = ? AND name = ?")) {
      update.setBytes(1, record);
      update.setLong(2, clock.millis());
      update.setString(3, kind);
      update.setString(4, name);
      return update.executeUpdate();
    }
  }

  /**
   * Stores {@code value} unless ({@code kind}, {@code name}) already has one.
   *
   * @return whether it was stored
   */
  public boolean putIfAbsent(String kind, String name, SecretBytes value) {
    byte[] record = seal.keyRing().encrypt(value, associatedData(kind, name));
    try (Connection connection = dataSource.getConnection();
        PreparedStatement insert = connection.prepareStatement(
            "INSERT INTO oc_sealed_value (kind, name, record, updated_at) VALUES (?, ?, ?, ?)")) {
      insert.setString(1, kind);
      insert.setString(2, name);
      insert.setBytes(3, record);
      insert.setLong(4, clock.millis());
      insert.executeUpdate();
      return true;
    } catch (SQLException e) {
      if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
        return false;
      }
      throw new StorageException("cannot store " + kind + " '" + name + "': " + e.getMessage(), e);
    }
  }

  /**
   * The value of ({@code kind}, {@code name}), if there is one. The caller closes it.
   *
   * @throws org.opencluster.persistence.keys.StorageIntegrityException if the stored record fails
   *     authentication
   */
  public Optional<SecretBytes> get(String kind, String name) {
    byte[][] associatedData = associatedData(kind, name);
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select = connection.prepareStatement(
            "SELECT record FROM oc_sealed_value WHERE kind = ? AND name = ?")) {
      select.setString(1, kind);
      select.setString(2, name);
      try (ResultSet row = select.executeQuery()) {
        if (!row.next()) {
          return Optional.empty();
        }
        return Optional.of(seal.keyRingHolding(keyIdOf(row.getBytes(1))).decrypt(row.getBytes(1), associatedData));
      }
    } catch (SQLException e) {
      throw new StorageException("cannot read " + kind + " '" + name + "': " + e.getMessage(), e);
    }
  }

  /** The names holding a value of {@code kind}, sorted. Their records are not opened. */
  public List<String> names(String kind) {
    requireKind(kind);
    List<String> names = new ArrayList<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select = connection.prepareStatement(
            "SELECT name FROM oc_sealed_value WHERE kind = ? ORDER BY name")) {
      select.setString(1, kind);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          names.add(rows.getString(1));
        }
      }
      return names;
    } catch (SQLException e) {
      throw new StorageException("cannot list " + kind + ": " + e.getMessage(), e);
    }
  }

  /** @return whether there was a value to remove */
  public boolean remove(String kind, String name) {
    associatedData(kind, name);
    try (Connection connection = dataSource.getConnection();
        PreparedStatement delete = connection.prepareStatement("DELETE FROM oc_sealed_value WHERE kind = ? AND name = ?")) {
      delete.setString(1, kind);
      delete.setString(2, name);
      return delete.executeUpdate() > 0;
    } catch (SQLException e) {
      throw new StorageException("cannot remove " + kind + " '" + name + "': " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "SealedValues[" + seal + "]";
  }

  private static int keyIdOf(byte[] record) {
    return org.opencluster.persistence.keys.DataKeyRing.keyIdOf(record);
  }

  private static byte[][] associatedData(String kind, String name) {
    requireKind(kind);
    if (name == null || name.isEmpty() || name.length() > MAX_NAME) {
      throw new IllegalArgumentException("a sealed value's name must be 1.." + MAX_NAME + " characters");
    }
    return new byte[][] {LABEL, kind.getBytes(StandardCharsets.US_ASCII), name.getBytes(StandardCharsets.UTF_8)};
  }

  private static void requireKind(String kind) {
    if (kind == null || !KIND.matcher(kind).matches()) {
      throw new IllegalArgumentException("a sealed value's kind must be lower-case letters, digits and '-'");
    }
  }
}
