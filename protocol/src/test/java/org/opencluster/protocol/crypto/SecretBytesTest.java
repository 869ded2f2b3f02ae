package org.opencluster.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SecretBytesTest {

  private static final byte[] PASSWORD = "hunter2-correct-horse".getBytes(StandardCharsets.UTF_8);

  @Test
  void toString_neverShowsTheContent() {
    try (SecretBytes secret = SecretBytes.copyOf(PASSWORD)) {
      assertThat(secret.toString()).isEqualTo("[secret]");
      assertThat(String.valueOf(secret)).doesNotContain("hunter2");
    }
  }

  @Test
  void close_zeroesTheBuffer() {
    byte[] owned = PASSWORD.clone();
    SecretBytes secret = SecretBytes.adopt(owned);
    secret.close();
    assertThat(owned).containsOnly(0);
    assertThat(secret.isDestroyed()).isTrue();
  }

  @Test
  void useAfterClose_isRefused() {
    SecretBytes secret = SecretBytes.copyOf(PASSWORD);
    secret.close();
    assertThatThrownBy(secret::copyBytes).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(secret::length).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> secret.writeTo(new ByteArrayOutputStream())).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void close_isIdempotent() {
    SecretBytes secret = SecretBytes.copyOf(PASSWORD);
    secret.close();
    secret.close();
    assertThat(secret.isDestroyed()).isTrue();
  }

  @Test
  void copyOf_doesNotAliasTheSource() {
    byte[] source = PASSWORD.clone();
    try (SecretBytes secret = SecretBytes.copyOf(source)) {
      source[0] ^= 1;
      assertThat(secret.copyBytes()).isEqualTo(PASSWORD);
    }
  }

  @Test
  void copyOfARangeOutsideTheSource_isRefused() {
    assertThatThrownBy(() -> SecretBytes.copyOf(new byte[4], 0, 64)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> SecretBytes.copyOf(new byte[4], 3, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    try (SecretBytes middle = SecretBytes.copyOf(new byte[] {1, 2, 3, 4}, 1, 2)) {
      assertThat(middle.copyBytes()).containsExactly(2, 3);
    }
  }

  @Test
  void copy_isIndependentOfTheOriginal() {
    SecretBytes original = SecretBytes.copyOf(PASSWORD);
    try (SecretBytes copy = original.copy()) {
      original.close();
      assertThat(copy.copyBytes()).isEqualTo(PASSWORD);
    }
  }

  @Test
  void equals_comparesContent() {
    try (SecretBytes a = SecretBytes.copyOf(PASSWORD);
        SecretBytes b = SecretBytes.copyOf(PASSWORD);
        SecretBytes c = SecretBytes.copyOf("hunter3-correct-horse".getBytes(StandardCharsets.UTF_8));
        SecretBytes shorter = SecretBytes.copyOf("hunter2".getBytes(StandardCharsets.UTF_8))) {
      assertThat(a.equalsConstantTime(b)).isTrue();
      assertThat(a).isEqualTo(b);
      assertThat(a.equalsConstantTime(c)).isFalse();
      assertThat(a.equalsConstantTime(shorter)).isFalse();
    }
  }

  @Test
  void hashCode_dependsOnlyOnLength() {
    try (SecretBytes a = SecretBytes.copyOf(new byte[] {1, 2, 3});
        SecretBytes b = SecretBytes.copyOf(new byte[] {9, 8, 7})) {
      assertThat(a.hashCode()).isEqualTo(b.hashCode());
    }
  }

  @Test
  void writeTo_writesTheContent() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (SecretBytes secret = SecretBytes.copyOf(PASSWORD)) {
      secret.writeTo(out);
    }
    assertThat(out.toByteArray()).isEqualTo(PASSWORD);
  }

  @Test
  void random_givesDistinctValuesOfTheRequestedLength() {
    try (SecretBytes a = SecretBytes.random(32);
        SecretBytes b = SecretBytes.random(32)) {
      assertThat(a.length()).isEqualTo(32);
      assertThat(a.equalsConstantTime(b)).isFalse();
    }
    assertThatThrownBy(() -> SecretBytes.random(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
