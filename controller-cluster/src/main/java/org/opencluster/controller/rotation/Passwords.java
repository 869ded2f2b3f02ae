package org.opencluster.controller.rotation;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import org.opencluster.protocol.crypto.SecretBytes;

/** Random passwords and the reading of a version's text fields, for the rotators. */
final class Passwords {

  /** Letters and digits: safe in any connection string, shell or configuration file format. */
  private static final byte[] ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".getBytes(StandardCharsets.US_ASCII);

  private static final SecureRandom RANDOM = new SecureRandom();

  private Passwords() {}

  /** {@code length} letters and digits, uniformly drawn (about 5.95 bits each). */
  static SecretBytes random(int length) {
    byte[] password = new byte[length];
    for (int i = 0; i < length; i++) {
      password[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
    }
    return SecretBytes.adopt(password);
  }

  /**
   * A version's field as characters (UTF-8); the caller zeroes the array.
   *
   * @throws IllegalArgumentException when the field is missing or not UTF-8 (names the field only)
   */
  static char[] chars(Map<String, SecretBytes> version, String field) {
    SecretBytes value = version.get(field);
    if (value == null) {
      throw new IllegalArgumentException("the version has no '" + field + "' field");
    }
    byte[] bytes = value.copyBytes();
    try {
      CharBuffer decoded = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      char[] chars = Arrays.copyOfRange(decoded.array(), decoded.position(), decoded.limit());
      Arrays.fill(decoded.array(), '\0');
      return chars;
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("the version's '" + field + "' field is not UTF-8 text");
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  /** A field that is not secret (a role name) as a string. */
  static String text(Map<String, SecretBytes> version, String field) {
    char[] chars = chars(version, field);
    try {
      return new String(chars);
    } finally {
      Arrays.fill(chars, '\0');
    }
  }

  /** {@code current} with {@code replaced} put in: the other fields copied, the caller owns all. */
  static Map<String, SecretBytes> copyWith(Map<String, SecretBytes> current, Map<String, SecretBytes> replaced) {
    Map<String, SecretBytes> next = new java.util.TreeMap<>();
    current.forEach((field, value) -> {
      if (!replaced.containsKey(field)) {
        next.put(field, value.copy());
      }
    });
    next.putAll(replaced);
    return java.util.Collections.unmodifiableMap(next);
  }
}
