package org.opencluster.protocol.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.crypto.SessionKeys;

class SessionChannelTest {

  private static final byte[] SESSION = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PAYLOAD = "heartbeat".getBytes(StandardCharsets.US_ASCII);

  private final MovableClock agentClock = new MovableClock(Instant.parse("2026-06-01T12:00:00Z"));
  private final SessionChannel agent;
  private final SessionChannel controller;

  SessionChannelTest() throws Exception {
    KeyPair a = EcKeys.generate();
    KeyPair c = EcKeys.generate();
    byte[] hello = {1};
    byte[] welcome = {2};
    agent = new SessionChannel("n-1", SESSION, SessionKeys.forAgent(a, (ECPublicKey) c.getPublic(), hello, welcome), true,
        1024, agentClock);
    controller = new SessionChannel("n-1", SESSION, SessionKeys.forController(c, (ECPublicKey) a.getPublic(), hello,
        welcome), false, 1024, Clock.systemUTC());
  }

  @AfterEach
  void close() {
    agent.close();
    controller.close();
  }

  @Test
  void framesInOrder_areOpened() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(controller.open(agent.seal(PAYLOAD))).isEqualTo(PAYLOAD);
    }
  }

  @Test
  void aGapInSequence_isAccepted_butNothingAtOrBelowTheHighest() throws Exception {
    Frame first = agent.seal(PAYLOAD);
    agent.seal(PAYLOAD);
    Frame third = agent.seal(PAYLOAD);
    controller.open(third);
    assertRefused(first, FrameRefusedException.Reason.REPLAYED);
  }

  @Test
  void replayedFrame_isRefused() throws Exception {
    Frame frame = agent.seal(PAYLOAD);
    controller.open(frame);
    assertRefused(frame, FrameRefusedException.Reason.REPLAYED);
  }

  @Test
  void frameReflectedBackToItsSender_isRefused() {
    Frame frame = agent.seal(PAYLOAD);
    assertThatThrownBy(() -> agent.open(frame))
        .isInstanceOfSatisfying(FrameRefusedException.class, e -> assertThat(e.reason()).isEqualTo(FrameRefusedException.Reason.BAD_MAC));
  }

  @Test
  void frameWithAForgedSequence_isRefusedByTheMac() {
    Frame frame = agent.seal(PAYLOAD).toBuilder().setSequence(99).build();
    assertRefused(frame, FrameRefusedException.Reason.BAD_MAC);
  }

  @Test
  void frameForAnotherNodeOrSession_isRefused() {
    assertRefused(agent.seal(PAYLOAD).toBuilder().setNodeId("n-2").build(), FrameRefusedException.Reason.WRONG_NODE);
    assertRefused(agent.seal(PAYLOAD).toBuilder().setSessionId(ByteString.copyFromUtf8("fedcba9876543210")).build(),
        FrameRefusedException.Reason.UNKNOWN_SESSION);
  }

  @Test
  void oversizedFrame_isRefusedBeforeItsMacIsComputed() {
    Frame huge = agent.seal(PAYLOAD).toBuilder().setPayload(ByteString.copyFrom(new byte[2048])).build();
    assertRefused(huge, FrameRefusedException.Reason.OVERSIZED);
    assertThatThrownBy(() -> agent.seal(new byte[2048])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusedFrame_leavesTheChannelUsable() throws Exception {
    assertRefused(agent.seal(PAYLOAD).toBuilder().setMac(ByteString.copyFrom(new byte[32])).build(),
        FrameRefusedException.Reason.BAD_MAC);
    assertThat(controller.open(agent.seal(PAYLOAD))).isEqualTo(PAYLOAD);
  }

  @Test
  void sequenceNumbers_sayWhenAFrameWasMade_andStillAlwaysIncrease() throws Exception {
    Instant at = agentClock.instant();
    Frame first = agent.seal(PAYLOAD);
    Frame second = agent.seal(PAYLOAD);
    assertThat(first.getSequence()).isEqualTo(SessionChannel.sequenceAt(at));
    assertThat(second.getSequence()).as("same instant: the next number").isEqualTo(first.getSequence() + 1);
    agentClock.advance(Duration.ofSeconds(5));
    assertThat(agent.seal(PAYLOAD).getSequence()).isEqualTo(SessionChannel.sequenceAt(at.plusSeconds(5)));
    agentClock.advance(Duration.ofSeconds(-60));
    assertThat(agent.seal(PAYLOAD).getSequence()).as("a clock stepped back does not go back")
        .isEqualTo(SessionChannel.sequenceAt(at.plusSeconds(5)) + 1);
  }

  @Test
  void aSessionTakenOverByAnotherController_goesOn_andRefusesFramesMadeBeforeTheTakeOver() throws Exception {
    Frame beforeTakeOver = agent.seal(PAYLOAD);
    controller.open(beforeTakeOver);
    agentClock.advance(Duration.ofSeconds(30));
    Instant takeOver = agentClock.instant().minusSeconds(10);
    try (SecretBytes kept = controller.exportFrameKey();
        SessionChannel successor = SessionChannel.restoreForController("n-1", SESSION, kept, 1024, Clock.systemUTC(),
            takeOver)) {
      assertThatThrownBy(() -> successor.open(beforeTakeOver)).isInstanceOfSatisfying(FrameRefusedException.class,
          e -> assertThat(e.reason()).isEqualTo(FrameRefusedException.Reason.REPLAYED));
      assertThat(successor.open(agent.seal(PAYLOAD))).isEqualTo(PAYLOAD);
      Frame toAgent = successor.seal(PAYLOAD);
      assertThat(agent.open(toAgent)).as("the agent accepts the successor's frames").isEqualTo(PAYLOAD);
    }
  }

  @Test
  void toString_hidesTheKey() {
    assertThat(agent.toString()).contains("[secret]");
  }

  /** A clock the test moves, either way. */
  private static final class MovableClock extends Clock {
    private Instant now;

    MovableClock(Instant start) {
      now = start;
    }

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  private void assertRefused(Frame frame, FrameRefusedException.Reason reason) {
    assertThatThrownBy(() -> controller.open(frame))
        .isInstanceOfSatisfying(FrameRefusedException.class, e -> assertThat(e.reason()).isEqualTo(reason))
        .hasMessageNotContaining("heartbeat");
  }
}
