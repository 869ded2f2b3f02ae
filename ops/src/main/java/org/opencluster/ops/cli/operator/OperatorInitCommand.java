package org.opencluster.ops.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import org.opencluster.ops.internal.NewDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "init", mixinStandardHelpOptions = true,
    description = "Make the cluster key and split it into unseal shares, one file each (mode 0600) in a new "
        + "directory. The shares exist nowhere else: give each file to a different operator, then delete it here. "
        + "The controller stays sealed until enough shares are given with 'opencluster operator unseal'.")
final class OperatorInitCommand implements Callable<Integer> {

  private final CliContext context;

  @Mixin
  ApiOptions api;

  @Option(names = "--shares", defaultValue = "5", paramLabel = "N", description = "How many shares. Default: ${DEFAULT-VALUE}.")
  int shares;

  @Option(names = "--threshold", defaultValue = "3", paramLabel = "K",
      description = "How many shares unseal. Default: ${DEFAULT-VALUE}.")
  int threshold;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "New directory for share-1.txt ... share-N.txt; must not exist or be empty.")
  Path out;

  @Option(names = "--json", description = "Print the result as JSON (file names, never shares).")
  boolean json;

  OperatorInitCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    NewDirectory.checkCanCreate(out);
    JsonNode result = api.client(context).post("/v1/sys/init", Map.of("shares", shares, "threshold", threshold));
    List<String> issued = new ArrayList<>();
    result.path("shares").forEach(share -> issued.add(share.asText()));
    List<NewDirectory.File> files = new ArrayList<>();
    for (int i = 0; i < issued.size(); i++) {
      String share = issued.get(i) + "\n";
      files.add(new NewDirectory.File("share-" + (i + 1) + ".txt", NewDirectory.PRIVATE_FILE,
          stream -> stream.write(share.getBytes(StandardCharsets.US_ASCII))));
    }
    try {
      NewDirectory.create(out, NewDirectory.PRIVATE_DIRECTORY, files);
    } catch (Exception e) {
      context.err().println("error: the cluster is initialized but the shares could not be written to " + out + " ("
          + e.getMessage() + "). They exist nowhere else; here they are, once. Store them now:");
      issued.forEach(context.err()::println);
      context.err().flush();
      return 1;
    }
    Path absolute = out.toAbsolutePath().normalize();
    Output output = new Output(context.out());
    if (json) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("threshold", result.path("threshold").asInt());
      body.put("shareSetId", result.path("shareSetId").asText());
      body.put("files", files.stream().map(f -> absolute.resolve(f.name()).toString()).toList());
      output.json(body);
      return 0;
    }
    output.line("Initialized: " + issued.size() + " unseal shares, any " + result.path("threshold").asInt()
        + " of which unseal (share set " + result.path("shareSetId").asText() + "):");
    files.forEach(f -> output.line("  " + absolute.resolve(f.name())));
    output.line("");
    output.line("Give each file to a different operator and delete it here. The controller is still sealed:");
    output.line("each operator runs 'opencluster operator unseal --share-file FILE' until "
        + result.path("threshold").asInt() + " have.");
    return 0;
  }
}
