package org.opencluster.protocol.session;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Constants and small pieces both sides of the handshake share. */
final class Handshake {

  /** The protocol version this build speaks, and the oldest it accepts. */
  static final int PROTOCOL_VERSION = 1;
  static final int OLDEST_PROTOCOL_VERSION = 1;

  static final String HELLO_CONTEXT = "opencluster/hello/v1";
  static final String WELCOME_CONTEXT = "opencluster/welcome/v1";

  static final int NONCE_LENGTH = 32;
  static final int SESSION_ID_LENGTH = 16;
  /** Hello and Welcome are small; anything bigger is refused before parsing. */
  static final int MAX_MESSAGE_BYTES = 4096;
  static final int MAX_CERTIFICATE_BYTES = 8192;
  static final int MAX_CHAIN_LENGTH = 4;

  private Handshake() {}

  static byte[] sha256(byte[] input) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(input);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable in this JVM", e);
    }
  }
}
