package org.opencluster.agent.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.opencluster.agent.files.Deliveries.secret;

import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.crypto.SecretBytes;

class LockedSecretTest {

  @Test
  void aCopy_holdsTheSecretsBytes_andWritesThemToAChannel() throws Exception {
    try (LockedSecret secret = secret("db password")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      secret.writeTo(Channels.newChannel(out));
      assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("db password");
      assertThat(secret.length()).isEqualTo(11);
    }
  }

  @Test
  void aCopy_isLockedInMemory() {
    // The tests run as root (CAP_IPC_LOCK); MemoryLockTest covers a process that may not lock.
    try (LockedSecret secret = secret("x".repeat(10_000))) {
      assertThat(secret.isLocked()).isTrue();
      assertThat(secret.lockFailure()).isNull();
    }
  }

  @Test
  void aCopy_outlivesTheSecretBytesItCameFrom() throws Exception {
    SecretBytes decrypted = SecretBytes.copyOf("key".getBytes(StandardCharsets.UTF_8));
    try (LockedSecret secret = LockedSecret.copyOf(decrypted)) {
      decrypted.close();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      secret.writeTo(Channels.newChannel(out));
      assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("key");
    }
  }

  @Test
  void toString_neverShowsTheContent() {
    try (LockedSecret secret = secret("hunter2")) {
      assertThat(secret.toString()).isEqualTo("LockedSecret[7 bytes]").doesNotContain("hunter2");
    }
  }

  @Test
  void close_zeroesTheMemory_andRefusesEveryLaterUse() {
    LockedSecret secret = secret("to be wiped");
    secret.close();
    assertThat(secret.isClosed()).isTrue();
    assertThat(secret.wasZeroed()).isTrue();
    assertThatThrownBy(() -> secret.writeTo(Channels.newChannel(new ByteArrayOutputStream())))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("after it was closed");
    secret.close();
  }

  @Test
  void closeDuringAWrite_zeroesAtOnce_andTheWriteSeesZerosNotFreedMemory() throws Exception {
    LockedSecret secret = secret("in use");
    assertThat(secret.tryAcquire()).isTrue();
    secret.close();
    assertThat(secret.wasZeroed()).isTrue();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    secret.writeAcquired(Channels.newChannel(out));
    secret.release();
    assertThat(out.toByteArray()).containsOnly(0).hasSize(6);
  }

  @Test
  void aRetiredSecret_closesWhenItsLastWriteEnds() {
    LockedSecret secret = secret("old version");
    assertThat(secret.tryAcquire()).isTrue();
    secret.retire();
    assertThat(secret.isClosed()).as("still being written").isFalse();
    assertThat(secret.tryAcquire()).as("no new use").isFalse();
    secret.release();
    assertThat(secret.isClosed()).isTrue();
    assertThat(secret.wasZeroed()).isTrue();
  }

  @Test
  void sameContentAs_comparesTheBytes() {
    try (LockedSecret a = secret("same bytes here!"); LockedSecret b = secret("same bytes here!");
        LockedSecret c = secret("same bytes here?"); LockedSecret d = secret("shorter")) {
      assertThat(a.sameContentAs(b)).isTrue();
      assertThat(a.sameContentAs(c)).isFalse();
      assertThat(a.sameContentAs(d)).isFalse();
    }
  }

  @Test
  void anEmptySecret_isAllowed_andWritesNothing() throws Exception {
    try (LockedSecret empty = secret(new byte[0])) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      empty.writeTo(Channels.newChannel(out));
      assertThat(out.size()).isZero();
      assertThat(empty.sameContentAs(secret(new byte[0]))).isTrue();
    }
  }
}
