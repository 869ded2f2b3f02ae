package org.opencluster.ops.cli.node;

import org.opencluster.ops.cli.CliContext;
import picocli.CommandLine.Command;

@Command(name = "retire", mixinStandardHelpOptions = true,
    description = "End a node's life now: its certificate is refused at every handshake and its agent wipes what it "
        + "holds. The id is not used again. Admin or operator role.")
final class NodeRetireCommand extends NodeTransitionCommand {

  NodeRetireCommand(CliContext context) {
    super(context);
  }

  @Override
  String verb() {
    return "retire";
  }

  @Override
  String whenRefused() {
    return "see 'opencluster node show " + id + "'";
  }
}
