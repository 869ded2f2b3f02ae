package org.opencluster.protocol.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;

/** Verifies {@link EcdsaSigner} signatures. */
public final class EcdsaVerifier {

  private final PublicKey key;

  private EcdsaVerifier(PublicKey key) {
    this.key = key;
  }

  /** @throws InvalidKeyException unless {@code key} is a valid EC P-256 public key */
  public static EcdsaVerifier create(PublicKey key) throws InvalidKeyException {
    EcKeys.requireValidPublicKey(key);
    return new EcdsaVerifier(key);
  }

  /**
   * @throws SignatureException if the signature is malformed or does not verify for this key,
   *     context and message
   */
  public void verify(String context, byte[] message, byte[] signature) throws SignatureException {
    byte[] label = Labels.encode(context);
    boolean valid;
    try {
      Signature verifier = Signature.getInstance(EcdsaSigner.ALGORITHM);
      verifier.initVerify(key);
      verifier.update(Labels.lengthPrefixed(label, message));
      valid = signature != null && verifier.verify(signature);
    } catch (SignatureException e) {
      throw new SignatureException("signature refused: malformed ECDSA signature");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ECDSA P-256 verification unavailable", e);
    }
    if (!valid) {
      throw new SignatureException("signature refused: does not verify for this key, context and message");
    }
  }
}
