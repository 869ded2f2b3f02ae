package org.opencluster.ops.cli.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Octl;
import org.opencluster.ops.cli.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Walks the whole audit chain on the controller: every record must authenticate, sit at the place "
        + "it was written at, and follow the one before it. Names the first record removed, reordered or altered "
        + "and exits 1; exits 0 and prints the head (SEQ:HASH) when intact. Keep that head somewhere else: "
        + "records removed from the end are detected only against a head you kept (--anchor).")
final class AuditVerifyCommand implements Callable<Integer> {

  private static final Pattern ANCHOR = Pattern.compile("[0-9]{1,18}:[0-9a-f]{64}");

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Option(names = "--anchor", paramLabel = "SEQ:HASH", description = "A head an earlier verify printed: the log must "
      + "still hold that record with that chain hash.")
  String anchor;

  @Option(names = "--json", description = "Print the controller's answer as JSON (exit code as without).")
  boolean json;

  AuditVerifyCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    if (anchor != null && !ANCHOR.matcher(anchor).matches()) {
      throw new ParameterException(spec.commandLine(), "--anchor must be SEQ:HASH as 'audit verify' prints it, got '"
          + anchor + "'");
    }
    JsonNode result = api.client(context).get("/v1/audit/verify"
        + (anchor == null ? "" : "?anchor=" + URLEncoder.encode(anchor, StandardCharsets.UTF_8)));
    Output output = new Output(context.out());
    if (json) {
      output.json(result);
    } else {
      print(output, result);
    }
    return exitCode(result);
  }

  /** 0 when the controller found the log intact, else 1: scripts and monitors act on it. */
  static int exitCode(JsonNode result) {
    return result.path("intact").asBoolean(false) ? 0 : Octl.FAILURE;
  }

  static void print(Output output, JsonNode result) {
    if (result.path("intact").asBoolean(false)) {
      output.line("The audit log is intact: " + result.path("records").asLong() + " records, head "
          + result.path("anchor").asText() + ".");
      output.line("Keep the head: 'opencluster audit verify --anchor " + result.path("anchor").asText()
          + "' detects records removed after it.");
      return;
    }
    JsonNode first = result.path("problems").path(0);
    output.line("The audit log is NOT intact. First: record " + first.path("seq").asText() + " "
        + first.path("kind").asText() + ": " + first.path("detail").asText());
    for (JsonNode problem : result.path("problems")) {
      output.line("  " + problem.path("seq").asText() + "  " + problem.path("kind").asText() + "  "
          + problem.path("detail").asText());
    }
  }
}
