package org.opencluster.controller.files;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * A secure file rendered per node: text with references to shared secrets and node facts.
 *
 * <pre>
 * {{ secret "db/orders" "password" }}   a field of a shared secret
 * {{ node.name }}  {{ node.id }}          the node's facts
 * {{ node.label "role" }}                 one of its labels (a node without it: the file fails)
 * {{ "{{" }}                              a literal, for text that needs the braces
 * </pre>
 *
 * Anything else between braces is an error, reported with its line and column when the template is
 * stored, so a typo never reaches a host. The parser works on bytes, so rendering on the delivery
 * path makes no String of the text or of a secret; the output is a {@link SecretBytes} and every
 * intermediate buffer is zeroed.
 */
public final class Template {

  /** A field of a shared secret that a template reads. */
  public record SecretReference(String secret, String field) {}

  /** The node a template is rendered for. */
  public record NodeView(String id, String name, Map<String, String> labels) {}

  /** Reads a shared secret's field; the caller closes what it returns. */
  @FunctionalInterface
  public interface Secrets {
    SecretBytes field(String secret, String field) throws TemplateException;
  }

  /** A template that does not parse or cannot be rendered for a node. Never carries secret bytes. */
  public static final class TemplateException extends Exception {
    public TemplateException(String message) {
      super(message);
    }
  }

  private sealed interface Part permits Literal, SecretPart, NodeId, NodeName, NodeLabel, Quoted {}

  private record Literal(int offset, int length) implements Part {}

  private record SecretPart(SecretReference reference) implements Part {}

  private record NodeId() implements Part {}

  private record NodeName() implements Part {}

  private record NodeLabel(String key) implements Part {}

  private record Quoted(byte[] text) implements Part {}

  private final List<Part> parts;

  private Template(List<Part> parts) {
    this.parts = parts;
  }

  /** The shared-secret fields the template reads, in order of appearance, without repeats. */
  public List<SecretReference> references() {
    List<SecretReference> references = new ArrayList<>();
    for (Part part : parts) {
      if (part instanceof SecretPart s && !references.contains(s.reference())) {
        references.add(s.reference());
      }
    }
    return references;
  }

  /** Parses {@code text} (UTF-8). */
  public static Template parse(byte[] text) throws TemplateException {
    List<Part> parts = new ArrayList<>();
    int literalStart = 0;
    int i = 0;
    while (i < text.length) {
      if (text[i] == '{' && i + 1 < text.length && text[i + 1] == '{') {
        if (i > literalStart) {
          parts.add(new Literal(literalStart, i - literalStart));
        }
        int close = indexOf(text, i + 2);
        if (close < 0) {
          throw new TemplateException("unclosed '{{' at " + position(text, i));
        }
        parts.add(expression(text, i + 2, close, position(text, i)));
        i = close + 2;
        literalStart = i;
      } else {
        i++;
      }
    }
    if (text.length > literalStart) {
      parts.add(new Literal(literalStart, text.length - literalStart));
    }
    return new Template(List.copyOf(parts));
  }

  /**
   * Renders for {@code node}. {@code text} must be the bytes this template was parsed from.
   *
   * @throws TemplateException if a secret, field or label it reads is missing
   */
  public SecretBytes render(byte[] text, NodeView node, Secrets secrets) throws TemplateException {
    Output out = new Output();
    try {
      for (Part part : parts) {
        if (part instanceof Literal l) {
          out.write(text, l.offset(), l.length());
        } else if (part instanceof Quoted q) {
          out.write(q.text(), 0, q.text().length);
        } else if (part instanceof NodeId) {
          out.write(utf8(node.id()));
        } else if (part instanceof NodeName) {
          out.write(utf8(node.name()));
        } else if (part instanceof NodeLabel l) {
          String value = node.labels().get(l.key());
          if (value == null) {
            throw new TemplateException("node " + node.id() + " has no label '" + l.key() + "'");
          }
          out.write(utf8(value));
        } else if (part instanceof SecretPart s) {
          try (SecretBytes value = secrets.field(s.reference().secret(), s.reference().field())) {
            byte[] bytes = value.copyBytes();
            out.write(bytes);
            Arrays.fill(bytes, (byte) 0);
          }
        }
      }
      return out.toSecret();
    } finally {
      out.wipe();
    }
  }

  /** Parses from the text itself: for validating what an operator sends. */
  public static Template parse(String text) throws TemplateException {
    return parse(text.getBytes(StandardCharsets.UTF_8));
  }

