package org.opencluster.persistence.keys;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where the seal's public facts and the wrapped data keys live (the controllers' database).
 * Nothing in it opens anything without the key-encryption key.
 */
public interface KeyRingStore {

  /** How the key-encryption key was split, and a value only the right key decrypts. */
  record SealRecord(int shares, int threshold, byte[] keyCheck, Instant createdAt) {}

  /** A data key, encrypted under the key-encryption key. */
  record WrappedKey(int keyId, byte[] wrapped, Instant createdAt) {}

  Optional<SealRecord> sealRecord();

  /**
   * Stores the seal record and the first data key together.
   *
   * @return false if the store was already initialized (nothing is changed)
   */
  boolean initialize(SealRecord seal, WrappedKey firstKey);

  List<WrappedKey> wrappedKeys();

  /** @return false if {@code key.keyId()} is taken (another controller rotated first) */
  boolean addWrappedKey(WrappedKey key);
}
