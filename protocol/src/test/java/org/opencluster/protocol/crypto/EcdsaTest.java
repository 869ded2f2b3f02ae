package org.opencluster.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SignatureException;
import org.junit.jupiter.api.Test;

class EcdsaTest {

  private static final String CONTEXT = "opencluster/hello/v1";
  private static final byte[] MESSAGE = "hello from node-7".getBytes(StandardCharsets.US_ASCII);

  private final KeyPair keys = EcKeys.generate();

  @Test
  void signature_verifies() throws Exception {
    byte[] signature = EcdsaSigner.create(keys.getPrivate()).sign(CONTEXT, MESSAGE);
    assertThatCode(() -> EcdsaVerifier.create(keys.getPublic()).verify(CONTEXT, MESSAGE, signature))
        .doesNotThrowAnyException();
  }

  @Test
  void everyFlippedMessageByte_isRefused() throws Exception {
    byte[] signature = EcdsaSigner.create(keys.getPrivate()).sign(CONTEXT, MESSAGE);
    EcdsaVerifier verifier = EcdsaVerifier.create(keys.getPublic());
    for (int i = 0; i < MESSAGE.length; i++) {
      byte[] tampered = MESSAGE.clone();
      tampered[i] ^= 1;
      assertThatThrownBy(() -> verifier.verify(CONTEXT, tampered, signature)).isInstanceOf(SignatureException.class);
    }
  }

  @Test
  void everyFlippedSignatureByte_isRefused() throws Exception {
    byte[] signature = EcdsaSigner.create(keys.getPrivate()).sign(CONTEXT, MESSAGE);
    EcdsaVerifier verifier = EcdsaVerifier.create(keys.getPublic());
    for (int i = 0; i < signature.length; i++) {
      byte[] tampered = signature.clone();
      tampered[i] ^= 1;
      assertThatThrownBy(() -> verifier.verify(CONTEXT, MESSAGE, tampered)).isInstanceOf(SignatureException.class);
    }
  }

  @Test
  void signatureForAnotherContext_isRefused() throws Exception {
    byte[] signature = EcdsaSigner.create(keys.getPrivate()).sign("opencluster/csr/v1", MESSAGE);
    assertThatThrownBy(() -> EcdsaVerifier.create(keys.getPublic()).verify(CONTEXT, MESSAGE, signature))
        .isInstanceOf(SignatureException.class)
        .hasMessageContaining("does not verify");
  }

  @Test
  void signatureByAnotherKey_isRefused() throws Exception {
    byte[] signature = EcdsaSigner.create(EcKeys.generate().getPrivate()).sign(CONTEXT, MESSAGE);
    assertThatThrownBy(() -> EcdsaVerifier.create(keys.getPublic()).verify(CONTEXT, MESSAGE, signature))
        .isInstanceOf(SignatureException.class);
  }

  @Test
  void malformedOrMissingSignature_isRefused() throws Exception {
    EcdsaVerifier verifier = EcdsaVerifier.create(keys.getPublic());
    assertThatThrownBy(() -> verifier.verify(CONTEXT, MESSAGE, new byte[] {1, 2, 3})).isInstanceOf(SignatureException.class);
    assertThatThrownBy(() -> verifier.verify(CONTEXT, MESSAGE, new byte[0])).isInstanceOf(SignatureException.class);
    assertThatThrownBy(() -> verifier.verify(CONTEXT, MESSAGE, null)).isInstanceOf(SignatureException.class);
  }

  @Test
  void verifierForAPointOffTheCurve_isRefused() throws Exception {
    java.security.interfaces.ECPublicKey genuine = (java.security.interfaces.ECPublicKey) keys.getPublic();
    java.security.spec.ECPoint off = new java.security.spec.ECPoint(genuine.getW().getAffineX(),
        genuine.getW().getAffineY().add(java.math.BigInteger.ONE));
    java.security.PublicKey offCurve = java.security.KeyFactory.getInstance("EC")
        .generatePublic(new java.security.spec.ECPublicKeySpec(off, genuine.getParams()));
    assertThatThrownBy(() -> EcdsaVerifier.create(offCurve)).isInstanceOf(InvalidKeyException.class);
  }

  @Test
  void keysNotOnP256_areRefused() throws Exception {
    KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
    p384.initialize(384);
    KeyPair other = p384.generateKeyPair();
    assertThatThrownBy(() -> EcdsaSigner.create(other.getPrivate())).isInstanceOf(InvalidKeyException.class);
    assertThatThrownBy(() -> EcdsaVerifier.create(other.getPublic())).isInstanceOf(InvalidKeyException.class);
  }
}
