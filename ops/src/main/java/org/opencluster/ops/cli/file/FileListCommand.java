package org.opencluster.ops.cli.file;

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
    description = "The secure files: name, version, delivery, path on the nodes, which nodes, and the kind of "
        + "content. Any operator role.")
final class FileListCommand implements Callable<Integer> {

  private final CliContext context;

  @Mixin
  ApiOptions api;

  @Option(names = "--json", description = "Print the controller's answer as JSON.")
  boolean json;

  FileListCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    JsonNode result = api.client(context).get("/v1/files");
    Output output = new Output(context.out());
    if (json) {
      output.json(result);
      return 0;
    }
    JsonNode files = result.path("files");
    if (files.isEmpty()) {
      output.line("No secure files yet: store one with 'opencluster file put'.");
      return 0;
    }
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("NAME", "VERSION", "DELIVERY", "PATH", "SELECTOR", "SOURCE"));
    for (JsonNode file : files) {
      rows.add(List.of(file.path("name").asText(), file.path("version").asText(), file.path("delivery").asText(),
          file.path("path").asText(), FileView.selector(file.path("selector")),
          file.path("source").path("kind").asText("-")));
    }
    output.rows(rows);
    return 0;
  }
}
