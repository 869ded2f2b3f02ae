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
    description = "The cluster as the controller at OPENCLUSTER_ADDR sees it: each member's controller name, "
        + "address, status, reachability, version and seal, how many node-entity shards and nodes it hosts and how "
        + "many agents its edge carries, and the leader. Any operator role.")
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
    rows.add(List.of("", "CONTROLLER", "ADDRESS", "STATUS", "REACHABLE", "VERSION", "SEAL", "SHARDS", "NODES", "AGENTS"));
    boolean counted = status.path("shardsCounted").asBoolean();
    for (JsonNode member : status.path("members")) {
      String address = member.path("address").asText();
      String memberStatus = member.path("status").asText();
      if (member.path("leaving").asBoolean() && "up".equals(memberStatus)) {
        memberStatus = "leaving";
      }
      rows.add(List.of(address.equals(status.path("leader").asText()) ? "*" : " ",
          member.path("controller").asText("?"), address, memberStatus,
          member.path("reachable").asBoolean() ? "yes" : "NO", member.path("appVersion").asText(),
          member.path("sealState").asText("?"), counted ? member.path("shards").asText("?") : "-",
          counted ? member.path("nodeEntities").asText("?") : "-", member.path("agents").asText("?")));
    }
    return rows;
  }
}
