package org.opencluster.ops.cli.ca;

import org.opencluster.ops.cli.CommandGroup;
import picocli.CommandLine.Command;

@Command(
    name = "ca",
    mixinStandardHelpOptions = true,
    description = "The cluster's certificate authority: a root CA (keep its key offline) and the agent CA that "
        + "signs node certificates. Each key is encrypted under its own passphrase, read from "
        + "OPENCLUSTER_CA_PASSPHRASE (root) or OPENCLUSTER_AGENT_CA_PASSPHRASE (agent CA), or asked on the "
        + "terminal; never taken as an argument.",
    subcommands = {CaInitCommand.class, CaIssueCommand.class, CaShowCommand.class})
public final class CaCommand extends CommandGroup {}
