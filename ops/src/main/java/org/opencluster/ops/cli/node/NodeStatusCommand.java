package org.opencluster.ops.cli.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import org.opencluster.protocol.pki.Identity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "status", aliases = "show", mixinStandardHelpOptions = true,
    description = "Where a node stands: registered, active, quarantined (and why), expired or retired; its lifetime, "
        + "its last heartbeat and deadline, its agent's session. Any operator role.")
final class NodeStatusCommand implements Callable<Integer> {

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "ID", description = "The node's id.")
  String id;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  NodeStatusCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    if (!Identity.isValidName(id)) {
      throw new ParameterException(spec.commandLine(), "invalid node id '" + id + "'");
    }
    JsonNode status = api.client(context).get("/v1/nodes/" + id);
    Output output = new Output(context.out());
    if (json) {
      output.json(status);
      return 0;
    }
    List<List<String>> rows = new ArrayList<>();
    row(rows, "node", status.path("id").asText() + " (" + status.path("name").asText() + ")");
    String stage = status.path("stage").asText();
    if (status.has("quarantineReason")) {
      stage += ": " + status.path("quarantineReason").asText() + ", " + status.path("detail").asText();
    }
    row(rows, "stage", stage + (status.has("since") ? " since " + status.path("since").asText() : ""));
    row(rows, "lifetime ends", status.path("lifetimeEndsAt").asText());
    row(rows, "bootstrap", status.path("bootstrap").asText());
    row(rows, "last heartbeat", status.path("lastHeartbeatAt").asText("-"));
    row(rows, "deadline", status.path("heartbeatDeadlineAt").asText("-"));
    row(rows, "lease until", status.path("leaseExpiresAt").asText("-"));
    JsonNode session = status.path("session");
    row(rows, "session", session.isMissingNode() ? "none"
        : "boot " + session.path("bootId").asText() + ", since " + session.path("openedAt").asText());
    for (JsonNode file : status.path("files")) {
      row(rows, "file", file.path("name").asText() + " v" + file.path("version").asText() + ": "
          + file.path("result").asText() + (file.has("detail") ? " (" + file.path("detail").asText() + ")" : ""));
    }
    output.rows(rows);
    return 0;
  }

  private static void row(List<List<String>> rows, String label, String value) {
    rows.add(List.of(label, value));
  }
}
