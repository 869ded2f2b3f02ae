package org.opencluster.ops.cli.node;

import org.opencluster.ops.cli.CliContext;
import picocli.CommandLine.Command;

@Command(name = "release", mixinStandardHelpOptions = true,
    description = "Retire a quarantined node, so its host can be wiped and registered anew under a new id. "
        + "Admin role.")
final class NodeReleaseCommand extends NodeTransitionCommand {

  NodeReleaseCommand(CliContext context) {
    super(context);
  }

  @Override
  String verb() {
    return "release";
  }

  @Override
  String whenRefused() {
    return "only a quarantined node is released: use 'opencluster node retire " + id + "' for another";
  }
}
