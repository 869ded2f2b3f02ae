package org.opencluster.protocol.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.PublicKey;
import javax.crypto.KeyAgreement;

/** Static-ephemeral or ephemeral-ephemeral ECDH on P-256; the shared X coordinate as a secret. */
final class Ecdh {

  private Ecdh() {}

  static SecretBytes agree(PrivateKey own, PublicKey peer) throws InvalidKeyException {
    EcKeys.requireP256(own);
    EcKeys.requireValidPublicKey(peer);
    try {
      KeyAgreement agreement = KeyAgreement.getInstance("ECDH");
      agreement.init(own);
      agreement.doPhase(peer, true);
      return SecretBytes.adopt(agreement.generateSecret());
    } catch (InvalidKeyException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ECDH unavailable in this JVM", e);
    }
  }
}
