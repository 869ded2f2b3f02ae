package org.opencluster.persistence.keys;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.opencluster.protocol.crypto.AeadException;
import org.opencluster.protocol.crypto.AesGcm;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * The data keys (DEKs) that encrypt stored records, each AES-256-GCM under its key id. New
 * records use the newest key; older records name theirs, so rotation never strands them.
 *
 * <p>Record format: {@code version (1) || key id (4, big-endian) || nonce (12) || ciphertext ||
 * tag (16)}; associated data = the label {@code opencluster/record/v1}, the key id and the
 * caller's parts (for journal records: serializer id and manifest).
 *
 * <p>Immutable and thread-safe. It borrows its keys from the {@link Seal}, which zeroes them when
 * it seals; a holder of the ring cannot destroy them.
 */
public final class DataKeyRing {

  static final byte VERSION = 1;
  static final int HEADER_LENGTH = 5;
  private static final byte[] LABEL = "opencluster/record/v1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] WRAP_LABEL = "opencluster/data-key/v1".getBytes(StandardCharsets.US_ASCII);

  private final SortedMap<Integer, AesGcm> keys;

  DataKeyRing(Map<Integer, AesGcm> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("a key ring needs at least one data key");
    }
    this.keys = new TreeMap<>(keys);
  }

  /** The key new records are encrypted under. */
  public int activeKeyId() {
    return keys.lastKey();
  }

  public int size() {
    return keys.size();
  }

  public boolean holds(int keyId) {
    return keys.containsKey(keyId);
  }

  public byte[] encrypt(byte[] plaintext, byte[]... associatedData) {
    int keyId = activeKeyId();
    return withHeader(keyId, keys.get(keyId).encrypt(plaintext, associatedData(keyId, associatedData)));
  }

  /** As {@link #encrypt(byte[], byte[]...)}, for secret plaintext. */
  public byte[] encrypt(SecretBytes plaintext, byte[]... associatedData) {
    int keyId = activeKeyId();
    return withHeader(keyId, keys.get(keyId).encrypt(plaintext, associatedData(keyId, associatedData)));
  }

  private static byte[] withHeader(int keyId, byte[] sealed) {
    return ByteBuffer.allocate(HEADER_LENGTH + sealed.length).put(VERSION).putInt(keyId).put(sealed).array();
  }

  /** The key id a record was written under, read from its header. */
  public static int keyIdOf(byte[] record) {
    if (record == null || record.length < HEADER_LENGTH || record[0] != VERSION) {
      throw new StorageIntegrityException("stored record is not in the encrypted record format (version "
          + (record == null || record.length == 0 ? "none" : String.valueOf(record[0] & 0xff)) + ")");
    }
    return ByteBuffer.wrap(record, 1, 4).getInt();
  }

  /**
   * @throws StorageIntegrityException if the record is malformed, names a key this ring does not
   *     hold, or fails authentication
   */
  public SecretBytes decrypt(byte[] record, byte[]... associatedData) {
    int keyId = keyIdOf(record);
    AesGcm key = keys.get(keyId);
    if (key == null) {
      throw new StorageIntegrityException("stored record is encrypted under data key " + keyId
          + ", which this key ring does not hold (it holds " + keys.firstKey() + ".." + keys.lastKey() + ")");
    }
    try {
      return key.decryptRange(record, HEADER_LENGTH, record.length - HEADER_LENGTH, associatedData(keyId, associatedData));
    } catch (AeadException e) {
      throw new StorageIntegrityException("stored record under data key " + keyId
          + " failed authentication: it was altered, or was written for another kind of record", e);
    }
  }

  @Override
  public String toString() {
    return "DataKeyRing[keys " + keys.firstKey() + ".." + keys.lastKey() + ", [secret]]";
  }

  private static byte[][] associatedData(int keyId, byte[][] parts) {
    byte[][] all = new byte[parts.length + 2][];
    all[0] = LABEL;
    all[1] = ByteBuffer.allocate(4).putInt(keyId).array();
    System.arraycopy(parts, 0, all, 2, parts.length);
    return all;
  }

  /** Wraps {@code dataKey} under the key-encryption key, bound to its id. */
  static byte[] wrap(AesGcm keyEncryptionKey, int keyId, SecretBytes dataKey) {
    return keyEncryptionKey.encrypt(dataKey, WRAP_LABEL, ByteBuffer.allocate(4).putInt(keyId).array());
  }

  /** Unwraps a data key; fails if the KEK is wrong or the wrapped key was moved to another id. */
  static SecretBytes unwrap(AesGcm keyEncryptionKey, int keyId, byte[] wrapped) throws AeadException {
    return keyEncryptionKey.decrypt(wrapped, WRAP_LABEL, ByteBuffer.allocate(4).putInt(keyId).array());
  }
}
