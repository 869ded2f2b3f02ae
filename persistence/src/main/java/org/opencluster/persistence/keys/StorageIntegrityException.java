package org.opencluster.persistence.keys;

/**
 * A stored record failed authentication or names a data key this cluster does not hold. The
 * record is never skipped or half-read: whatever was reading it stops.
 */
public final class StorageIntegrityException extends RuntimeException {

  public StorageIntegrityException(String message) {
    super(message);
  }

  public StorageIntegrityException(String message, Throwable cause) {
    super(message, cause);
  }
}
