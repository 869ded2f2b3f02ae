package org.opencluster.ops.cli.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import org.opencluster.ops.cli.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "list", mixinStandardHelpOptions = true,
    description = "The fleet's nodes from the read model, in id order: id, name, stage, labels, lifetime end, last "
        + "heartbeat (to the hour by default). Filters combine: every one given must match. The read model trails "
        + "the nodes by about a second; 'node show ID' asks the node itself. Any operator role.")
final class NodeListCommand implements Callable<Integer> {

  static final int MAX_LIMIT = 1000;
  private static final Set<String> STAGES = Set.of("registered", "active", "quarantined", "expired", "retired");

  /** Where pages come from: the controller's API, or a test's answers. */
  @FunctionalInterface
  interface Pages {
    JsonNode get(String path) throws OpsException;
  }

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Option(names = "--state", paramLabel = "STAGE",
      description = "Only nodes in this stage: registered, active, quarantined, expired or retired.")
  String state;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Only nodes with this label; repeat for more.")
  List<String> labels = new ArrayList<>();

  @Option(names = "--name-prefix", paramLabel = "PREFIX", description = "Only nodes whose name starts with this.")
  String namePrefix;

  @Option(names = "--limit", paramLabel = "N", description = "Nodes per page, 1 to " + MAX_LIMIT + " (default 100).")
  Integer limit;

  @Option(names = "--after", paramLabel = "CURSOR", description = "The page after this cursor (a 'next' printed before).")
  String after;

  @Option(names = "--all", description = "Follow the cursors and print every matching node.")
  boolean all;

  @Option(names = "--json", description = "Print JSON: the page as the controller answers, or with --all every node.")
  boolean json;

  NodeListCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    String path = path();
    Pages pages = api.client(context)::get;
    Output output = new Output(context.out());
    JsonNode result;
    if (all) {
      try (Progress progress = Progress.start(context, "nodes read", -1, json)) {
        result = everyPage(pages, path, progress::advance);
      }
    } else {
      result = pages.get(path);
    }
    if (json) {
      output.json(result);
      return 0;
    }
    JsonNode nodes = result.path("nodes");
    if (nodes.isEmpty()) {
      output.line(after == null ? "No node matches." : "No more nodes.");
      return 0;
    }
    output.rows(table(nodes));
    if (result.has("next")) {
      output.line("More nodes: add --all, or --after " + result.path("next").asText() + " for the next page.");
    }
    return 0;
  }

  /** The API path for the options; a usage error for what the controller would refuse anyway. */
  String path() {
    StringBuilder query = new StringBuilder();
    if (state != null) {
      if (!STAGES.contains(state)) {
        throw new ParameterException(spec.commandLine(),
            "--state must be registered, active, quarantined, expired or retired, not '" + state + "'");
      }
      append(query, "state", state);
    }
    for (String label : labels) {
      if (label.indexOf('=') <= 0) {
        throw new ParameterException(spec.commandLine(), "--label must be KEY=VALUE, not '" + label + "'");
      }
      append(query, "label", label);
    }
    if (namePrefix != null) {
      append(query, "name-prefix", namePrefix);
    }
    if (limit != null) {
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new ParameterException(spec.commandLine(), "--limit must be from 1 to " + MAX_LIMIT);
      }
      append(query, "limit", limit.toString());
    }
    if (after != null) {
      append(query, "after", after);
    }
    return "/v1/nodes" + (query.length() == 0 ? "" : "?" + query);
  }

  /** Every node the query matches: each page after the one before, by its cursor. */
  static JsonNode everyPage(Pages pages, String path) throws OpsException {
    return everyPage(pages, path, count -> { });
  }

  /** The same, telling {@code read} how many nodes each page brought. */
  static JsonNode everyPage(Pages pages, String path, java.util.function.LongConsumer read) throws OpsException {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    var nodes = result.putArray("nodes");
    String base = path.replaceAll("[?&]after=[^&]*", "");
    JsonNode page = pages.get(path);
    while (true) {
      page.path("nodes").forEach(nodes::add);
      read.accept(page.path("nodes").size());
      if (!page.has("next")) {
        return result;
      }
      page = pages.get(base + (base.contains("?") ? "&" : "?") + "after="
          + URLEncoder.encode(page.path("next").asText(), StandardCharsets.UTF_8));
    }
  }

  static List<List<String>> table(JsonNode nodes) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("ID", "NAME", "STAGE", "LABELS", "LIFETIME ENDS", "LAST HEARTBEAT"));
    for (JsonNode node : nodes) {
      String stage = node.path("stage").asText();
      if (node.has("quarantineReason")) {
        stage += " (" + node.path("quarantineReason").asText() + ")";
      }
      List<String> labels = new ArrayList<>();
      node.path("labels").fields().forEachRemaining(label -> labels.add(label.getKey() + "=" + label.getValue().asText()));
      rows.add(List.of(node.path("id").asText(), node.path("name").asText(), stage,
          labels.isEmpty() ? "-" : String.join(",", labels), node.path("lifetimeEndsAt").asText("-"),
          node.path("lastHeartbeatBucket").asText("-")));
    }
    return rows;
  }

  private static void append(StringBuilder query, String name, String value) {
    if (query.length() > 0) {
      query.append('&');
    }
    query.append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
  }
}
