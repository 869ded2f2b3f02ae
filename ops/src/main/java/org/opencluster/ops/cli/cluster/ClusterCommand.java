package org.opencluster.ops.cli.cluster;

import org.opencluster.ops.cli.CommandGroup;
import picocli.CommandLine.Command;

@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "The controller cluster: its members, leader and shards (status). Any operator role, from "
        + "OPENCLUSTER_CLIENT_CERT/KEY and OPENCLUSTER_CACERT.",
    subcommands = {ClusterStatusCommand.class})
public final class ClusterCommand extends CommandGroup {}
