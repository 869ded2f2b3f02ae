package org.opencluster.ops.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "seal-status", mixinStandardHelpOptions = true,
    description = "Whether the controller is sealed, and how many shares have been given.")
final class OperatorSealStatusCommand implements Callable<Integer> {

  private final CliContext context;

  @Mixin
  ApiOptions api;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  OperatorSealStatusCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    JsonNode status = api.client(context).get("/v1/sys/seal-status");
    Output output = new Output(context.out());
    if (json) {
      output.json(status);
    } else {
      SealStatusView.print(output, status);
    }
    return 0;
  }
}
