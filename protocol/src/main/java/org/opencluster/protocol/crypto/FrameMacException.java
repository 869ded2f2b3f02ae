package org.opencluster.protocol.crypto;

import java.security.GeneralSecurityException;

/** A frame's MAC did not verify. */
public final class FrameMacException extends GeneralSecurityException {

  FrameMacException(String message) {
    super(message);
  }
}
