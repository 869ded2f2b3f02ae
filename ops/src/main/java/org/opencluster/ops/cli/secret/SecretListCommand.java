package org.opencluster.ops.cli.secret;

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

@Command(name = "list", mixinStandardHelpOptions = true,
    description = "The shared secrets: name, version, field names, the secure files that use them and when they "
        + "last changed. Never values. Any operator role.")
final class SecretListCommand implements Callable<Integer> {

  private final CliContext context;

  @Mixin
  ApiOptions api;

  @Option(names = "--json", description = "Print the controller's answer as JSON.")
  boolean json;

  SecretListCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    JsonNode result = api.client(context).get("/v1/secrets");
    Output output = new Output(context.out());
    if (json) {
      output.json(result);
      return 0;
    }
    JsonNode secrets = result.path("secrets");
    if (secrets.isEmpty()) {
      output.line("No shared secrets yet: store one with 'opencluster secret put'.");
      return 0;
    }
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("NAME", "VERSION", "FIELDS", "USED BY", "UPDATED"));
    for (JsonNode secret : secrets) {
      rows.add(List.of(secret.path("name").asText(), secret.path("version").asText(), SecretView.fields(secret),
          SecretView.usedBy(secret), secret.path("updatedAt").asText("-")));
    }
    output.rows(rows);
    return 0;
  }
}
