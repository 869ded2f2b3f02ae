package org.opencluster.ops.cli.ca;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.opencluster.ops.ca.CaDirectory;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Converters.DurationConverter;
import org.opencluster.ops.cli.Output;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.SubjectAltNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
    name = "create-service-ca",
    mixinStandardHelpOptions = true,
    description = {
        "Create the service CA in a CA directory made by 'ca init': signed by the root, it issues the TLS "
            + "certificates of the applications on the nodes ('file put --generate tls-certificate'). Writes "
            + "service-ca.pem (its certificate, then the root's) and service-ca.key (encrypted under its own "
            + "passphrase, mode 0600). Needs the root CA key.",
        "Its key goes to the controllers ('operator import-service-ca'), like the agent CA's. Nothing it signs is "
            + "accepted by any OpenCluster component. Passphrases: OPENCLUSTER_CA_PASSPHRASE (root) and "
            + "OPENCLUSTER_SERVICE_CA_PASSPHRASE (new), or the terminal."})
final class CaCreateServiceCaCommand implements Callable<Integer> {

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The CA directory made by 'ca init'.")
  Path directory;

  @Option(names = "--permit-dns", paramLabel = "DOMAIN",
      description = "Let the service CA certify only names in this DNS domain and its subdomains, e.g. acme.example "
          + "(repeatable). With any given it certifies no other name and no IP address; without, any name and "
          + "address.")
  List<String> permittedDomains = new ArrayList<>();

  @Option(names = "--ttl", defaultValue = "1825d", converter = DurationConverter.class, paramLabel = "DURATION",
      description = "Service CA validity; must end before the root's. Default: ${DEFAULT-VALUE}.")
  Duration validity;

  @Option(names = "--replace",
      description = "Replace the service CA this directory holds (a rotation). Certificates it issued stay valid "
          + "until they expire; after 'operator import-service-ca', new ones come from the new CA.")
  boolean replace;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  CaCreateServiceCaCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    List<String> domains = permittedDomains();
    CaDirectory ca = CaDirectory.open(directory);
    ca.checkCanCreateServiceCa(replace);
    boolean replacing = ca.service().isPresent();
    char[] rootPassphrase = CaPassphrase.ROOT.forExistingKey(context);
    char[] servicePassphrase = null;
    CaDirectory created;
    try {
      CertificateAuthority root = ca.unlockRoot(rootPassphrase, context.clock());
      servicePassphrase = CaPassphrase.SERVICE.forNewKey(context);
      CaPassphrase.SERVICE.requireNotRoot(servicePassphrase, rootPassphrase);
      created = ca.createServiceCa(root, servicePassphrase, validity, domains, replace);
    } finally {
      Arrays.fill(rootPassphrase, '\0');
      if (servicePassphrase != null) {
        Arrays.fill(servicePassphrase, '\0');
      }
    }
    CertificateView view = CertificateView.of("service CA", CaDirectory.SERVICE_CERTIFICATE, created.service().orElseThrow(),
        context.clock().instant());
    Output output = new Output(context.out());
    if (json) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("directory", directory.toAbsolutePath().normalize().toString());
      result.put("certificate", view);
      result.put("permittedDnsDomains", domains);
      result.put("replaced", replacing);
      output.json(result);
      return 0;
    }
    output.line((replacing ? "Replaced" : "Created") + " the service CA in " + directory.toAbsolutePath().normalize());
    output.line("");
    view.print(output, List.of(List.of("permits", domains.isEmpty() ? "any DNS name and IP address"
        : "DNS names in " + String.join(", ", domains) + " (and their subdomains); no IP address")));
    output.line("");
    output.line("Files:");
    output.rows(List.of(
        List.of(CaDirectory.SERVICE_CERTIFICATE, "service CA certificate, then the root's"),
        List.of(CaDirectory.SERVICE_KEY, "service CA key, encrypted under its own passphrase: goes to the controllers")));
    output.line("");
    if (replacing) {
      output.line("Certificates from the previous service CA stay valid until they expire; once the new one is "
          + "imported, each tls-certificate file gets its next certificate from it at its renewal.");
    }
    output.line("Next: opencluster operator import-service-ca --dir " + directory);
    return 0;
  }

  /** The --permit-dns domains, each a DNS name (no wildcard: a domain permits its subdomains), each once. */
  private List<String> permittedDomains() {
    for (String domain : permittedDomains) {
      try {
        new SubjectAltNames(List.of(domain), List.of());
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--permit-dns takes a DNS domain such as acme.example, "
            + "which permits its subdomains too (no '*', no leading or trailing '.'); got '" + domain + "'");
      }
    }
    return permittedDomains.stream().distinct().toList();
  }
}
