package org.opencluster.persistence.jdbc;

/** The database could not be reached, or refused a statement. */
public final class StorageException extends RuntimeException {

  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
