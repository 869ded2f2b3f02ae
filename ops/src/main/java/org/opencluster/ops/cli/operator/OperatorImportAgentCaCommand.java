package org.opencluster.ops.cli.operator;

import org.opencluster.ops.cli.CliContext;
import picocli.CommandLine.Command;

@Command(name = "import-agent-ca", mixinStandardHelpOptions = true,
    description = "Hand the agent CA (certificate and key, from 'opencluster ca init') to the controllers, once: they "
        + "keep the key encrypted under the cluster key and sign node certificates with it at 'node register'. "
        + "The agent CA passphrase comes from OPENCLUSTER_AGENT_CA_PASSPHRASE or the terminal. Needs the admin role.")
final class OperatorImportAgentCaCommand extends CaImport.Verb {

  OperatorImportAgentCaCommand(CliContext context) {
    super(context, CaImport.AGENT);
  }
}
