package org.opencluster.ops.cli.file;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import org.opencluster.ops.cli.StoreNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "rm", mixinStandardHelpOptions = true,
    description = "Remove a secure file: the controller deletes it, and the nodes that had it drop it at their "
        + "next heartbeat. Needs the operator or admin role.")
final class FileRemoveCommand implements Callable<Integer> {

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "NAME", description = "The file's name, e.g. db/orders.conf.")
  String name;

  @Option(names = "--json", description = "Print the controller's answer as JSON.")
  boolean json;

  FileRemoveCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    String fileName = StoreNames.require(spec, "file", name);
    JsonNode result = api.client(context).delete("/v1/files/" + fileName);
    new Output(context.out()).result(result, json, "Removed secure file " + name + ".");
    return 0;
  }
}
