package org.opencluster.ops.cli.ca;

import org.opencluster.ops.cli.CommandGroup;
import picocli.CommandLine.Command;

@Command(
    name = "ca",
    mixinStandardHelpOptions = true,
    description = "The cluster's certificate authority: a root CA (keep its key offline), the agent CA that "
        + "signs node certificates and, if wanted, the service CA that signs the TLS certificates of the nodes' "
        + "applications. Each key is encrypted under its own passphrase, read from OPENCLUSTER_CA_PASSPHRASE "
        + "(root), OPENCLUSTER_AGENT_CA_PASSPHRASE (agent CA) or OPENCLUSTER_SERVICE_CA_PASSPHRASE (service CA), "
        + "or asked on the terminal; never taken as an argument.",
    subcommands = {CaInitCommand.class, CaIssueCommand.class, CaCreateServiceCaCommand.class, CaShowCommand.class})
public final class CaCommand extends CommandGroup {}
