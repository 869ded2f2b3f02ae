package org.opencluster.ops.cli.audit;

import org.opencluster.ops.cli.CommandGroup;
import picocli.CommandLine.Command;

/** {@code opencluster audit}: the cluster's audit log, read and checked. */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "The audit log: every operator command (who, method, path, outcome; never a body) and every "
        + "security event (quarantines, revocations, unseal attempts, keys given to peers, refusals counted per "
        + "kind), encrypted and hash-chained in one chain for the whole cluster. Read it (list) or check that no "
        + "record was removed, reordered or altered (verify). Admin or auditor role; an operator certificate from "
        + "OPENCLUSTER_CLIENT_CERT/KEY and OPENCLUSTER_CACERT.",
    subcommands = {AuditListCommand.class, AuditVerifyCommand.class})
public final class AuditCommand extends CommandGroup {}
