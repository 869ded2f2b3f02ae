package org.opencluster.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The sealing side's ECDH (Bouncy Castle) agrees with the JDK's ECDH run by the recipient, whose
 * side opens every box; a recipient key that is not a P-256 point is refused.
 */
class EphemeralEcdhTest {

  @Test
  void theSharedSecret_isWhatTheRecipientComputesWithTheJdk_forManyFreshKeys() throws Exception {
    KeyPair recipient = EcKeys.generate();
    for (int i = 0; i < 64; i++) {
      EphemeralEcdh.Agreement agreement = EphemeralEcdh.with((ECPublicKey) recipient.getPublic());
      assertThat(agreement.ephemeralPoint()).hasSize(EcKeys.ENCODED_POINT_LENGTH);
      ECPublicKey ephemeral = EcKeys.decodePoint(agreement.ephemeralPoint());
      try (SecretBytes mine = agreement.shared(); SecretBytes theirs = Ecdh.agree(recipient.getPrivate(), ephemeral)) {
        byte[] expected = theirs.copyBytes();
        assertThat(mine.copyBytes()).hasSize(32).isEqualTo(expected);
      }
    }
  }

  @Test
  void eachAgreement_usesAFreshEphemeralKey() throws Exception {
    ECPublicKey recipient = (ECPublicKey) EcKeys.generate().getPublic();
    EphemeralEcdh.Agreement first = EphemeralEcdh.with(recipient);
    EphemeralEcdh.Agreement second = EphemeralEcdh.with(recipient);
    assertThat(first.ephemeralPoint()).isNotEqualTo(second.ephemeralPoint());
    try (SecretBytes a = first.shared(); SecretBytes b = second.shared()) {
      assertThat(a.copyBytes()).isNotEqualTo(b.copyBytes());
    }
  }

  @Test
  void aRecipientPointOffTheCurve_isRefused() throws Exception {
    ECPublicKey genuine = (ECPublicKey) EcKeys.generate().getPublic();
    ECPoint off = new ECPoint(genuine.getW().getAffineX(), genuine.getW().getAffineY().add(BigInteger.ONE));
    ECPublicKey offCurve = (ECPublicKey) KeyFactory.getInstance("EC")
        .generatePublic(new ECPublicKeySpec(off, genuine.getParams()));
    assertThatThrownBy(() -> EphemeralEcdh.with(offCurve)).isInstanceOf(InvalidKeyException.class);
    assertThatThrownBy(() -> SealedBox.seal(offCurve, "opencluster/test/v1", SecretBytes.random(8)))
        .isInstanceOf(InvalidKeyException.class);
  }
}
