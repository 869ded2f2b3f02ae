package org.opencluster.controller.files;

import org.opencluster.persistence.keys.DataKeyRing;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * Encrypts secure-file content and shared-secret values under the cluster's data key ring the
 * moment they arrive, so the catalog (its state, its events, its copies on other controllers)
 * holds only ciphertext; a node entity decrypts one value just before it seals it to an agent, and
 * wipes the plaintext. Associated data says what the value is (kind, name, field), so a value
 * cannot be moved to another file or secret.
 */
public interface ContentCipher {

  /** Encrypts under the newest data key. @throws IllegalStateException while the controller is sealed */
  byte[] encrypt(SecretBytes plaintext, byte[]... associatedData);

  /**
   * @throws org.opencluster.persistence.keys.StorageIntegrityException if the record was altered or
   *     made for other associated data
   * @throws IllegalStateException while the controller is sealed
   */
  SecretBytes decrypt(byte[] record, byte[]... associatedData);

  /** The controller's key ring, through its seal. */
  static ContentCipher of(Seal seal) {
    return new ContentCipher() {
      @Override
      public byte[] encrypt(SecretBytes plaintext, byte[]... associatedData) {
        return seal.keyRing().encrypt(plaintext, associatedData);
      }

      @Override
      public SecretBytes decrypt(byte[] record, byte[]... associatedData) {
        return seal.keyRingHolding(DataKeyRing.keyIdOf(record)).decrypt(record, associatedData);
      }

      @Override
      public String toString() {
        return "ContentCipher[data key ring]";
      }
    };
  }
}
