package org.opencluster.ops.cli.operator;

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

@Command(name = "controllers", mixinStandardHelpOptions = true,
    description = "The controllers approved to receive the cluster key from an unsealed peer (so they unseal by "
        + "themselves after a restart). Any operator role.")
final class OperatorControllersCommand implements Callable<Integer> {

  private final CliContext context;

  @Mixin
  ApiOptions api;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  OperatorControllersCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    JsonNode result = api.client(context).get("/v1/sys/controllers");
    Output output = new Output(context.out());
    if (json) {
      output.json(result);
      return 0;
    }
    JsonNode approved = result.path("approved");
    if (approved.isEmpty()) {
      output.line("No controller is approved: every controller must be unsealed with operators' shares.");
      return 0;
    }
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("CONTROLLER", "APPROVED BY", "AT"));
    for (JsonNode approval : approved) {
      rows.add(List.of(approval.path("controller").asText(), approval.path("approvedBy").asText(),
          approval.path("approvedAt").asText()));
    }
    output.rows(rows);
    return 0;
  }
}
