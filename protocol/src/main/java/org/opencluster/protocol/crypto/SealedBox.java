package org.opencluster.protocol.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * An HPKE-style sealed box: anyone holding the recipient's public key can seal; only the holder
 * of the private key can open.
 *
 * <p>Construction (version 1): a fresh ephemeral P-256 key pair per box ({@link EphemeralEcdh}); {@code shared =
 * ECDH(ephemeral, recipient)}; {@code key || nonce = HKDF-SHA256(ikm = shared, salt =
 * "opencluster/sealed-box/v1", info = context || ephemeral point || recipient point, 44 bytes)};
 * AES-256-GCM with associated data = the box header and the caller's associated data parts
 * (counted and length-prefixed, so ("n1", "2db") and ("n12", "db") differ). The context label and
 * associated data must match on open, so a box made for one purpose or one object is refused for
 * any other.
 *
 * <p>Format: {@code version (1) || ephemeral public key, uncompressed point (65) || ciphertext ||
 * GCM tag (16)}.
 *
 * <p>Opening verifies the tag before releasing any byte: a refused box yields no partial
 * plaintext.
 */
public final class SealedBox {

  /** The format version this class writes. */
  public static final byte VERSION = 1;

  /** Bytes a box adds to its plaintext. */
  public static final int OVERHEAD = 1 + EcKeys.ENCODED_POINT_LENGTH + 16;

  private static final int HEADER_LENGTH = 1 + EcKeys.ENCODED_POINT_LENGTH;
  private static final int KEY_LENGTH = 32;
  private static final int NONCE_LENGTH = 12;
  private static final int TAG_BITS = 128;
  private static final byte[] SALT = Labels.utf8("opencluster/sealed-box/v1");

  private SealedBox() {}

  /**
   * Seals {@code plaintext} to {@code recipient}.
   *
   * @param context what the box is for, e.g. {@code "opencluster/secure-file/v1"}
   * @param associatedData parts bound into the tag, not encrypted (e.g. node id, file name, version)
   */
  public static byte[] seal(
      ECPublicKey recipient, String context, SecretBytes plaintext, byte[]... associatedData)
      throws InvalidKeyException {
    byte[] label = Labels.encode(context);
    EphemeralEcdh.Agreement agreement = EphemeralEcdh.with(recipient);
    byte[] ephemeralPoint = agreement.ephemeralPoint();
    byte[] header = header(ephemeralPoint);
    try (SecretBytes keyAndNonce =
        derive(agreement.shared(), label, ephemeralPoint, EcKeys.encodePoint(recipient))) {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, keyAndNonce, header, associatedData);
      return plaintext.read(input -> {
        byte[] box = Arrays.copyOf(header, HEADER_LENGTH + cipher.getOutputSize(input.length));
        cipher.doFinal(input, 0, input.length, box, HEADER_LENGTH);
        return box;
      });
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM failed while sealing", e);
    }
  }

  /**
   * Opens a box sealed to {@code recipient}'s public key.
   *
   * @throws SealedBoxException if the box is truncated, of an unknown version, carries an invalid
   *     ephemeral key, or fails authentication (wrong key, wrong context, wrong associated data,
   *     any modified byte)
   */
  public static SecretBytes open(
      KeyPair recipient, String context, byte[] box, byte[]... associatedData) throws SealedBoxException {
    byte[] label = Labels.encode(context);
    if (box == null || box.length < OVERHEAD) {
      throw new SealedBoxException(
          "sealed box refused: truncated (" + (box == null ? 0 : box.length) + " bytes, at least " + OVERHEAD + " needed)");
    }
    if (box[0] != VERSION) {
      throw new SealedBoxException("sealed box refused: unsupported format version " + (box[0] & 0xff));
    }
    byte[] ephemeralPoint = Arrays.copyOfRange(box, 1, HEADER_LENGTH);
    ECPublicKey ephemeral;
    try {
      ephemeral = EcKeys.decodePoint(ephemeralPoint);
    } catch (InvalidKeyException e) {
      throw new SealedBoxException("sealed box refused: ephemeral key is not a valid P-256 point", e);
    }
    SecretBytes shared;
    try {
      shared = Ecdh.agree(recipient.getPrivate(), ephemeral);
    } catch (InvalidKeyException e) {
      throw new SealedBoxException("sealed box refused: recipient key is not an EC P-256 key pair", e);
    }
    try (SecretBytes keyAndNonce =
        derive(shared, label, ephemeralPoint, EcKeys.encodePoint((ECPublicKey) recipient.getPublic()))) {
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, keyAndNonce, header(ephemeralPoint), associatedData);
      return SecretBytes.adopt(cipher.doFinal(box, HEADER_LENGTH, box.length - HEADER_LENGTH));
    } catch (AEADBadTagException e) {
      throw new SealedBoxException(
          "sealed box refused: authentication failed (wrong recipient key, wrong context or associated data, or the box was modified)");
    } catch (GeneralSecurityException e) {
      throw new SealedBoxException("sealed box refused: decryption failed", e);
    }
  }

  private static SecretBytes derive(SecretBytes shared, byte[] label, byte[] ephemeralPoint, byte[] recipientPoint) {
    try (shared) {
      return Hkdf.derive(shared, SALT, Labels.lengthPrefixed(label, ephemeralPoint, recipientPoint), KEY_LENGTH + NONCE_LENGTH);
    }
  }

  private static Cipher cipher(int mode, SecretBytes keyAndNonce, byte[] header, byte[][] associatedData)
      throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    keyAndNonce.read(material -> {
      cipher.init(
          mode,
          new SecretKeySpec(material, 0, KEY_LENGTH, "AES"),
          new GCMParameterSpec(TAG_BITS, material, KEY_LENGTH, NONCE_LENGTH));
      return cipher;
    });
    cipher.updateAAD(header);
    cipher.updateAAD(Labels.associatedData(associatedData));
    return cipher;
  }

  private static byte[] header(byte[] ephemeralPoint) {
    byte[] header = new byte[HEADER_LENGTH];
    header[0] = VERSION;
    System.arraycopy(ephemeralPoint, 0, header, 1, ephemeralPoint.length);
    return header;
  }
}
