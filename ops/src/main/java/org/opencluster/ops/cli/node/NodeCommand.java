package org.opencluster.ops.cli.node;

import org.opencluster.ops.cli.CommandGroup;
import picocli.CommandLine.Command;

@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = "The fleet's nodes: register one and write its bootstrap bundle (register), list and search them "
        + "(list), see where one stands (show, or status), and move one on (quarantine, release, retire). Needs an "
        + "operator certificate, from OPENCLUSTER_CLIENT_CERT/KEY and OPENCLUSTER_CACERT: reading takes any role; "
        + "register, quarantine and retire admin or operator; release admin.",
    subcommands = {NodeRegisterCommand.class, NodeListCommand.class, NodeStatusCommand.class, NodeQuarantineCommand.class,
        NodeReleaseCommand.class, NodeRetireCommand.class})
public final class NodeCommand extends CommandGroup {}
