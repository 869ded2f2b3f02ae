package org.opencluster.controller.files;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
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

  /** A secret the controllers make for each node. */
  public record GeneratedSource(Generator generator, int length, Encoding encoding) implements Source {
    @Override
    public String kind() {
      return "generated";
    }
  }

  public enum Generator {
    /** Letters and digits: {@code length} characters. */
    RANDOM_PASSWORD(8, 256, 32),
    /** {@code length} random bytes, then encoded. */
    RANDOM_KEY(16, 1024, 32);

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
    if (source instanceof GeneratedSource g && (g.length() < g.generator().min || g.length() > g.generator().max)) {
      return Optional.of(g.generator().label() + " length must be " + g.generator().min + ".." + g.generator().max);
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
