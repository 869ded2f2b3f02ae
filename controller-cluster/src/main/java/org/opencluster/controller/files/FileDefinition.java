package org.opencluster.controller.files;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A secure file as operators define it: where it goes on the host, with which owner and mode, how
 * it is served, what to run after it changed, which nodes get it, and where its content comes
 * from. Holds no plaintext: static content and template text are encrypted under the data key
 * ring ({@link ContentCipher}) before a definition is made.
 *
 * @param version the catalog revision that wrote this definition; never reused, also after a removal
 * @param mode POSIX permission bits, at most 0777
 * @param reload argv run on the host after the file changed (no shell); empty for none
 */
public record FileDefinition(String name, long version, String path, String owner, String group, int mode,
    Delivery delivery, List<String> reload, Selector selector, Source source, Instant updatedAt) {

  /** The largest content a secure file may have; its sealed box must fit an agent frame. */
  public static final int MAX_CONTENT_BYTES = 64 * 1024;
  public static final int MAX_RELOAD_ARGS = 32;

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._/-]{0,127}");
  private static final Pattern ACCOUNT = Pattern.compile("[a-z_][a-z0-9_-]{0,31}\\$?|[0-9]{1,10}");

  public FileDefinition {
    reload = List.copyOf(reload);
  }

  /** How the agent serves the file. */
  public enum Delivery {
    /** A file in a tmpfs or ramfs directory, replaced atomically. */
    TMPFS,
    /** A named pipe; each reader gets the content from the agent's memory. */
    FIFO
  }

  /** Where a file's content comes from. */
  public sealed interface Source permits StaticSource, TemplateSource, GeneratedSource {
    String kind();
  }

  /** Content an operator uploaded, encrypted. */
  public record StaticSource(ByteString encryptedContent, int length) implements Source {
    @Override
    public String kind() {
      return "static";
    }

    @Override
    public String toString() {
      return "StaticSource[" + length + " bytes, encrypted]";
    }
  }

  /** A template rendered per node ({@link Template}), its text encrypted. */
  public record TemplateSource(ByteString encryptedText, int length, List<Template.SecretReference> references)
      implements Source {
    public TemplateSource {
      references = List.copyOf(references);
    }

    @Override
    public String kind() {
      return "template";
    }

    /** The shared secrets it reads. */
    public Set<String> secrets() {
      Set<String> names = new TreeSet<>();
      references.forEach(r -> names.add(r.secret()));
      return names;
    }

    @Override
    public String toString() {
      return "TemplateSource[" + length + " bytes, encrypted, reads " + secrets() + "]";
    }
  }

  /**
   * A secret the controllers make for each node.
   *
   * @param length for random ones: characters or bytes
   * @param dnsNames for a tls-certificate: its DNS names, each a template of node facts ({@code
   *     {{ node.name }}.web.example}); empty otherwise
   * @param ipAddresses for a tls-certificate: its IP addresses (literals); empty otherwise
   * @param ttl for a tls-certificate: how long each certificate is valid (renewed two thirds in);
   *     for a random one: how often each node's value is made again (the node-scoped schedule,
   *     spread per node), zero to keep it until the definition changes
   */
  public record GeneratedSource(Generator generator, int length, Encoding encoding, List<String> dnsNames,
      List<String> ipAddresses, Duration ttl) implements Source {

    /** The DNS name a tls-certificate gets when none is given: the node's name. */
    public static final String NODE_NAME = "{{ node.name }}";
    public static final Duration DEFAULT_TTL = Duration.ofHours(24);
    public static final Duration MIN_TTL = Duration.ofMinutes(10);
    public static final Duration MAX_TTL = Duration.ofDays(398);
    public static final int MAX_NAMES = 32;

    public GeneratedSource {
      dnsNames = List.copyOf(dnsNames);
      ipAddresses = List.copyOf(ipAddresses);
    }

    /** A random password or key. */
    public GeneratedSource(Generator generator, int length, Encoding encoding) {
      this(generator, length, encoding, List.of(), List.of(), Duration.ZERO);
    }

    /** A TLS certificate from the service CA, and its key. */
    public static GeneratedSource tlsCertificate(List<String> dnsNames, List<String> ipAddresses, Duration ttl) {
      return new GeneratedSource(Generator.TLS_CERTIFICATE, 0, Encoding.RAW, dnsNames, ipAddresses, ttl);
    }

    @Override
    public String kind() {
      return "generated";
    }

    Optional<String> invalid() {
      if (generator != Generator.TLS_CERTIFICATE) {
        if (length < generator.min || length > generator.max) {
          return Optional.of(generator.label() + " length must be " + generator.min + ".." + generator.max);
        }
        if (!dnsNames.isEmpty() || !ipAddresses.isEmpty()) {
          return Optional.of("only a tls-certificate has DNS names and IP addresses");
        }
        return ttl.isZero() || ttl.compareTo(MIN_TTL) >= 0 && ttl.compareTo(MAX_TTL) <= 0 ? Optional.empty()
            : Optional.of("a " + generator.label() + " is made again every " + MIN_TTL.toMinutes() + " minutes.."
                + MAX_TTL.toDays() + " days, or kept until its definition changes");
      }
      if (dnsNames.isEmpty() && ipAddresses.isEmpty()) {
        return Optional.of("a tls-certificate needs a DNS name or an IP address");
      }
      if (dnsNames.size() + ipAddresses.size() > MAX_NAMES) {
        return Optional.of("a tls-certificate has at most " + MAX_NAMES + " names and addresses");
      }
      for (String dnsName : dnsNames) {
        Optional<String> invalid = invalidDnsName(dnsName);
        if (invalid.isPresent()) {
          return invalid;
        }
      }
      for (String address : ipAddresses) {
        if (ipAddress(address).isEmpty()) {
          return Optional.of("'" + printable(address) + "' is not an IPv4 or IPv6 address");
        }
      }
      if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
        return Optional.of("a tls-certificate's TTL must be " + MIN_TTL.toMinutes() + " minutes.." + MAX_TTL.toDays()
            + " days");
      }
      return Optional.empty();
    }

    private static Optional<String> invalidDnsName(String dnsName) {
      if (dnsName.length() > 253) {
        return Optional.of("DNS name '" + printable(dnsName) + "' is longer than 253 characters");
      }
      byte[] bytes = dnsName.getBytes(StandardCharsets.UTF_8);
      try {
        if (!Template.parse(bytes).references().isEmpty()) {
          return Optional.of("DNS name '" + printable(dnsName) + "' reads a secret; it may read node facts only");
        }
      } catch (Template.TemplateException e) {
        return Optional.of("DNS name '" + printable(dnsName) + "': " + e.getMessage());
      }
      if (!dnsName.contains("{{")) {
        try {
          new org.opencluster.protocol.pki.SubjectAltNames(List.of(dnsName), List.of());
        } catch (IllegalArgumentException e) {
          return Optional.of("'" + printable(dnsName) + "' is not a DNS name");
        }
      }
      return Optional.empty();
    }

    /** The address {@code literal} names, if it is an IPv4 or IPv6 literal (never a host name: no lookup). */
    public static Optional<java.net.InetAddress> ipAddress(String literal) {
      boolean v4 = literal.matches("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
      boolean v6 = literal.matches("[0-9A-Fa-f:.]{2,45}") && literal.contains(":");
      if (!v4 && !v6) {
        return Optional.empty();
      }
      try {
        return Optional.of(java.net.InetAddress.getByName(literal));
      } catch (java.net.UnknownHostException e) {
        return Optional.empty();
      }
    }
  }

  public enum Generator {
    /** Letters and digits: {@code length} characters. */
    RANDOM_PASSWORD(8, 256, 32),
    /** {@code length} random bytes, then encoded. */
    RANDOM_KEY(16, 1024, 32),
    /**
     * A P-256 key and a certificate for it from the service CA, in one PEM: the key (PKCS#8), the
     * certificate, the service CA's certificate. Made again when two thirds of its validity passed.
     */
    TLS_CERTIFICATE(0, 0, 0);

    final int min;
    final int max;
    final int defaultLength;

    Generator(int min, int max, int defaultLength) {
      this.min = min;
      this.max = max;
      this.defaultLength = defaultLength;
    }

    public int defaultLength() {
      return defaultLength;
    }

    /** As the API writes it: {@code random-password}. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  public enum Encoding {
    RAW,
    BASE64,
    HEX
  }

  /**
   * Which nodes get a file: every node named in {@code nodes}, and every node carrying all of
   * {@code labels}; or every node when {@code all}.
   */
  public record Selector(Set<String> nodes, Map<String, String> labels, boolean all) {
    public Selector {
      nodes = Set.copyOf(new TreeSet<>(nodes));
      labels = Map.copyOf(new TreeMap<>(labels));
    }

    public boolean matches(String nodeId, Map<String, String> nodeLabels) {
      if (all || nodes.contains(nodeId)) {
        return true;
      }
      return !labels.isEmpty() && labels.entrySet().stream()
          .allMatch(label -> label.getValue().equals(nodeLabels.get(label.getKey())));
    }

    Optional<String> invalid() {
      if (!all && nodes.isEmpty() && labels.isEmpty()) {
        return Optional.of("a selector names nodes, labels, or all nodes; this one selects nothing");
      }
      return Optional.empty();
    }

    @Override
    public String toString() {
      if (all) {
        return "all nodes";
      }
      StringBuilder text = new StringBuilder();
      labels.forEach((k, v) -> text.append(text.length() == 0 ? "" : ",").append(k).append('=').append(v));
      nodes.forEach(n -> text.append(text.length() == 0 ? "" : ",").append("node=").append(n));
      return text.toString();
    }
  }

  /** Why {@code name} cannot name a file or a secret, if it cannot. */
  public static Optional<String> invalidName(String name) {
    if (name == null || !NAME.matcher(name).matches() || name.contains("..") || name.contains("//")
        || name.endsWith("/") || name.contains("/./") || name.endsWith("/.")) {
      return Optional.of("invalid name '" + printable(name) + "': 1..128 characters of a-z, 0-9, '.', '_', '-', '/', "
          + "starting with a letter or digit, without '..', '//', '.' segments or a trailing '/'");
    }
    return Optional.empty();
  }

  /** Why this definition cannot be stored, if it cannot. */
  public Optional<String> invalid() {
    Optional<String> invalidName = invalidName(name);
    if (invalidName.isPresent()) {
      return invalidName;
    }
    if (path == null || !path.startsWith("/") || path.length() > 4096 || path.endsWith("/")
        || java.nio.file.Path.of(path).normalize().toString().length() != path.length() || path.indexOf('\0') >= 0
        || path.contains("/./") || path.contains("/../")) {
      return Optional.of("path '" + printable(path) + "' must be an absolute, normalized file path");
    }
    if (!ACCOUNT.matcher(owner).matches()) {
      return Optional.of("owner '" + printable(owner) + "' is not a user name or numeric id");
    }
    if (!ACCOUNT.matcher(group).matches()) {
      return Optional.of("group '" + printable(group) + "' is not a group name or numeric id");
    }
    if (mode < 0 || mode > 0777) {
      return Optional.of("mode " + Integer.toOctalString(mode) + " is not permission bits 0..0777 (no setuid, setgid or sticky)");
    }
    if (reload.size() > MAX_RELOAD_ARGS || reload.stream().anyMatch(a -> a.isEmpty() || a.indexOf('\0') >= 0)) {
      return Optional.of("reload is a command and its arguments: at most " + MAX_RELOAD_ARGS + " non-empty strings");
    }
    if (!reload.isEmpty() && !reload.get(0).startsWith("/")) {
      return Optional.of("reload command '" + printable(reload.get(0)) + "' must be an absolute path (the agent runs it "
          + "without a shell and without a search path)");
    }
    Optional<String> selectorInvalid = selector.invalid();
    if (selectorInvalid.isPresent()) {
      return selectorInvalid;
    }
    if (source instanceof GeneratedSource g && g.invalid().isPresent()) {
      return g.invalid();
    }
    if (source instanceof StaticSource s && s.length() > MAX_CONTENT_BYTES
        || source instanceof TemplateSource t && t.length() > MAX_CONTENT_BYTES) {
      return Optional.of("content larger than " + MAX_CONTENT_BYTES + " bytes");
    }
    return Optional.empty();
  }

  /** Associated data for a static file's content: it belongs to this name only. */
  public static byte[][] contentAssociatedData(String name) {
    return new byte[][] {utf8("opencluster/file-content/v1"), utf8(name)};
  }

  /** Associated data for a template's text. */
  public static byte[][] templateAssociatedData(String name) {
    return new byte[][] {utf8("opencluster/file-template/v1"), utf8(name)};
  }

  /** Definition with a new version and time (the catalog assigns both). */
  FileDefinition stored(long newVersion, Instant at) {
    return new FileDefinition(name, newVersion, path, owner, group, mode, delivery, reload, selector, source, at);
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Operator-given text made safe for a message or a log line. */
  public static String printable(String text) {
    if (text == null) {
      return "";
    }
    String shown = text.length() > 80 ? text.substring(0, 80) + "..." : text;
    return shown.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
