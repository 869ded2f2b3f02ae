package org.opencluster.ops.cli.secret;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.opencluster.ops.cli.Output;

/**
 * A rotating secret's status as an operator reads it (GET /v1/rotating-secrets/NAME): its
 * rotator, versions and labels, the running step, who is behind, the last failure. Never a value
 * (the API has none).
 */
final class RotatingSecretView {

  private RotatingSecretView() {}

  static void print(Output output, JsonNode status) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("name", status.path("name").asText()));
    JsonNode rotator = status.path("rotator");
    StringBuilder how = new StringBuilder(rotator.path("kind").asText());
    rotator.path("parameters").fields().forEachRemaining(p -> how.append(' ').append(p.getKey()).append('=')
        .append(p.getValue().asText()));
    if (rotator.hasNonNull("admin_secret")) {
      how.append(", admin secret ").append(rotator.path("admin_secret").asText());
    }
    rows.add(List.of("rotator", how.toString()));
    rows.add(List.of("fields", join(status.path("fields"))));
    rows.add(List.of("consumers", consumers(status.path("consumers"))));
    rows.add(List.of("every", status.hasNonNull("every") ? status.path("every").asText() : "only when asked"));
    List<String> versions = new ArrayList<>();
    status.path("versions").forEach(v -> versions.add("v" + v.path("number").asText() + " " + v.path("label").asText()
        + " (" + v.path("created_at").asText() + ")"));
    rows.add(List.of("versions", versions.isEmpty() ? "-" : String.join(", ", versions)));
    JsonNode rotation = status.path("rotation");
    rows.add(List.of("rotation", rotation.isObject() ? "to v" + rotation.path("version").asText() + ", step "
        + rotation.path("step").asText() + " (" + rotation.path("trigger").asText() + ", since "
        + rotation.path("started_at").asText() + ")"
        + (rotation.path("attempts").asInt() > 0 ? ", " + rotation.path("attempts").asInt() + " failed tries, again at "
            + rotation.path("retry_at").asText() : "")
        + (rotation.hasNonNull("retire_at") ? ", previous retired at " + rotation.path("retire_at").asText() : "")
        + (rotation.path("urgent").asBoolean() ? ", URGENT (compromise)" : "") : "none running"));
    JsonNode distribution = status.path("distribution");
    if (distribution.isObject()) {
      rows.add(List.of("distribution", "v" + distribution.path("version").asText() + ": "
          + distribution.path("acknowledged").asInt() + "/" + distribution.path("expected").asInt() + " acknowledged"
          + ("retire".equals(status.path("rotation").path("step").asText())
              ? ", " + distribution.path("switched").asInt() + " serving it in their files" : "")));
      rows.add(List.of("behind", behind(distribution)));
    }
    JsonNode failure = status.path("last_failure");
    if (failure.isObject()) {
      rows.add(List.of("last failure", "v" + failure.path("version").asText() + " at " + failure.path("step").asText()
          + " (" + failure.path("at").asText() + "): " + failure.path("message").asText()));
    }
    if (status.hasNonNull("next_rotation_at")) {
      rows.add(List.of("next rotation", status.path("next_rotation_at").asText()));
    }
    if (!status.path("compromised").isEmpty()) {
      rows.add(List.of("compromised", join(status.path("compromised"))));
    }
    output.rows(rows);
  }

  /** The consumers that have not acknowledged, as "K (a, b, ...)", or "none". */
  static String behind(JsonNode distribution) {
    int count = distribution.path("behind_count").asInt();
    if (count == 0) {
      return "none";
    }
    String named = join(distribution.path("behind"));
    return count + " (" + named + (count > distribution.path("behind").size() ? ", ..." : "") + ")";
  }

  private static String consumers(JsonNode consumers) {
    if (consumers.path("all").asBoolean()) {
      return "all nodes";
    }
    List<String> parts = new ArrayList<>();
    consumers.path("labels").fields().forEachRemaining(l -> parts.add(l.getKey() + "=" + l.getValue().asText()));
    consumers.path("nodes").forEach(n -> parts.add("node " + n.asText()));
    return parts.isEmpty() ? "-" : String.join(", ", parts);
  }

  private static String join(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(element -> texts.add(element.asText()));
    return texts.isEmpty() ? "-" : String.join(", ", texts);
  }
}
