package org.opencluster.protocol.crypto;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HKDF with HMAC-SHA256 (RFC 5869). */
public final class Hkdf {

  static final String HMAC = "HmacSHA256";
  static final int HASH_LENGTH = 32;
  private static final int MAX_OUTPUT = 255 * HASH_LENGTH;

  private Hkdf() {}

  /** Extract then expand: {@code length} bytes of output keying material. */
  public static SecretBytes derive(SecretBytes inputKeyMaterial, byte[] salt, byte[] info, int length) {
    try (SecretBytes prk = extract(salt, inputKeyMaterial)) {
      return expand(prk, info, length);
    }
  }

  /** HKDF-Extract: the pseudorandom key. An empty or null salt means HashLen zero bytes. */
  public static SecretBytes extract(byte[] salt, SecretBytes inputKeyMaterial) {
    byte[] effectiveSalt = salt == null || salt.length == 0 ? new byte[HASH_LENGTH] : salt;
    Mac mac = hmac(effectiveSalt);
    return SecretBytes.adopt(inputKeyMaterial.read(mac::doFinal));
  }

  /** HKDF-Expand: {@code length} bytes from a pseudorandom key and context {@code info}. */
  public static SecretBytes expand(SecretBytes pseudoRandomKey, byte[] info, int length) {
    if (length <= 0 || length > MAX_OUTPUT) {
      throw new IllegalArgumentException("HKDF output length must be 1.." + MAX_OUTPUT + ": " + length);
    }
    if (pseudoRandomKey.length() < HASH_LENGTH) {
      throw new IllegalArgumentException("HKDF pseudorandom key must be at least " + HASH_LENGTH + " bytes");
    }
    byte[] context = info == null ? new byte[0] : info;
    Mac mac = pseudoRandomKey.read(Hkdf::hmac);
    byte[] out = new byte[length];
    byte[] block = new byte[0];
    int written = 0;
    for (int counter = 1; written < length; counter++) {
      mac.update(block);
      mac.update(context);
      mac.update((byte) counter);
      Arrays.fill(block, (byte) 0);
      block = mac.doFinal();
      int n = Math.min(block.length, length - written);
      System.arraycopy(block, 0, out, written, n);
      written += n;
    }
    Arrays.fill(block, (byte) 0);
    return SecretBytes.adopt(out);
  }

  /** An initialised HMAC-SHA256; it holds its own copy of {@code key}. */
  static Mac hmac(byte[] key) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(key, HMAC));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 unavailable in this JVM", e);
    }
  }
}
