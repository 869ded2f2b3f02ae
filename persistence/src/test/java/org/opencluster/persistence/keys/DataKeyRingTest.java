package org.opencluster.persistence.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.crypto.AesGcm;
import org.opencluster.protocol.crypto.SecretBytes;

class DataKeyRingTest {

  private static final byte[] PLAINTEXT = "node registered, token=secret-marker-41".getBytes(StandardCharsets.UTF_8);
  private static final byte[] MANIFEST = "7302:node-registered".getBytes(StandardCharsets.UTF_8);

  private final DataKeyRing ring = ring(1, 2);

  @Test
  void newRecords_useTheNewestKey_andRoundTrip() {
    byte[] record = ring.encrypt(PLAINTEXT, MANIFEST);
    assertThat(DataKeyRing.keyIdOf(record)).isEqualTo(2);
    try (SecretBytes opened = ring.decrypt(record, MANIFEST)) {
      assertThat(opened.copyBytes()).isEqualTo(PLAINTEXT);
    }
  }

  @Test
  void recordsUnderAnOlderKey_stayReadable() {
    byte[] old = ring(1).encrypt(PLAINTEXT, MANIFEST);
    assertThat(DataKeyRing.keyIdOf(old)).isEqualTo(1);
    assertThat(new String(ring.decrypt(old, MANIFEST).copyBytes(), StandardCharsets.UTF_8)).contains("marker-41");
  }

  @Test
  void everyFlippedByte_isRefused() {
    byte[] record = ring.encrypt(PLAINTEXT, MANIFEST);
    for (int i = 0; i < record.length; i++) {
      byte[] tampered = record.clone();
      tampered[i] ^= 1;
      assertThatThrownBy(() -> ring.decrypt(tampered, MANIFEST)).as("byte %d", i)
          .isInstanceOf(StorageIntegrityException.class).hasMessageNotContaining("marker");
    }
  }

  @Test
  void recordUnderAnotherManifest_isRefused() {
    byte[] record = ring.encrypt(PLAINTEXT, MANIFEST);
    assertThatThrownBy(() -> ring.decrypt(record, "7302:node-retired".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(StorageIntegrityException.class).hasMessageContaining("failed authentication");
  }

  @Test
  void recordUnderAKeyTheRingDoesNotHold_isRefusedByName() {
    byte[] future = ring(1, 2, 3).encrypt(PLAINTEXT, MANIFEST);
    assertThatThrownBy(() -> ring.decrypt(future, MANIFEST))
        .isInstanceOf(StorageIntegrityException.class).hasMessageContaining("data key 3");
  }

  @Test
  void plaintextOrTruncatedRecord_isRefused() {
    assertThatThrownBy(() -> ring.decrypt(PLAINTEXT, MANIFEST)).isInstanceOf(StorageIntegrityException.class);
    assertThatThrownBy(() -> ring.decrypt(new byte[] {1, 0, 0}, MANIFEST)).isInstanceOf(StorageIntegrityException.class);
    assertThatThrownBy(() -> ring.decrypt(new byte[0], MANIFEST)).isInstanceOf(StorageIntegrityException.class);
  }

  @Test
  void wrappedKey_isBoundToItsId() throws Exception {
    try (SecretBytes kek = SecretBytes.random(32);
        AesGcm aead = AesGcm.create(kek);
        SecretBytes dataKey = SecretBytes.random(32)) {
      byte[] wrapped = DataKeyRing.wrap(aead, 7, dataKey);
      assertThat(DataKeyRing.unwrap(aead, 7, wrapped).copyBytes()).isEqualTo(dataKey.copyBytes());
      assertThatThrownBy(() -> DataKeyRing.unwrap(aead, 8, wrapped)).isInstanceOf(Exception.class);
    }
  }

  @Test
  void toString_hidesTheKeys() {
    assertThat(ring.toString()).contains("[secret]");
  }

  private static DataKeyRing ring(int... ids) {
    java.util.Map<Integer, AesGcm> keys = new java.util.HashMap<>();
    for (int id : ids) {
      keys.put(id, KEYS.get(id));
    }
    return new DataKeyRing(keys);
  }

  private static final Map<Integer, AesGcm> KEYS = Map.of(
      1, AesGcm.create(SecretBytes.random(32)), 2, AesGcm.create(SecretBytes.random(32)), 3, AesGcm.create(SecretBytes.random(32)));
}
