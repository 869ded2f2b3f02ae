package org.opencluster.ops.cli.file;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.opencluster.ops.cli.Output;

/** A secure file's metadata as an operator reads it: one fact a line, never content (the API has none). */
final class FileView {

  private static final Pattern PLAIN_ARGUMENT = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

  private FileView() {}

  static void print(Output output, JsonNode file) {
    List<List<String>> rows = new ArrayList<>(List.of(
        List.of("name", file.path("name").asText()),
        List.of("version", file.path("version").asText()),
        List.of("path", file.path("path").asText()),
        List.of("owner", file.path("owner").asText("root") + ":" + file.path("group").asText("root")),
        List.of("mode", file.path("mode").asText()),
        List.of("delivery", file.path("delivery").asText()),
        List.of("reload", reload(file.path("reload"))),
        List.of("source", source(file.path("source")))));
    rows.addAll(certificate(file.path("source")));
    rows.add(List.of("selector", selector(file.path("selector"))));
    rows.add(List.of("updated", file.path("updatedAt").asText("-")));
    output.rows(rows);
  }

  /**
   * {@code static, 123 bytes}, {@code template, 80 bytes, secrets db/orders}, {@code generated
   * random-key, length 32, hex}, {@code generated tls-certificate}.
   */
  static String source(JsonNode source) {
    String kind = source.path("kind").asText("-");
    return switch (kind) {
      case "static" -> "static, " + source.path("bytes").asLong() + " bytes";
      case "template" -> "template, " + source.path("bytes").asLong() + " bytes, " + (source.path("secrets").isEmpty()
          ? "no secrets" : "secrets " + String.join(", ", texts(source.path("secrets"))));
      case "generated" -> "generated " + source.path("generator").asText()
          + (source.has("length") ? ", length " + source.path("length").asInt() : "")
          + (source.has("encoding") ? ", " + source.path("encoding").asText() : "")
          + (source.has("rotateEverySeconds") ? ", made again every " + duration(source.path("rotateEverySeconds").asLong())
              : "");
      default -> kind;
    };
  }

  /** A tls-certificate source's names and validity, a row each, as far as the controller's answer gives them. */
  static List<List<String>> certificate(JsonNode source) {
    List<List<String>> rows = new ArrayList<>();
    if (!source.path("dnsNames").isEmpty()) {
      rows.add(List.of("dns names", String.join(", ", texts(source.path("dnsNames")))));
    }
    if (!source.path("ipAddresses").isEmpty()) {
      rows.add(List.of("ip addresses", String.join(", ", texts(source.path("ipAddresses")))));
    }
    if (source.has("ttlSeconds")) {
      rows.add(List.of("validity", duration(source.path("ttlSeconds").asLong())
          + ", renewed when two thirds of it have passed"));
    }
    return rows;
  }

  /** Seconds as the command line takes a duration: {@code 30d}, {@code 24h}, {@code 90m} or {@code 45s}. */
  private static String duration(long seconds) {
    if (seconds > 0 && seconds % 86_400 == 0) {
      return seconds / 86_400 + "d";
    }
    if (seconds > 0 && seconds % 3_600 == 0) {
      return seconds / 3_600 + "h";
    }
    if (seconds > 0 && seconds % 60 == 0) {
      return seconds / 60 + "m";
    }
    return seconds + "s";
  }

  /** {@code all nodes}, or {@code nodes web-1, web-2; labels role=web}. */
  static String selector(JsonNode selector) {
    if (selector.path("all").asBoolean(false)) {
      return "all nodes";
    }
    List<String> parts = new ArrayList<>();
    if (!selector.path("nodes").isEmpty()) {
      parts.add("nodes " + String.join(", ", texts(selector.path("nodes"))));
    }
    if (!selector.path("labels").isEmpty()) {
      List<String> labels = new ArrayList<>();
      selector.path("labels").fields()
          .forEachRemaining(label -> labels.add(label.getKey() + "=" + label.getValue().asText()));
      parts.add("labels " + String.join(", ", labels));
    }
    return parts.isEmpty() ? "no node" : String.join("; ", parts);
  }

  /** The reload argv as a shell would need it typed: arguments with spaces or quotes single-quoted. */
  static String reload(JsonNode reload) {
    if (reload.isEmpty()) {
      return "none";
    }
    List<String> words = new ArrayList<>();
    for (String argument : texts(reload)) {
      words.add(PLAIN_ARGUMENT.matcher(argument).matches() ? argument : "'" + argument.replace("'", "'\\''") + "'");
    }
    return String.join(" ", words);
  }

  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(element -> texts.add(element.asText()));
    return texts;
  }
}
