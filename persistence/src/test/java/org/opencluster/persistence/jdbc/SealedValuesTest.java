package org.opencluster.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.keys.StorageIntegrityException;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.persistence.testing.TestSeals;
import org.opencluster.protocol.crypto.SecretBytes;

class SealedValuesTest {

  private static final String MARKER = "sealed-marker-5e1f";

  private Storage storage;
  private Seal seal;
  private SealedValues values;

  @BeforeEach
  void open() {
    storage = Storage.open(TestDatabases.freshH2());
    seal = TestSeals.unsealed(storage);
    values = new SealedValues(storage.dataSource(), seal, Clock.systemUTC());
  }

  @AfterEach
  void close() {
    seal.seal();
    storage.close();
  }

  @Test
  void aValue_isStoredEncrypted_readBack_listedAndRemoved() throws Exception {
    values.put("test-kind", "b", secret(MARKER));
    values.put("test-kind", "a", secret("other"));
    values.put("test-kind", "b", secret(MARKER + "-2"));
    assertThat(values.putIfAbsent("test-kind", "a", secret("ignored"))).isFalse();

    try (SecretBytes read = values.get("test-kind", "b").orElseThrow()) {
      assertThat(new String(read.copyBytes(), StandardCharsets.UTF_8)).isEqualTo(MARKER + "-2");
    }
    assertThat(values.names("test-kind")).containsExactly("a", "b");
    assertThat(values.names("other-kind")).isEmpty();
    assertThat(rawRecord("b")).asString(StandardCharsets.ISO_8859_1).doesNotContain(MARKER);

    assertThat(values.remove("test-kind", "b")).isTrue();
    assertThat(values.remove("test-kind", "b")).isFalse();
    assertThat(values.get("test-kind", "b")).isEmpty();
  }

  @Test
  void aFlippedByte_failsAuthentication() throws Exception {
    values.put("test-kind", "a", secret(MARKER));
    byte[] record = rawRecord("a");
    record[record.length - 1] ^= 1;
    writeRecord("a", record);
    assertThatThrownBy(() -> values.get("test-kind", "a")).isInstanceOf(StorageIntegrityException.class);
  }

  @Test
  void aRecordCopiedToAnotherName_failsAuthentication() throws Exception {
    values.put("test-kind", "approved", secret("yes"));
    values.put("test-kind", "intruder", secret("no"));
    writeRecord("intruder", rawRecord("approved"));
    assertThatThrownBy(() -> values.get("test-kind", "intruder")).isInstanceOf(StorageIntegrityException.class);
  }

  @Test
  void whileSealed_nothingIsReadOrWritten() {
    values.put("test-kind", "stored", secret("x"));
    seal.seal();
    assertThatThrownBy(() -> values.put("test-kind", "a", secret("x"))).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> values.get("test-kind", "stored")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void badKindsAndNames_areRefused() {
    assertThatThrownBy(() -> values.put("Bad Kind", "a", secret("x"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> values.put("kind", "", secret("x"))).isInstanceOf(IllegalArgumentException.class);
  }

  private static SecretBytes secret(String text) {
    return SecretBytes.copyOf(text.getBytes(StandardCharsets.UTF_8));
  }

  private byte[] rawRecord(String name) throws Exception {
    try (Connection connection = storage.dataSource().getConnection();
        PreparedStatement select = connection.prepareStatement("SELECT record FROM oc_sealed_value WHERE kind = 'test-kind' AND name = ?")) {
      select.setString(1, name);
      try (ResultSet row = select.executeQuery()) {
        row.next();
        return row.getBytes(1);
      }
    }
  }

  private void writeRecord(String name, byte[] record) throws Exception {
    try (Connection connection = storage.dataSource().getConnection();
        PreparedStatement update = connection.prepareStatement("UPDATE oc_sealed_value SET record = ? WHERE kind = 'test-kind' AND name = ?")) {
      update.setBytes(1, record);
      update.setString(2, name);
      assertThat(update.executeUpdate()).isEqualTo(1);
    }
  }
}
