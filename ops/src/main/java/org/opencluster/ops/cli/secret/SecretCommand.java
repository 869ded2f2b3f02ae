package org.opencluster.ops.cli.secret;

import org.opencluster.ops.cli.CommandGroup;
import picocli.CommandLine.Command;

/**
 * {@code opencluster secret}: shared secrets, named sets of fields that secure-file templates
 * use; values go in and never come out.
 */
@Command(
    name = "secret",
    mixinStandardHelpOptions = true,
    description = "Shared secrets: named sets of fields (a database user and password, an API token) that the "
        + "templates of secure files use, as {{ secret \"NAME\" \"FIELD\" }}, so that one value reaches every node "
        + "that needs it. Store a new version (put), see names, fields, versions and which files use them (list, "
        + "show), remove one that no template uses (rm). A rotating secret (create) is rotated by the controllers, "
        + "on a schedule, when asked (rotate) and when a node that reads it is quarantined. Values go in and never "
        + "come out: no command prints them and the API never returns them. put, rm, create and rotate need the "
        + "operator or admin role, list and show any role; "
        + "all need an operator certificate, from OPENCLUSTER_CLIENT_CERT/KEY and OPENCLUSTER_CACERT.",
    subcommands = {SecretPutCommand.class, SecretListCommand.class, SecretShowCommand.class,
        SecretRemoveCommand.class, SecretCreateCommand.class, SecretRotateCommand.class})
public final class SecretCommand extends CommandGroup {}
