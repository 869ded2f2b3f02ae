package org.opencluster.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.opencluster.protocol.crypto.FrameMac.Direction.AGENT_TO_CONTROLLER;
import static org.opencluster.protocol.crypto.FrameMac.Direction.CONTROLLER_TO_AGENT;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import org.junit.jupiter.api.Test;

class SessionKeysTest {

  private final KeyPair agent = EcKeys.generate();
  private final KeyPair controller = EcKeys.generate();
  private final byte[] hello = "signed hello bytes".getBytes(StandardCharsets.US_ASCII);
  private final byte[] sessionId = "session-0000001".getBytes(StandardCharsets.US_ASCII);

  @Test
  void bothSides_deriveTheSameFrameKey() throws Exception {
    try (SessionKeys onController = SessionKeys.forController(controller, pub(agent), hello, sessionId);
        SessionKeys onAgent = SessionKeys.forAgent(agent, pub(controller), hello, sessionId)) {
      byte[] mac = onAgent.frameMac().compute(AGENT_TO_CONTROLLER, "n1", sessionId, 1, hello);
      assertThatCode(() -> onController.frameMac().verify(AGENT_TO_CONTROLLER, "n1", sessionId, 1, hello, mac))
          .doesNotThrowAnyException();
      byte[] reply = onController.frameMac().compute(CONTROLLER_TO_AGENT, "n1", sessionId, 1, hello);
      assertThatCode(() -> onAgent.frameMac().verify(CONTROLLER_TO_AGENT, "n1", sessionId, 1, hello, reply))
          .doesNotThrowAnyException();
    }
  }

  @Test
  void keyConfirmation_verifiesOnTheAgent() throws Exception {
    try (SessionKeys onController = SessionKeys.forController(controller, pub(agent), hello, sessionId);
        SessionKeys onAgent = SessionKeys.forAgent(agent, pub(controller), hello, sessionId)) {
      assertThatCode(() -> onAgent.verifyKeyConfirmation(onController.keyConfirmation())).doesNotThrowAnyException();
    }
  }

  @Test
  void welcomeForAnotherHello_isRefused() throws Exception {
    byte[] otherHello = "another hello".getBytes(StandardCharsets.US_ASCII);
    try (SessionKeys onController = SessionKeys.forController(controller, pub(agent), otherHello, sessionId);
        SessionKeys onAgent = SessionKeys.forAgent(agent, pub(controller), hello, sessionId)) {
      assertThatThrownBy(() -> onAgent.verifyKeyConfirmation(onController.keyConfirmation()))
          .isInstanceOf(FrameMacException.class);
    }
  }

  @Test
  void welcomeWithAnotherSessionId_isRefused() throws Exception {
    byte[] otherSession = "session-0000002".getBytes(StandardCharsets.US_ASCII);
    try (SessionKeys onController = SessionKeys.forController(controller, pub(agent), hello, otherSession);
        SessionKeys onAgent = SessionKeys.forAgent(agent, pub(controller), hello, sessionId)) {
      assertThatThrownBy(() -> onAgent.verifyKeyConfirmation(onController.keyConfirmation()))
          .isInstanceOf(FrameMacException.class);
    }
  }

  @Test
  void controllerKeySwappedInTransit_isRefused() throws Exception {
    KeyPair attacker = EcKeys.generate();
    try (SessionKeys onController = SessionKeys.forController(controller, pub(agent), hello, sessionId);
        SessionKeys onAgent = SessionKeys.forAgent(agent, pub(attacker), hello, sessionId)) {
      assertThatThrownBy(() -> onAgent.verifyKeyConfirmation(onController.keyConfirmation()))
          .isInstanceOf(FrameMacException.class);
      byte[] mac = onController.frameMac().compute(CONTROLLER_TO_AGENT, "n1", sessionId, 1, hello);
      assertThatThrownBy(() -> onAgent.frameMac().verify(CONTROLLER_TO_AGENT, "n1", sessionId, 1, hello, mac))
          .isInstanceOf(FrameMacException.class);
    }
  }

  @Test
  void missingKeyConfirmation_isRefused() throws Exception {
    try (SessionKeys onAgent = SessionKeys.forAgent(agent, pub(controller), hello, sessionId)) {
      assertThatThrownBy(() -> onAgent.verifyKeyConfirmation(null)).isInstanceOf(FrameMacException.class);
      assertThatThrownBy(() -> onAgent.verifyKeyConfirmation(new byte[32])).isInstanceOf(FrameMacException.class);
    }
  }

  private static ECPublicKey pub(KeyPair pair) {
    return (ECPublicKey) pair.getPublic();
  }
}
