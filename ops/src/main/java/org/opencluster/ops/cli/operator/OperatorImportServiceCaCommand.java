package org.opencluster.ops.cli.operator;

import org.opencluster.ops.cli.CliContext;
import picocli.CommandLine.Command;

@Command(name = "import-service-ca", mixinStandardHelpOptions = true,
    description = "Hand the service CA (certificate and key, from 'opencluster ca create-service-ca') to the "
        + "controllers: they keep the key encrypted under the cluster key and sign the certificates of "
        + "'file put --generate tls-certificate' files with it. Again after 'ca create-service-ca --replace': the "
        + "new CA replaces the old one for every certificate issued from then on. The service CA passphrase comes "
        + "from OPENCLUSTER_SERVICE_CA_PASSPHRASE or the terminal. Needs the admin role.")
final class OperatorImportServiceCaCommand extends CaImport.Verb {

  OperatorImportServiceCaCommand(CliContext context) {
    super(context, CaImport.SERVICE);
  }
}
