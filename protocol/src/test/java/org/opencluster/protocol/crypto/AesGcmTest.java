package org.opencluster.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AesGcmTest {

  private static final byte[] PLAINTEXT = "event: password=marker-7d1f".getBytes(StandardCharsets.UTF_8);
  private static final byte[] AAD = "7301|node-registered".getBytes(StandardCharsets.UTF_8);

  private final SecretBytes key = SecretBytes.random(32);
  private final AesGcm aead = AesGcm.create(key);

  @AfterEach
  void close() {
    aead.close();
    key.close();
  }

  @Test
  void encryptThenDecrypt_roundTrips() throws Exception {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, AAD);
    assertThat(ciphertext).hasSize(PLAINTEXT.length + AesGcm.OVERHEAD);
    try (SecretBytes plaintext = aead.decrypt(ciphertext, AAD)) {
      assertThat(plaintext.copyBytes()).isEqualTo(PLAINTEXT);
    }
  }

  @Test
  void decryptWithinALargerBuffer_usesOnlyTheGivenRange() throws Exception {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, AAD);
    byte[] framed = new byte[ciphertext.length + 7];
    System.arraycopy(ciphertext, 0, framed, 5, ciphertext.length);
    try (SecretBytes plaintext = aead.decryptRange(framed, 5, ciphertext.length, AAD)) {
      assertThat(plaintext.copyBytes()).isEqualTo(PLAINTEXT);
    }
  }

  @Test
  void noncesDiffer_soEqualPlaintextsGiveDifferentCiphertexts() {
    assertThat(aead.encrypt(PLAINTEXT, AAD)).isNotEqualTo(aead.encrypt(PLAINTEXT, AAD));
  }

  @Test
  void everyFlippedByte_isRefused() {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, AAD);
    for (int i = 0; i < ciphertext.length; i++) {
      byte[] tampered = ciphertext.clone();
      tampered[i] ^= 1;
      assertThatThrownBy(() -> aead.decrypt(tampered, AAD)).isInstanceOf(AeadException.class)
          .hasMessageNotContaining("marker");
    }
  }

  @Test
  void truncation_isRefused() {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, AAD);
    for (int length = 0; length < ciphertext.length; length++) {
      byte[] truncated = Arrays.copyOf(ciphertext, length);
      assertThatThrownBy(() -> aead.decrypt(truncated, AAD)).isInstanceOf(AeadException.class);
    }
  }

  @Test
  void wrongAssociatedData_isRefused() {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, AAD);
    assertThatThrownBy(() -> aead.decrypt(ciphertext, "7301|node-retired".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(AeadException.class);
  }

  @Test
  void associatedDataParts_cannotBeRegrouped() {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, "n1".getBytes(StandardCharsets.UTF_8), "2db".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> aead.decrypt(ciphertext, "n12".getBytes(StandardCharsets.UTF_8), "db".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(AeadException.class);
  }

  @Test
  void useAfterClose_isRefusedAndNeverFallsBackToAZeroKey() {
    aead.close();
    assertThatThrownBy(() -> aead.encrypt(PLAINTEXT, AAD)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void wrongKey_isRefused() {
    byte[] ciphertext = aead.encrypt(PLAINTEXT, AAD);
    try (SecretBytes other = SecretBytes.random(32);
        AesGcm otherAead = AesGcm.create(other)) {
      assertThatThrownBy(() -> otherAead.decrypt(ciphertext, AAD)).isInstanceOf(AeadException.class);
    }
  }

  @Test
  void keyOfWrongLength_isRefused() {
    try (SecretBytes shortKey = SecretBytes.random(16)) {
      assertThatThrownBy(() -> AesGcm.create(shortKey)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
