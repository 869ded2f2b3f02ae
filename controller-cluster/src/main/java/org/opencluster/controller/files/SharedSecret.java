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
 * <p>A rotating secret (one a {@code SecretEntity} owns, {@code secret create}) is published here by
 * its entity: {@code encryptedFields} hold its CURRENT version and {@link #rotation()} says which
 * version that is, who its consumers are and, during a rotation, its PENDING version. Only its
 * entity changes it; {@code secret put} and {@code rm} refuse it.
 *
 * @param version the catalog revision that wrote it
 * @param rotation set for a rotating secret
 */
public record SharedSecret(String name, long version, Map<String, ByteString> encryptedFields, Instant updatedAt,
    Optional<Rotation> rotation) {

  /**
   * Which versions of a rotating secret the catalog holds.
   *
   * @param consumers the nodes that may read it (files that read it fail on any other node)
   */
  public record Rotation(long currentVersion, Optional<Pending> pending, FileDefinition.Selector consumers) {}

  /** A pending version; each field encrypted with {@link #pendingFieldAssociatedData}. */
  public record Pending(long version, Map<String, ByteString> encryptedFields) {
    public Pending {
      encryptedFields = Map.copyOf(new TreeMap<>(encryptedFields));
    }

    @Override
    public String toString() {
      return "Pending[v" + version + ", values=[secret]]";
    }
  }

  /** A static secret ({@code secret put}). */
  public SharedSecret(String name, long version, Map<String, ByteString> encryptedFields, Instant updatedAt) {
    this(name, version, encryptedFields, updatedAt, Optional.empty());
  }

  public static final int MAX_FIELDS = 32;
  public static final int MAX_VALUE_BYTES = 16 * 1024;
  private static final Pattern FIELD = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");

  public SharedSecret {
    encryptedFields = Map.copyOf(new TreeMap<>(encryptedFields));
  }

  public boolean rotating() {
    return rotation.isPresent();
  }

  /** Whether this copy shows the same versions of a rotating secret as {@code other}. */
  public boolean sameRotation(SharedSecret other) {
    return rotation.isPresent() && other.rotation.isPresent()
        && rotation.get().currentVersion() == other.rotation.get().currentVersion()
        && rotation.get().pending().map(Pending::version).equals(other.rotation.get().pending().map(Pending::version))
        && rotation.get().consumers().equals(other.rotation.get().consumers());
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

  /** Associated data for one field's value of pending version {@code version} of a rotating secret. */
  public static byte[][] pendingFieldAssociatedData(String name, long version, String field) {
    return new byte[][] {FileDefinition.utf8("opencluster/secret-pending-field/v1"), FileDefinition.utf8(name),
        FileDefinition.utf8(Long.toString(version)), FileDefinition.utf8(field)};
  }

  SharedSecret stored(long newVersion, Instant at) {
    return new SharedSecret(name, newVersion, encryptedFields, at, rotation);
  }

  @Override
  public String toString() {
    return "SharedSecret[" + name + " v" + version + ", fields " + fields()
        + rotation.map(r -> ", rotating: current v" + r.currentVersion()
            + r.pending().map(p -> ", pending v" + p.version()).orElse("")).orElse("") + ", values=[secret]]";
  }
}
