package org.opencluster.protocol.crypto;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Context labels and the length-prefixed encoding that binds them into derivations, MACs and
 * signatures. A label says what a key or a signature is for ("opencluster/secure-file/v1"), so
 * a value made for one purpose is refused by every other.
 */
final class Labels {

  static final int MAX_LENGTH = 128;

  private Labels() {}

  /** Checks {@code label} is 1..128 printable ASCII characters and returns its bytes. */
  static byte[] encode(String label) {
    if (label == null || label.isEmpty() || label.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("context label must be 1.." + MAX_LENGTH + " characters");
    }
    for (int i = 0; i < label.length(); i++) {
      char c = label.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new IllegalArgumentException("context label must be printable ASCII without spaces");
      }
    }
    return label.getBytes(StandardCharsets.US_ASCII);
  }

  /** An unambiguous concatenation: each part preceded by its length as four bytes. */
  static byte[] lengthPrefixed(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      writeInt(out, part.length);
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /**
   * Associated data from several parts: the part count, then each part length-prefixed, so
   * ("n1", "2db") and ("n12", "db") differ, and no parts differs from one empty part.
   */
  static byte[] associatedData(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeInt(out, parts.length);
    for (byte[] part : parts) {
      writeInt(out, part.length);
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  static void writeInt(ByteArrayOutputStream out, int value) {
    out.write(value >>> 24);
    out.write(value >>> 16);
    out.write(value >>> 8);
    out.write(value);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
