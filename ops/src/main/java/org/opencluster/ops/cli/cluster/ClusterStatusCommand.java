package org.opencluster.ops.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "status", mixinStandardHelpOptions = true,
    description = "The cluster as the controller at OPENCLUSTER_ADDR sees it: each member's address, status, "
        + "reachability, version and roles, how many node-entity shards and nodes it hosts, the leader, and that "
        + "controller's seal. Any operator role.")
final class ClusterStatusCommand implements Callable<Integer> {

  private final CliContext context;

  @Mixin
  ApiOptions api;

  @Option(names = "--json", description = "Print the controller's answer as JSON.")
  boolean json;

  ClusterStatusCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    JsonNode status = api.client(context).get("/v1/cluster");
    Output output = new Output(context.out());
    if (json) {
      output.json(status);
      return 0;
    }
    output.line("controller " + status.path("controller").asText() + " (" + status.path("sealState").asText()
        + "), leader " + status.path("leader").asText("none"));
    output.rows(table(status));
    if (!status.path("shardsCounted").asBoolean()) {
      output.line("shards: not counted (this controller runs no node entities while sealed)");
    } else if (status.has("shardsUnknown")) {
      output.line("shards: no answer from " + status.path("shardsUnknown").size() + " member(s): '?'");
    }
    return 0;
  }

  /** One row a member under a header; '*' marks the leader, '?' shards nobody counted. */
  static List<List<String>> table(JsonNode status) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("", "ADDRESS", "STATUS", "REACHABLE", "VERSION", "SHARDS", "NODES", "ROLES"));
    boolean counted = status.path("shardsCounted").asBoolean();
    for (JsonNode member : status.path("members")) {
      List<String> roles = new ArrayList<>();
      member.path("roles").forEach(role -> roles.add(role.asText()));
      String address = member.path("address").asText();
      rows.add(List.of(address.equals(status.path("leader").asText()) ? "*" : " ", address,
          member.path("status").asText(), member.path("reachable").asBoolean() ? "yes" : "NO",
          member.path("appVersion").asText(), counted ? member.path("shards").asText("?") : "-",
          counted ? member.path("nodeEntities").asText("?") : "-", String.join(",", roles)));
    }
    return rows;
  }
}
