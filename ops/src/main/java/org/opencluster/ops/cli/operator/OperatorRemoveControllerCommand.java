package org.opencluster.ops.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "remove-controller", mixinStandardHelpOptions = true,
    description = "Withdraw a controller's approval: from its next start it stays sealed until operators unseal it "
        + "(a running controller keeps its key until it stops). Needs the admin role.")
final class OperatorRemoveControllerCommand implements Callable<Integer> {

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "NAME", description = "The controller's name.")
  String name;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  OperatorRemoveControllerCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    JsonNode result = api.client(context).delete("/v1/sys/controllers/" + ControllerNames.require(spec, name));
    new Output(context.out()).result(result, json, "Controller " + name + " is no longer approved to unseal from its peers.");
    return 0;
  }
}
