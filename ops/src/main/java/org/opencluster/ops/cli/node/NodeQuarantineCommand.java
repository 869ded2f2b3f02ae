package org.opencluster.ops.cli.node;

import java.util.Map;
import org.opencluster.ops.cli.CliContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "quarantine", mixinStandardHelpOptions = true,
    description = "Deem a node compromised: its certificate is refused at every handshake, its agent is told to wipe "
        + "what it holds. Then 'node release ID' to have it re-provisioned. Admin or operator role.")
final class NodeQuarantineCommand extends NodeTransitionCommand {

  @Option(names = "--reason", required = true, paramLabel = "TEXT",
      description = "Why, in one line (kept with the node and shown by 'node show').")
  String reason;

  NodeQuarantineCommand(CliContext context) {
    super(context);
  }

  @Override
  String verb() {
    return "quarantine";
  }

  @Override
  Map<String, Object> body() {
    return Map.of("reason", reason);
  }

  @Override
  String whenRefused() {
    return "an expired or retired node cannot be quarantined; see 'opencluster node show " + id + "'";
  }
}
