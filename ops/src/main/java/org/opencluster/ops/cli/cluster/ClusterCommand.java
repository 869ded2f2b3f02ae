package org.opencluster.ops.cli.cluster;

import org.opencluster.ops.cli.CommandGroup;
import picocli.CommandLine.Command;

@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "The controller cluster: its members, versions, seals, shards and agents (status, any operator "
        + "role); a controller's graceful leave (leave, admin). From OPENCLUSTER_CLIENT_CERT/KEY and OPENCLUSTER_CACERT.",
    subcommands = {ClusterStatusCommand.class, ClusterLeaveCommand.class})
public final class ClusterCommand extends CommandGroup {}
