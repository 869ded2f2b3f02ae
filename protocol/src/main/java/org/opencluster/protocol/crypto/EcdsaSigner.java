package org.opencluster.protocol.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.Signature;

/**
 * ECDSA P-256 / SHA-256 signatures over a context label and a message, so a signature made for
 * one purpose ({@code "opencluster/hello/v1"}) never verifies for another. Signatures are DER.
 */
public final class EcdsaSigner {

  static final String ALGORITHM = "SHA256withECDSA";

  private final PrivateKey key;

  private EcdsaSigner(PrivateKey key) {
    this.key = key;
  }

  /** @throws InvalidKeyException unless {@code key} is an EC P-256 private key */
  public static EcdsaSigner create(PrivateKey key) throws InvalidKeyException {
    EcKeys.requireP256(key);
    return new EcdsaSigner(key);
  }

  public byte[] sign(String context, byte[] message) {
    byte[] label = Labels.encode(context);
    try {
      Signature signature = Signature.getInstance(ALGORITHM);
      signature.initSign(key);
      signature.update(Labels.lengthPrefixed(label, message));
      return signature.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ECDSA P-256 signing failed", e);
    }
  }

  @Override
  public String toString() {
    return "EcdsaSigner[key=[secret]]";
  }
}
