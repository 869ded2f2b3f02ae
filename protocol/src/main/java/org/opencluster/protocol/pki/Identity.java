package org.opencluster.protocol.pki;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who a certificate speaks for, carried as a URI in its subject alternative names:
 *
 * <ul>
 *   <li>{@code opencluster://ca/root}, {@code opencluster://ca/agents}, {@code
 *       opencluster://ca/services} — the cluster's CAs
 *   <li>{@code opencluster://controller/<name>}
 *   <li>{@code opencluster://node/<id>}
 *   <li>{@code opencluster://operator/<name>?role=admin|operator|auditor}
 * </ul>
 *
 * Names are 1..63 characters of {@code [a-z0-9._-]} starting with a letter or digit. Parsing is
 * exact: anything else is not an identity.
 */
public final class Identity {

  /** What kind of party an identity names. */
  public enum Kind {
    CA,
    CONTROLLER,
    NODE,
    OPERATOR;

    String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public static final String SCHEME = "opencluster";
  public static final Identity ROOT_CA = new Identity(Kind.CA, "root", null);
  public static final Identity AGENT_CA = new Identity(Kind.CA, "agents", null);
  /** Issues TLS certificates for the applications on the nodes ({@code tls-certificate} files). */
  public static final Identity SERVICE_CA = new Identity(Kind.CA, "services", null);

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
  private static final Pattern URI_FORM =
      Pattern.compile("opencluster://(ca|controller|node|operator)/([a-z0-9][a-z0-9._-]{0,62})(\\?role=([a-z]+))?");

  private final Kind kind;
  private final String name;
  private final Role role;

  private Identity(Kind kind, String name, Role role) {
    this.kind = kind;
    this.name = name;
    this.role = role;
  }

  public static Identity controller(String name) {
    return new Identity(Kind.CONTROLLER, requireName(name), null);
  }

  public static Identity node(String id) {
    return new Identity(Kind.NODE, requireName(id), null);
  }

  public static Identity operator(String name, Role role) {
    return new Identity(Kind.OPERATOR, requireName(name), Objects.requireNonNull(role, "role"));
  }

  /** True when {@code name} is acceptable as a controller, node or operator name. */
  public static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /**
   * Parses the URI form.
   *
   * @throws IllegalArgumentException if {@code uri} is not exactly an OpenCluster identity
   */
  public static Identity parse(String uri) {
    Matcher m = URI_FORM.matcher(uri == null ? "" : uri);
    if (!m.matches()) {
      throw new IllegalArgumentException("not an OpenCluster identity URI: " + CertificateValidator.sanitize(uri));
    }
    Kind kind = Kind.valueOf(m.group(1).toUpperCase(Locale.ROOT));
    String name = m.group(2);
    String role = m.group(4);
    if (kind == Kind.OPERATOR) {
      if (role == null) {
        throw new IllegalArgumentException("operator identity without a role: " + CertificateValidator.sanitize(uri));
      }
      return operator(name, Role.fromId(role));
    }
    if (role != null) {
      throw new IllegalArgumentException("only operator identities carry a role: " + CertificateValidator.sanitize(uri));
    }
    if (kind == Kind.CA) {
      if (name.equals(ROOT_CA.name)) {
        return ROOT_CA;
      }
      if (name.equals(AGENT_CA.name)) {
        return AGENT_CA;
      }
      if (name.equals(SERVICE_CA.name)) {
        return SERVICE_CA;
      }
      throw new IllegalArgumentException("unknown CA identity: " + CertificateValidator.sanitize(uri));
    }
    return new Identity(kind, name, null);
  }

  public Kind kind() {
    return kind;
  }

  public String name() {
    return name;
  }

  /** The operator's role; empty for every other kind. */
  public Optional<Role> role() {
    return Optional.ofNullable(role);
  }

  public URI toUri() {
    return URI.create(toString());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Identity other && kind == other.kind && name.equals(other.name) && role == other.role;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, name, role);
  }

  /** The URI form. */
  @Override
  public String toString() {
    return SCHEME + "://" + kind.id() + "/" + name + (role == null ? "" : "?role=" + role.id());
  }

  private static String requireName(String name) {
    if (!isValidName(name)) {
      throw new IllegalArgumentException(
          "invalid name '" + CertificateValidator.sanitize(name) + "': use 1..63 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
    }
    return name;
  }
}
