package org.opencluster.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.opencluster.protocol.crypto.FrameMac.Direction.AGENT_TO_CONTROLLER;
import static org.opencluster.protocol.crypto.FrameMac.Direction.CONTROLLER_TO_AGENT;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FrameMacTest {

  private static final String NODE = "node-7";
  private static final byte[] SESSION = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final long SEQUENCE = 42;
  private static final byte[] PAYLOAD = "heartbeat".getBytes(StandardCharsets.US_ASCII);

  private final SecretBytes key = SecretBytes.random(32);
  private final FrameMac frameMac = FrameMac.create(key);
  private final byte[] mac = frameMac.compute(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE, PAYLOAD);

  @AfterEach
  void close() {
    frameMac.close();
    key.close();
  }

  @Test
  void untouchedFrame_verifies() {
    assertThat(mac).hasSize(FrameMac.MAC_LENGTH);
    assertThatCode(() -> frameMac.verify(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE, PAYLOAD, mac))
        .doesNotThrowAnyException();
  }

  @Test
  void frameReflectedInTheOtherDirection_isRefused() {
    assertRefused(() -> frameMac.verify(CONTROLLER_TO_AGENT, NODE, SESSION, SEQUENCE, PAYLOAD, mac));
  }

  @Test
  void frameForAnotherNode_isRefused() {
    assertRefused(() -> frameMac.verify(AGENT_TO_CONTROLLER, "node-8", SESSION, SEQUENCE, PAYLOAD, mac));
  }

  @Test
  void frameForAnotherSession_isRefused() {
    byte[] other = SESSION.clone();
    other[0] ^= 1;
    assertRefused(() -> frameMac.verify(AGENT_TO_CONTROLLER, NODE, other, SEQUENCE, PAYLOAD, mac));
  }

  @Test
  void frameWithAnotherSequence_isRefused() {
    assertRefused(() -> frameMac.verify(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE + 1, PAYLOAD, mac));
  }

  @Test
  void everyFlippedPayloadByte_isRefused() {
    for (int i = 0; i < PAYLOAD.length; i++) {
      byte[] tampered = PAYLOAD.clone();
      tampered[i] ^= 1;
      assertRefused(() -> frameMac.verify(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE, tampered, mac));
    }
  }

  @Test
  void everyFlippedMacByte_isRefused() {
    for (int i = 0; i < mac.length; i++) {
      byte[] tampered = mac.clone();
      tampered[i] ^= 1;
      assertRefused(() -> frameMac.verify(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE, PAYLOAD, tampered));
    }
  }

  @Test
  void missingOrTruncatedMac_isRefused() {
    assertRefused(() -> frameMac.verify(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE, PAYLOAD, null));
    assertRefused(() -> frameMac.verify(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE, PAYLOAD, new byte[0]));
    byte[] truncated = java.util.Arrays.copyOf(mac, 16);
    assertRefused(() -> frameMac.verify(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE, PAYLOAD, truncated));
  }

  @Test
  void macUnderAnotherKey_isRefused() {
    try (SecretBytes otherKey = SecretBytes.random(32);
        FrameMac other = FrameMac.create(otherKey)) {
      byte[] forged = other.compute(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE, PAYLOAD);
      assertRefused(() -> frameMac.verify(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE, PAYLOAD, forged));
    }
  }

  @Test
  void fieldBoundaries_cannotBeShifted() {
    byte[] a = frameMac.compute(AGENT_TO_CONTROLLER, "ab", "c".getBytes(StandardCharsets.US_ASCII), 1, PAYLOAD);
    byte[] b = frameMac.compute(AGENT_TO_CONTROLLER, "a", "bc".getBytes(StandardCharsets.US_ASCII), 1, PAYLOAD);
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void keyOfWrongLength_isRefused() {
    try (SecretBytes shortKey = SecretBytes.random(16)) {
      assertThatThrownBy(() -> FrameMac.create(shortKey)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void closedMac_cannotBeUsed() {
    frameMac.close();
    assertThatThrownBy(() -> frameMac.compute(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE, PAYLOAD))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void closingWhileVerifying_neverAcceptsAMacUnderTheZeroKey() throws Exception {
    byte[] zeroKeyMac;
    try (SecretBytes zero = SecretBytes.copyOf(new byte[32]);
        FrameMac zeroMac = FrameMac.create(zero)) {
      zeroKeyMac = zeroMac.compute(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE, PAYLOAD);
    }
    java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
    for (int round = 0; round < 300; round++) {
      try (SecretBytes roundKey = SecretBytes.random(32)) {
        FrameMac shared = FrameMac.create(roundKey);
        Thread verifier = new Thread(() -> {
          for (int i = 0; i < 50; i++) {
            try {
              shared.verify(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE, PAYLOAD, zeroKeyMac);
              accepted.incrementAndGet();
            } catch (FrameMacException | IllegalStateException expected) {
              // refused, or used after close: both fine
            }
          }
        });
        verifier.start();
        shared.close();
        verifier.join();
      }
    }
    assertThat(accepted).hasValue(0);
  }

  @Test
  void closingTheCallersKey_doesNotAffectTheMac() {
    key.close();
    assertThatCode(() -> frameMac.verify(AGENT_TO_CONTROLLER, NODE, SESSION, SEQUENCE, PAYLOAD, mac))
        .doesNotThrowAnyException();
  }

  @Test
  void toString_hidesTheKey() {
    assertThat(frameMac.toString()).contains("[secret]");
  }

  private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOf(FrameMacException.class).hasMessage("frame refused: MAC does not verify");
  }
}
