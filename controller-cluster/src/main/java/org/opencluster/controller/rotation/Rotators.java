package org.opencluster.controller.rotation;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * The rotators this controller can build, by kind. The saga only ever sees {@link Rotator}: a new
 * target system (MySQL, LDAP, a cloud API) is one more {@link Factory} registered here.
 *
 * <pre>{@code
 * Rotator rotator = Rotators.standard().create(spec, adminFields);
 * }</pre>
 */
public final class Rotators {

  /** Builds a rotator of one kind. */
  @FunctionalInterface
  public interface Factory {
    /**
     * A rotator for {@code spec}.
     *
     * @param admin the current version of the secret {@code spec.adminSecret()} names (empty when
     *     it names none); the rotator uses these objects without copying them, so the caller keeps
     *     them open while it uses the rotator and closes them afterwards
     * @throws IllegalArgumentException when the parameters or the admin fields are not what the
     *     kind needs (the message names the parameter or field, never a value)
     */
    Rotator create(RotatorSpec spec, Map<String, SecretBytes> admin);
  }

  private final Map<String, Factory> factories;

  private Rotators(Map<String, Factory> factories) {
    this.factories = Map.copyOf(factories);
  }

  /** {@code none} (distribution only) and {@code postgresql} (alternating users). */
  public static Rotators standard() {
    return new Rotators(Map.of(
        NoneRotator.KIND, NoneRotator::create,
        PostgresAlternatingUsers.KIND, PostgresAlternatingUsers::create));
  }

  /** This registry plus {@code kind}; a kind already known is refused. */
  public Rotators with(String kind, Factory factory) {
    Objects.requireNonNull(factory, "factory");
    if (factories.containsKey(kind)) {
      throw new IllegalArgumentException("rotator kind '" + kind + "' is already registered");
    }
    Map<String, Factory> more = new TreeMap<>(factories);
    more.put(kind, factory);
    return new Rotators(more);
  }

  /** The kinds {@link #create} accepts. */
  public Set<String> kinds() {
    return new TreeSet<>(factories.keySet());
  }

  /**
   * The rotator {@code spec} describes.
   *
   * @throws IllegalArgumentException for an unknown kind (the known ones are named), or
   *     parameters or admin fields the kind refuses
   */
  public Rotator create(RotatorSpec spec, Map<String, SecretBytes> admin) {
    Factory factory = factories.get(spec.kind());
    if (factory == null) {
      throw new IllegalArgumentException("unknown rotator kind '" + printable(spec.kind()) + "'; known kinds: "
          + String.join(", ", kinds()));
    }
    return factory.create(spec, Map.copyOf(admin));
  }

  /** At most 64 printable ASCII characters of an operator's input, for a message. */
  private static String printable(String text) {
    String cut = text.length() > 64 ? text.substring(0, 64) + "..." : text;
    return cut.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
