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
  private final byte[] welcome = "signed welcome bytes".getBytes(StandardCharsets.US_ASCII);
  private final byte[] sessionId = "session-0000001".getBytes(StandardCharsets.US_ASCII);

  @Test
  void bothSides_deriveTheSameFrameKey() throws Exception {
    try (SessionKeys onController = SessionKeys.forController(controller, pub(agent), hello, welcome);
        SessionKeys onAgent = SessionKeys.forAgent(agent, pub(controller), hello, welcome)) {
      byte[] mac = onAgent.frameMac().compute(AGENT_TO_CONTROLLER, "n1", sessionId, 1, hello);
      assertThatCode(() -> onController.frameMac().verify(AGENT_TO_CONTROLLER, "n1", sessionId, 1, hello, mac))
          .doesNotThrowAnyException();
      byte[] reply = onController.frameMac().compute(CONTROLLER_TO_AGENT, "n1", sessionId, 1, hello);
      assertThatCode(() -> onAgent.frameMac().verify(CONTROLLER_TO_AGENT, "n1", sessionId, 1, hello, reply))
          .doesNotThrowAnyException();
    }
  }

  @Test
  void anyChangeToTheHello_givesAnotherKey() throws Exception {
    byte[] otherHello = "signed hello bytez".getBytes(StandardCharsets.US_ASCII);
    assertKeysDiffer(SessionKeys.forController(controller, pub(agent), otherHello, welcome),
        SessionKeys.forAgent(agent, pub(controller), hello, welcome));
  }

  @Test
  void anyChangeToTheWelcome_givesAnotherKey() throws Exception {
    byte[] otherWelcome = "signed welcome bytez".getBytes(StandardCharsets.US_ASCII);
    assertKeysDiffer(SessionKeys.forController(controller, pub(agent), hello, otherWelcome),
        SessionKeys.forAgent(agent, pub(controller), hello, welcome));
  }

  @Test
  void controllerKeySwappedInTransit_givesAnotherKey() throws Exception {
    KeyPair attacker = EcKeys.generate();
    assertKeysDiffer(SessionKeys.forController(controller, pub(agent), hello, welcome),
        SessionKeys.forAgent(agent, pub(attacker), hello, welcome));
  }

  @Test
  void agentKeySwappedInTransit_givesAnotherKey() throws Exception {
    KeyPair attacker = EcKeys.generate();
    assertKeysDiffer(SessionKeys.forController(controller, pub(attacker), hello, welcome),
        SessionKeys.forAgent(agent, pub(controller), hello, welcome));
  }

  private void assertKeysDiffer(SessionKeys onController, SessionKeys onAgent) {
    try (onController; onAgent) {
      byte[] mac = onController.frameMac().compute(CONTROLLER_TO_AGENT, "n1", sessionId, 1, hello);
      assertThatThrownBy(() -> onAgent.frameMac().verify(CONTROLLER_TO_AGENT, "n1", sessionId, 1, hello, mac))
          .isInstanceOf(FrameMacException.class);
    }
  }

  private static ECPublicKey pub(KeyPair pair) {
    return (ECPublicKey) pair.getPublic();
  }
}
