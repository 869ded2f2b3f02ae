package org.opencluster.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.InvalidKeyException;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class EcKeysTest {

  /** P-256's field prime p. */
  private static final byte[] P =
      HexFormat.of().parseHex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");

  @Test
  void encodeThenDecode_roundTrips() throws Exception {
    ECPublicKey key = (ECPublicKey) EcKeys.generate().getPublic();
    byte[] encoded = EcKeys.encodePoint(key);
    assertThat(encoded).hasSize(65);
    assertThat(encoded[0]).isEqualTo((byte) 4);
    assertThat(EcKeys.decodePoint(encoded).getW()).isEqualTo(key.getW());
  }

  @Test
  void pointOffTheCurve_isRefused() {
    byte[] encoded = EcKeys.encodePoint((ECPublicKey) EcKeys.generate().getPublic());
    encoded[64] ^= 1;
    assertThatThrownBy(() -> EcKeys.decodePoint(encoded))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageContaining("not a point on the curve");
  }

  @Test
  void wrongLength_isRefused() {
    byte[] encoded = EcKeys.encodePoint((ECPublicKey) EcKeys.generate().getPublic());
    assertThatThrownBy(() -> EcKeys.decodePoint(Arrays.copyOf(encoded, 64))).isInstanceOf(InvalidKeyException.class);
    assertThatThrownBy(() -> EcKeys.decodePoint(null)).isInstanceOf(InvalidKeyException.class);
  }

  @Test
  void compressedOrInfinityEncoding_isRefused() {
    byte[] encoded = EcKeys.encodePoint((ECPublicKey) EcKeys.generate().getPublic());
    encoded[0] = 0x02;
    assertThatThrownBy(() -> EcKeys.decodePoint(encoded)).isInstanceOf(InvalidKeyException.class);
    byte[] zeros = new byte[65];
    zeros[0] = 0x04;
    assertThatThrownBy(() -> EcKeys.decodePoint(zeros)).isInstanceOf(InvalidKeyException.class);
  }

  @Test
  void coordinateNotBelowFieldPrime_isRefused() {
    byte[] encoded = EcKeys.encodePoint((ECPublicKey) EcKeys.generate().getPublic());
    System.arraycopy(P, 0, encoded, 1, 32);
    assertThatThrownBy(() -> EcKeys.decodePoint(encoded))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageContaining("out of range");
  }

  @Test
  void otherCurvesAndAlgorithms_areNotP256() throws Exception {
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(384);
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    assertThat(EcKeys.isP256(EcKeys.generate().getPublic())).isTrue();
    assertThat(EcKeys.isP256(ec.generateKeyPair().getPublic())).isFalse();
    assertThat(EcKeys.isP256(rsa.generateKeyPair().getPrivate())).isFalse();
    assertThatThrownBy(() -> EcKeys.requireP256(null)).isInstanceOf(InvalidKeyException.class);
  }
}
