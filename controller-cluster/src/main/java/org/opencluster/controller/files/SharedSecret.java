package org.opencluster.controller.files;

import com.google.protobuf.ByteString;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A credential several hosts share (a database account, say), as named fields; templates read it
 * with {@code {{ secret "db/orders" "password" }}}. Every value is encrypted under the data key
 * ring ({@link ContentCipher}) with the secret's name and the field as associated data.
 *
 * @param version the catalog revision that wrote it
 */
public record SharedSecret(String name, long version, Map<String, ByteString> encryptedFields, Instant updatedAt) {

  public static final int MAX_FIELDS = 32;
  public static final int MAX_VALUE_BYTES = 16 * 1024;
  private static final Pattern FIELD = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");

  public SharedSecret {
    encryptedFields = Map.copyOf(new TreeMap<>(encryptedFields));
  }

  public Set<String> fields() {
    return new java.util.TreeSet<>(encryptedFields.keySet());
  }

  /** Why {@code field} cannot name a field, if it cannot. */
  public static Optional<String> invalidField(String field) {
    if (field == null || !FIELD.matcher(field).matches()) {
      return Optional.of("invalid field name '" + FileDefinition.printable(field)
          + "': 1..64 characters of letters, digits, '_', '.', '-', starting with a letter or '_'");
    }
    return Optional.empty();
  }

  /** Associated data for one field's value. */
  public static byte[][] fieldAssociatedData(String name, String field) {
    return new byte[][] {FileDefinition.utf8("opencluster/secret-field/v1"), FileDefinition.utf8(name),
        FileDefinition.utf8(field)};
  }

  SharedSecret stored(long newVersion, Instant at) {
    return new SharedSecret(name, newVersion, encryptedFields, at);
  }

  @Override
  public String toString() {
    return "SharedSecret[" + name + " v" + version + ", fields " + fields() + ", values=[secret]]";
  }
}
