package org.opencluster.ops.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "unseal", mixinStandardHelpOptions = true,
    description = "Give one unseal share. The share is read from --share-file or asked on the terminal without echo; "
        + "never from an argument. When enough shares are given the controller unseals; other controllers "
        + "then unseal from it.")
final class OperatorUnsealCommand implements Callable<Integer> {

  private final CliContext context;

  @Mixin
  ApiOptions api;

  @Option(names = "--share-file", paramLabel = "FILE", description = "A file holding one share (share-N.txt from init).")
  Path shareFile;

  @Option(names = "--reset", description = "Forget the shares given so far instead.")
  boolean reset;

  @Option(names = "--json", description = "Print the seal status as JSON.")
  boolean json;

  OperatorUnsealCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    JsonNode status;
    if (reset) {
      status = api.client(context).post("/v1/sys/unseal", Map.of("reset", true));
    } else {
      String share = readShare();
      status = api.client(context).post("/v1/sys/unseal", Map.of("share", share));
    }
    Output output = new Output(context.out());
    if (json) {
      output.json(status);
    } else {
      SealStatusView.print(output, status);
    }
    return 0;
  }

  private String readShare() throws OpsException {
    if (shareFile != null) {
      try {
        return Files.readString(shareFile, StandardCharsets.US_ASCII).strip();
      } catch (IOException e) {
        throw new OpsException("cannot read the share file " + shareFile + ": " + e.getMessage(), e);
      }
    }
    char[] typed = context.prompt().ask("Unseal share: ")
        .orElseThrow(() -> new OpsException("no share: give --share-file FILE, or run in a terminal to type it"));
    try {
      return new String(typed).strip();
    } finally {
      Arrays.fill(typed, '\0');
    }
  }
}
