package org.opencluster.ops.cli.secret;

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
    description = "Remove a shared secret. Refused while a secure file's template uses it: "
        + "'opencluster secret show NAME' lists those files; change or remove them first. Needs the operator or "
        + "admin role.")
final class SecretRemoveCommand implements Callable<Integer> {

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "NAME", description = "The secret's name, e.g. db/orders.")
  String name;

  @Option(names = "--json", description = "Print the controller's answer as JSON.")
  boolean json;

  SecretRemoveCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    String secretName = StoreNames.require(spec, "secret", name);
    JsonNode result = api.client(context).delete("/v1/secrets/" + secretName);
    new Output(context.out()).result(result, json, "Removed shared secret " + name + ".");
    return 0;
  }
}
