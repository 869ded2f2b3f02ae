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

@Command(name = "show", mixinStandardHelpOptions = true,
    description = "One secure file: its version, path, owner, mode, delivery, reload command, which nodes get it "
        + "and what kind of content it holds (with its size; for a template, the secrets it uses; for a TLS "
        + "certificate, its names and validity). Never the content itself. Any operator role.")
final class FileShowCommand implements Callable<Integer> {

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "NAME", description = "The file's name, e.g. db/orders.conf.")
  String name;

  @Option(names = "--json", description = "Print the controller's answer as JSON.")
  boolean json;

  FileShowCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    String fileName = StoreNames.require(spec, "file", name);
    JsonNode file = api.client(context).get("/v1/files/" + fileName);
    Output output = new Output(context.out());
    if (json) {
      output.json(file);
    } else {
      FileView.print(output, file);
    }
    return 0;
  }
}
