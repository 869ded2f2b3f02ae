package org.opencluster.ops.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.opencluster.ops.cli.Output;

/** Seal status as an operator reads it. */
final class SealStatusView {

  private SealStatusView() {}

  static void print(Output output, JsonNode status) {
    String state = status.path("state").asText();
    String line = switch (state) {
      case "uninitialized" -> "not initialized: run 'opencluster operator init'";
      case "sealed" -> "sealed: " + status.path("progress").asInt() + " of " + status.path("threshold").asInt()
          + " shares given; run 'opencluster operator unseal' with another operator's share";
      case "unsealed" -> "unsealed";
      default -> state;
    };
    output.rows(List.of(
        List.of("controller", status.path("controller").asText()),
        List.of("seal", line),
        List.of("shares", status.path("shares").asInt() + " (any " + status.path("threshold").asInt() + " unseal)"),
        List.of("share set", status.path("shareSetId").asText()),
        List.of("data keys", status.path("dataKeys").asInt() + " (active " + status.path("activeKeyId").asInt() + ")")));
  }
}