  private static Part expression(byte[] text, int from, int to, String at) throws TemplateException {
    List<String> tokens = tokens(text, from, to, at);
    if (tokens.isEmpty()) {
      throw new TemplateException("empty '{{ }}' at " + at);
    }
    String head = tokens.get(0);
    if (head.equals("secret") && tokens.size() == 3 && quoted(tokens.get(1)) && quoted(tokens.get(2))) {
      String secret = unquote(tokens.get(1));
      String field = unquote(tokens.get(2));
      if (FileDefinition.invalidName(secret).isPresent()) {
        throw new TemplateException("'" + FileDefinition.printable(secret) + "' at " + at + " is not a secret name");
      }
      if (SharedSecret.invalidField(field).isPresent()) {
        throw new TemplateException("'" + FileDefinition.printable(field) + "' at " + at + " is not a field name");
      }
      return new SecretPart(new SecretReference(secret, field));
    }
    if (head.equals("node.name") && tokens.size() == 1) {
      return new NodeName();
    }
    if (head.equals("node.id") && tokens.size() == 1) {
      return new NodeId();
    }
    if (head.equals("node.label") && tokens.size() == 2 && quoted(tokens.get(1))) {
      return new NodeLabel(unquote(tokens.get(1)));
    }
    if (quoted(head) && tokens.size() == 1) {
      return new Quoted(utf8(unquote(head)));
    }
    throw new TemplateException("unknown expression at " + at + ": expected secret \"NAME\" \"FIELD\", node.name, "
        + "node.id, node.label \"KEY\" or a quoted literal");
  }

  /** Words and double-quoted strings (no escapes inside quotes). */
  private static List<String> tokens(byte[] text, int from, int to, String at) throws TemplateException {
    List<String> tokens = new ArrayList<>();
    int i = from;
    while (i < to) {
      byte b = text[i];
      if (b == ' ' || b == '\t') {
        i++;
      } else if (b == '"') {
        int end = i + 1;
        while (end < to && text[end] != '"') {
          if (text[end] == '\n') {
            throw new TemplateException("unclosed quote at " + at);
          }
          end++;
        }
        if (end >= to) {
          throw new TemplateException("unclosed quote at " + at);
        }
        tokens.add(new String(text, i, end - i + 1, StandardCharsets.UTF_8));
        i = end + 1;
      } else if (Character.isLetterOrDigit(b) || b == '.' || b == '_' || b == '-') {
        int end = i;
        while (end < to && (Character.isLetterOrDigit(text[end]) || text[end] == '.' || text[end] == '_' || text[end] == '-')) {
          end++;
        }
        tokens.add(new String(text, i, end - i, StandardCharsets.US_ASCII));
        i = end;
      } else {
        throw new TemplateException("unexpected character in '{{ }}' at " + at);
      }
    }
    return tokens;
  }

  private static int indexOf(byte[] text, int from) {
    for (int i = from; i + 1 < text.length; i++) {
      if (text[i] == '}' && text[i + 1] == '}') {
        return i;
      }
      if (text[i] == '\n') {
        return -1;
      }
    }
    return -1;
  }

  private static boolean quoted(String token) {
    return token.length() >= 2 && token.startsWith("\"") && token.endsWith("\"");
  }

  private static String unquote(String token) {
    return token.substring(1, token.length() - 1);
  }

  private static String position(byte[] text, int index) {
    int line = 1;
    int column = 1;
    for (int i = 0; i < index; i++) {
      if (text[i] == '\n') {
        line++;
        column = 1;
      } else {
        column++;
      }
    }
    return "line " + line + ", column " + column;
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** A growing buffer that zeroes what it leaves behind. */
  private static final class Output {
    private byte[] buffer = new byte[256];
    private int length;

    void write(byte[] bytes) {
      write(bytes, 0, bytes.length);
    }

    void write(byte[] bytes, int offset, int count) {
      if (length + count > buffer.length) {
        byte[] grown = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + count));
        Arrays.fill(buffer, (byte) 0);
        buffer = grown;
      }
      System.arraycopy(bytes, offset, buffer, length, count);
      length += count;
    }

    SecretBytes toSecret() {
      return SecretBytes.copyOf(buffer, 0, length);
    }

    void wipe() {
      Arrays.fill(buffer, (byte) 0);
    }
  }
}
