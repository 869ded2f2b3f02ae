package org.opencluster.protocol.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM under one key, with a fresh random 96-bit nonce per message. Associated data is
 * given as parts, length-prefixed with their count, so no two different part lists bind alike.
 * Output: {@code nonce (12) || ciphertext || tag (16)}.
 *
 * <p>Random nonces are safe for up to 2^32 messages per key; rotate keys well before that (the
 * controller's data keys rotate on a schedule).
 *
 * <p>Thread-safe. Close it to zero the key; every later use throws.
 */
public final class AesGcm implements AutoCloseable {

  public static final int KEY_LENGTH = 32;
  public static final int NONCE_LENGTH = 12;
  public static final int TAG_LENGTH = 16;
  /** Bytes a ciphertext adds to its plaintext. */
  public static final int OVERHEAD = NONCE_LENGTH + TAG_LENGTH;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretBytes key;
  /**
   * The JCE's form of the key, made once: the JDK copies key bytes into every SecretKeySpec and
   * cannot wipe them, so one long-lived copy (dropped with this object) rather than one per record.
   */
  private final SecretKeySpec spec;

  private AesGcm(SecretBytes key) {
    this.key = key;
    this.spec = key.read(k -> new SecretKeySpec(k, "AES"));
  }

  /** An AEAD under a copy of {@code key} (32 bytes). */
  public static AesGcm create(SecretBytes key) {
    if (key.length() != KEY_LENGTH) {
      throw new IllegalArgumentException("AES-256-GCM key must be " + KEY_LENGTH + " bytes");
    }
    return new AesGcm(key.copy());
  }

  public byte[] encrypt(SecretBytes plaintext, byte[]... associatedData) {
    return plaintext.read(bytes -> encrypt(bytes, associatedData));
  }

  /** Encrypts {@code plaintext}; the caller still owns (and may zero) the array. */
  public byte[] encrypt(byte[] plaintext, byte[]... associatedData) {
    byte[] nonce = new byte[NONCE_LENGTH];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, nonce, associatedData);
      byte[] out = Arrays.copyOf(nonce, NONCE_LENGTH + cipher.getOutputSize(plaintext.length));
      cipher.doFinal(plaintext, 0, plaintext.length, out, NONCE_LENGTH);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM encryption failed", e);
    }
  }

  /**
   * @throws AeadException if {@code ciphertext} is truncated or fails authentication (wrong key,
   *     wrong associated data, any modified byte); no plaintext is released
   */
  public SecretBytes decrypt(byte[] ciphertext, byte[]... associatedData) throws AeadException {
    return decryptRange(ciphertext, 0, ciphertext == null ? 0 : ciphertext.length, associatedData);
  }

  /** Decrypts {@code length} bytes of {@code buffer} from {@code offset}. */
  public SecretBytes decryptRange(byte[] buffer, int offset, int length, byte[]... associatedData) throws AeadException {
    if (buffer == null || length < OVERHEAD) {
      throw new AeadException("ciphertext refused: truncated (" + length + " bytes, at least " + OVERHEAD + " needed)");
    }
    try {
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, Arrays.copyOfRange(buffer, offset, offset + NONCE_LENGTH), associatedData);
      return SecretBytes.adopt(cipher.doFinal(buffer, offset + NONCE_LENGTH, length - NONCE_LENGTH));
    } catch (AEADBadTagException e) {
      throw new AeadException("ciphertext refused: authentication failed (wrong key or associated data, or modified)");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM decryption failed", e);
    }
  }

  @Override
  public void close() {
    key.close();
  }

  @Override
  public String toString() {
    return "AesGcm[key=[secret]]";
  }

  private Cipher cipher(int mode, byte[] nonce, byte[][] associatedData) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    // Read under the key's lock: a closed AesGcm refuses, whatever the JCE still holds.
    key.read(k -> {
      cipher.init(mode, spec, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
      return cipher;
    });
    cipher.updateAAD(Labels.associatedData(associatedData));
    return cipher;
  }
}
