package org.opencluster.ops.cli.secret;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import org.opencluster.ops.api.ApiClient;
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

@Command(name = "show", mixinStandardHelpOptions = true,
    description = "One shared secret: its version, its field names, the secure files whose templates use it and "
        + "when it last changed; for a rotating secret its rotator, versions and labels, the running step, the "
        + "consumers behind and the last failure. Never its values. Any operator role.")
final class SecretShowCommand implements Callable<Integer> {

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "NAME", description = "The secret's name, e.g. db/orders.")
  String name;

  @Option(names = "--json", description = "Print the controller's answer as JSON.")
  boolean json;

  SecretShowCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    String secretName = StoreNames.require(spec, "secret", name);
    ApiClient client = api.client(context);
    Output output = new Output(context.out());
    java.util.Optional<JsonNode> rotating = client.find("/v1/rotating-secrets/" + secretName);
    if (rotating.isPresent()) {
      if (json) {
        output.json(rotating.get());
      } else {
        RotatingSecretView.print(output, rotating.get());
      }
      return 0;
    }
    JsonNode secret = client.get("/v1/secrets/" + secretName);
    if (json) {
      output.json(secret);
    } else {
      SecretView.print(output, secret, true);
    }
    return 0;
  }
}
