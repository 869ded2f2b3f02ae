package org.opencluster.protocol.session;

import java.security.GeneralSecurityException;
import org.opencluster.protocol.agent.v1.Refused;

/** A Hello or a Welcome was refused; {@link #reason()} is what the peer is told. */
public final class HandshakeException extends GeneralSecurityException {

  private final Refused.Reason reason;

  HandshakeException(Refused.Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  HandshakeException(Refused.Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Refused.Reason reason() {
    return reason;
  }

  /** The Refused message for the peer: the reason and this exception's message, never a secret. */
  public Refused toRefused() {
    return Refused.newBuilder().setReason(reason).setDetail(getMessage()).setRetryable(false).build();
  }
}
