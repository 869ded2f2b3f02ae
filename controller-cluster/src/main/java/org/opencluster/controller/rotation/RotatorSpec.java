package org.opencluster.controller.rotation;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How a secret is rotated: the rotator's kind and its parameters, none of them secret (they are
 * shown by {@code secret show}).
 *
 * <p>A rotator that needs a credential of its own (the PostgreSQL admin role) names the shared
 * secret that holds it in {@code adminSecret}; the saga reads that secret's current version and
 * hands its fields to {@link Rotators#create}. The credential's value is never in the spec.
 *
 * @param kind the rotator: {@code none}, {@code postgresql}, ... (see {@link Rotators#kinds()})
 * @param parameters the kind's settings, e.g. {@code jdbc-url}, {@code role-a}, {@code role-b}
 * @param adminSecret the name of the shared secret holding the rotator's own credential, if any
 */
public record RotatorSpec(String kind, Map<String, String> parameters, Optional<String> adminSecret) {

  public RotatorSpec {
    Objects.requireNonNull(kind, "kind");
    if (kind.isBlank()) {
      throw new IllegalArgumentException("a rotator kind is required");
    }
    parameters = Map.copyOf(parameters);
    Objects.requireNonNull(adminSecret, "adminSecret");
  }

  /** A spec without an admin secret. */
  public static RotatorSpec of(String kind, Map<String, String> parameters) {
    return new RotatorSpec(kind, parameters, Optional.empty());
  }

  /** The parameter's value, or {@code fallback} when it is not given. */
  String parameter(String name, String fallback) {
    return parameters.getOrDefault(name, fallback);
  }

  /** The parameter's value; a missing or blank one is refused, naming it. */
  String required(String name) {
    String value = parameters.get(name);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("rotator '" + kind + "' needs the parameter '" + name + "'");
    }
    return value;
  }

  /** An integer parameter within [min, max]. */
  int integer(String name, int fallback, int min, int max) {
    String value = parameters.get(name);
    if (value == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "rotator '" + kind + "': '" + name + "' must be a whole number from " + min + " to " + max);
  }

  /** Refuses parameters the kind does not know, naming them (a typo must not pass silently). */
  void allowOnly(java.util.Set<String> known) {
    Map<String, String> unknown = new TreeMap<>(parameters);
    unknown.keySet().removeAll(known);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("rotator '" + kind + "' has no parameter " + unknown.keySet()
          + "; it knows " + new java.util.TreeSet<>(known));
    }
  }
}
