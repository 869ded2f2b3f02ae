package org.opencluster.ops.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.Callable;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "rotate-dek", mixinStandardHelpOptions = true,
    description = "Add a data key: new records are encrypted under it; old records keep theirs and stay readable.")
final class OperatorRotateDekCommand implements Callable<Integer> {

  private final CliContext context;

  @Mixin
  ApiOptions api;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  OperatorRotateDekCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    JsonNode result = api.client(context).post("/v1/sys/rotate-dek", Map.of());
    new Output(context.out()).result(result, json, "New records are encrypted under data key " + result.path("activeKeyId").asInt());
    return 0;
  }
}
