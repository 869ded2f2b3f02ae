package org.opencluster.ops.cli.secret;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.opencluster.ops.cli.Output;

/** A shared secret as an operator reads it: names and versions, never values (the API has none). */
final class SecretView {

  private SecretView() {}

  /** One fact a line; {@code withUsers}: also the files that use it (a put's answer does not say). */
  static void print(Output output, JsonNode secret, boolean withUsers) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("name", secret.path("name").asText()));
    rows.add(List.of("version", secret.path("version").asText()));
    rows.add(List.of("fields", fields(secret)));
    if (withUsers) {
      rows.add(List.of("used by", usedBy(secret)));
    }
    rows.add(List.of("updated", secret.path("updatedAt").asText("-")));
    output.rows(rows);
  }

  static String fields(JsonNode secret) {
    return secret.path("fields").isEmpty() ? "-" : String.join(", ", texts(secret.path("fields")));
  }

  static String usedBy(JsonNode secret) {
    return secret.path("usedBy").isEmpty() ? "no file" : String.join(", ", texts(secret.path("usedBy")));
  }

  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(element -> texts.add(element.asText()));
    return texts;
  }
}
