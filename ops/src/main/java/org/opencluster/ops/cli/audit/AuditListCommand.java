package org.opencluster.ops.cli.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "list", mixinStandardHelpOptions = true,
    description = "Audit records, oldest first: place, time, actor, action, target, outcome, detail. Filters "
        + "combine; the output says how to see the next page.")
final class AuditListCommand implements Callable<Integer> {

  private final CliContext context;

  @Mixin
  ApiOptions api;

  @Option(names = "--since", paramLabel = "INSTANT", description = "Records at or after this time (ISO-8601, e.g. "
      + "2025-03-01T10:00:00Z).")
  Instant since;

  @Option(names = "--actor", paramLabel = "ACTOR", description = "Only this actor: operator/NAME, controller/NAME, node/ID.")
  String actor;

  @Option(names = "--action", paramLabel = "ACTION", description = "Only this action, or the actions under it "
      + "(api matches api.post; node.quarantine, certificate.revoke, seal.unseal-share, tls.api.refused, ...).")
  String action;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N records (1..1000; "
      + "default ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--after", paramLabel = "SEQ", defaultValue = "0", description = "Records after this place (the "
      + "next page starts after the last one shown).")
  long after;

  @Option(names = "--json", description = "Print the controller's answer as JSON.")
  boolean json;

  AuditListCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    Map<String, String> query = new LinkedHashMap<>();
    if (since != null) {
      query.put("since", since.toString());
    }
    if (actor != null) {
      query.put("actor", actor);
    }
    if (action != null) {
      query.put("action", action);
    }
    query.put("limit", String.valueOf(limit));
    query.put("after", String.valueOf(after));
    JsonNode result = api.client(context).get("/v1/audit?" + query.entrySet().stream()
        .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&")));
    Output output = new Output(context.out());
    if (json) {
      output.json(result);
      return 0;
    }
    print(output, result);
    return 0;
  }

  static void print(Output output, JsonNode result) {
    JsonNode records = result.path("records");
    if (records.isEmpty()) {
      output.line("No audit records match.");
    } else {
      List<List<String>> rows = new ArrayList<>();
      rows.add(List.of("SEQ", "AT", "ACTOR", "ACTION", "TARGET", "OUTCOME", "DETAIL"));
      for (JsonNode record : records) {
        rows.add(List.of(record.path("seq").asText(), record.path("at").asText(), record.path("actor").asText(),
            record.path("action").asText(), record.path("target").asText(), record.path("outcome").asText(),
            record.path("detail").asText()));
      }
      output.rows(rows);
    }
    if (!result.path("unreadable").isEmpty()) {
      List<String> places = new ArrayList<>();
      result.path("unreadable").forEach(place -> places.add(place.asText()));
      output.line("Records " + String.join(", ", places) + " do not authenticate: run 'opencluster audit verify'.");
    }
    if (result.has("next")) {
      output.line("More may follow: add --after " + result.path("next").asText() + ".");
    }
  }
}
