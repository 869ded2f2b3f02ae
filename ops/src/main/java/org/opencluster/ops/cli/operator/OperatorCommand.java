package org.opencluster.ops.cli.operator;

import org.opencluster.ops.cli.CommandGroup;
import picocli.CommandLine.Command;

@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description = "The controllers' seal: make the cluster key and split it into unseal shares (init), give shares "
        + "to unseal (unseal), see where it stands (seal-status), add a data key (rotate-dek), and say which "
        + "controllers unseal from their peers (controllers, approve-controller, remove-controller), hand the "
        + "controllers the agent CA (import-agent-ca) and the service CA (import-service-ca). Needs an "
        + "operator certificate with the admin role (seal-status, controllers: any role), from "
        + "OPENCLUSTER_CLIENT_CERT/KEY and OPENCLUSTER_CACERT.",
    subcommands = {OperatorInitCommand.class, OperatorUnsealCommand.class, OperatorSealStatusCommand.class,
        OperatorRotateDekCommand.class, OperatorControllersCommand.class, OperatorApproveControllerCommand.class,
        OperatorRemoveControllerCommand.class, OperatorImportAgentCaCommand.class,
        OperatorImportServiceCaCommand.class})
public final class OperatorCommand extends CommandGroup {}
