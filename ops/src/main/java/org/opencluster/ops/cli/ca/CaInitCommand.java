package org.opencluster.ops.cli.ca;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.opencluster.ops.ca.CaDirectory;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Converters.DurationConverter;
import org.opencluster.ops.cli.Output;
import org.opencluster.ops.internal.NewDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    description = "Create the cluster root CA and the agent CA in a new directory. Refuses a directory that "
        + "already holds anything; writes every file or none.")
final class CaInitCommand implements Callable<Integer> {

  private final CliContext context;

  @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory to create (mode 0700).")
  Path directory;

  @Option(names = "--cluster-name", defaultValue = "opencluster", paramLabel = "NAME",
      description = "Organisation (O) in every certificate of this cluster. Default: ${DEFAULT-VALUE}.")
  String clusterName;

  @Option(names = "--root-ttl", defaultValue = "3650d", converter = DurationConverter.class, paramLabel = "DURATION",
      description = "Root CA validity. Default: ${DEFAULT-VALUE}.")
  Duration rootValidity;

  @Option(names = "--agent-ca-ttl", defaultValue = "1825d", converter = DurationConverter.class, paramLabel = "DURATION",
      description = "Agent CA validity; must end before the root's. Default: ${DEFAULT-VALUE}.")
  Duration agentValidity;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  CaInitCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    NewDirectory.checkCanCreate(directory);
    char[] rootPassphrase = CaPassphrase.ROOT.forNewKey(context);
    char[] agentPassphrase = null;
    CaDirectory ca;
    try {
      agentPassphrase = CaPassphrase.AGENT.forNewKey(context);
      CaPassphrase.AGENT.requireNotRoot(agentPassphrase, rootPassphrase);
      ca = CaDirectory.init(directory, clusterName, rootValidity, agentValidity, rootPassphrase, agentPassphrase,
          context.clock());
    } finally {
      Arrays.fill(rootPassphrase, '\0');
      if (agentPassphrase != null) {
        Arrays.fill(agentPassphrase, '\0');
      }
    }
    Output output = new Output(context.out());
    CertificateView root = CertificateView.of("root CA", CaDirectory.ROOT_CERTIFICATE, ca.root(), context.clock().instant());
    CertificateView agent = CertificateView.of("agent CA", CaDirectory.AGENT_CERTIFICATE, ca.agent(), context.clock().instant());
    if (json) {
      output.json(Map.of("directory", directory.toAbsolutePath().normalize().toString(), "certificates", List.of(root, agent)));
      return 0;
    }
    output.line("Created the cluster CA in " + directory.toAbsolutePath().normalize());
    output.line("");
    root.print(output);
    output.line("");
    agent.print(output);
    output.line("");
    output.line("Files:");
    output.rows(List.of(
        List.of(CaDirectory.ROOT_CERTIFICATE, "root CA certificate: the trust anchor every controller, agent and operator needs"),
        List.of(CaDirectory.ROOT_KEY, "root CA key, encrypted under the root passphrase: keep it offline"),
        List.of(CaDirectory.AGENT_CERTIFICATE, "agent CA certificate"),
        List.of(CaDirectory.AGENT_KEY, "agent CA key, encrypted under its own passphrase: signs node certificates")));
    output.line("");
    output.line("Next: opencluster ca issue controller NAME --dir " + directory + " --out DIR --san-dns HOST --san-ip ADDRESS");
    return 0;
  }
}
