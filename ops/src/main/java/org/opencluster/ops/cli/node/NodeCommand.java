package org.opencluster.ops.cli.node;

import org.opencluster.ops.cli.CommandGroup;
import picocli.CommandLine.Command;

@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = "The fleet's nodes: register one and write its bootstrap bundle (register), see where one stands "
        + "(status). Needs an operator certificate (register: admin or operator role), from "
        + "OPENCLUSTER_CLIENT_CERT/KEY and OPENCLUSTER_CACERT.",
    subcommands = {NodeRegisterCommand.class, NodeStatusCommand.class})
public final class NodeCommand extends CommandGroup {}
