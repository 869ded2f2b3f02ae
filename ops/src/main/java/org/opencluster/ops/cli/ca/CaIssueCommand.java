package org.opencluster.ops.cli.ca;

import static org.opencluster.ops.internal.NewDirectory.text;

import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.ca.CaDirectory;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.CommandGroup;
import org.opencluster.ops.cli.Output;
import org.opencluster.ops.internal.NewDirectory;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.CertificateIssuanceException;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.SubjectAltNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "issue",
    mixinStandardHelpOptions = true,
    description = {
        "Issue a certificate signed by the root CA. The key pair is made here and written, with the certificate and "
            + "the root CA certificate, into a new directory:",
        "  cert.pem  the certificate",
        "  key.pem   its private key (mode 0600)",
        "  ca.pem    the root CA certificate"},
    subcommands = {CaIssueControllerCommand.class, CaIssueOperatorCommand.class})
final class CaIssueCommand extends CommandGroup {

  static final String CERTIFICATE = "cert.pem";
  static final String KEY = "key.pem";
  static final String CA = "ca.pem";

  /** Options every {@code ca issue} verb shares. */
  static final class Options {
    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The CA directory made by 'ca init'.")
    Path caDirectory;

    @Option(names = "--out", required = true, paramLabel = "OUT",
        description = "New directory for cert.pem, key.pem and ca.pem; must not exist or be empty.")
    Path out;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;
  }

  /**
   * Makes a key pair, has the root CA issue {@code identity} on it, and writes the three files.
   */
  static int issue(CliContext context, Options options, Identity identity, Duration validity, SubjectAltNames altNames)
      throws OpsException, IOException {
    CaDirectory ca = CaDirectory.open(options.caDirectory);
    NewDirectory.checkCanCreate(options.out);
    CertificateAuthority root;
    char[] passphrase = CaPassphrase.ROOT.forExistingKey(context);
    try {
      root = ca.unlockRoot(passphrase, context.clock());
    } finally {
      Arrays.fill(passphrase, '\0');
    }
    KeyPair keys = EcKeys.generate();
    X509Certificate certificate;
    try {
      certificate = root.issue(identity, keys.getPublic(), validity, altNames);
    } catch (CertificateIssuanceException e) {
      throw new OpsException(e.getMessage(), e);
    }
    try (SecretBytes keyPem = Pem.encodePrivateKey(keys.getPrivate())) {
      NewDirectory.create(options.out, NewDirectory.PRIVATE_DIRECTORY, List.of(
          new NewDirectory.File(CERTIFICATE, NewDirectory.PUBLIC_FILE, text(Pem.encodeCertificates(List.of(certificate)))),
          new NewDirectory.File(KEY, NewDirectory.PRIVATE_FILE, keyPem::writeTo),
          new NewDirectory.File(CA, NewDirectory.PUBLIC_FILE, text(Pem.encodeCertificates(List.of(ca.root()))))));
    }
    CertificateView view = CertificateView.of(identity.kind().name().toLowerCase(Locale.ROOT), CERTIFICATE,
        certificate, context.clock().instant());
    Output output = new Output(context.out());
    Path out = options.out.toAbsolutePath().normalize();
    if (options.json) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("certificate", view);
      result.put("files", Map.of("certificate", out.resolve(CERTIFICATE).toString(), "key", out.resolve(KEY).toString(),
          "ca", out.resolve(CA).toString()));
      output.json(result);
      return 0;
    }
    output.line("Issued " + identity + " into " + out);
    output.line("");
    view.print(output);
    output.line("");
    output.rows(List.of(
        List.of(CERTIFICATE, "certificate"),
        List.of(KEY, "private key, mode 0600: move it only over an encrypted channel"),
        List.of(CA, "root CA certificate, to verify peers")));
    return 0;
  }

}
