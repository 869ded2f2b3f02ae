package org.opencluster.controller.audit;

/** An audit record could not be written or read: the database refused, or the queue is full. */
public final class AuditException extends RuntimeException {

  AuditException(String message) {
    super(message);
  }

  AuditException(String message, Throwable cause) {
    super(message, cause);
  }
}
