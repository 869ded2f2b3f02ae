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

@Command(name = "approve-controller", mixinStandardHelpOptions = true,
    description = "Approve a controller to receive the cluster key from an unsealed peer: it then unseals by itself "
        + "when it starts, and after every restart. Approve only controllers whose certificate you issued for this "
        + "cluster. Needs the admin role.")
final class OperatorApproveControllerCommand implements Callable<Integer> {

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "NAME", description = "The controller's name, as in its certificate.")
  String name;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  OperatorApproveControllerCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    JsonNode result = api.client(context).put("/v1/sys/controllers/" + ControllerNames.require(spec, name));
    new Output(context.out()).result(result, json, "Controller " + name + " is approved: it unseals from its peers from now on.");
    return 0;
  }
}
