package org.opencluster.ops.cli.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.ca.CaDirectory;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import org.opencluster.protocol.pki.CertificateProfile;
import org.opencluster.protocol.pki.CertificateValidationException;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "show",
    mixinStandardHelpOptions = true,
    description = "Show the CA's certificates: subjects, identities, validity, fingerprints. Needs no passphrase. "
        + "With --cert, also show that certificate and whether this CA validates it.")
final class CaShowCommand implements Callable<Integer> {

  private final CliContext context;

  @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The CA directory made by 'ca init'.")
  Path directory;

  @Option(names = "--cert", paramLabel = "FILE", description = "A certificate (PEM) to show and check against this CA.")
  Path certificateFile;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  CaShowCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    CaDirectory ca = CaDirectory.open(directory);
    Instant now = context.clock().instant();
    List<CertificateView> views = new ArrayList<>();
    views.add(CertificateView.of("root CA", CaDirectory.ROOT_CERTIFICATE, ca.root(), now));
    views.add(CertificateView.of("agent CA", CaDirectory.AGENT_CERTIFICATE, ca.agent(), now));
    ca.service().ifPresent(service -> views.add(CertificateView.of("service CA", CaDirectory.SERVICE_CERTIFICATE,
        service, now)));
    String verdict = null;
    if (certificateFile != null) {
      List<X509Certificate> chain = readChain(certificateFile);
      views.add(CertificateView.of("certificate", certificateFile.toString(), chain.get(0), now));
      verdict = check(ca, chain, now);
    }
    Output output = new Output(context.out());
    if (json) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("directory", directory.toAbsolutePath().normalize().toString());
      result.put("certificates", views);
      if (verdict != null) {
        result.put("verdict", verdict);
      }
      output.json(result);
      return 0;
    }
    output.line("CA in " + directory.toAbsolutePath().normalize());
    for (CertificateView view : views) {
      output.line("");
      view.print(output);
    }
    if (verdict != null) {
      output.line("");
      output.line(verdict);
    }
    return 0;
  }

  /** "valid ..." or "NOT VALID: reason", checked as the controllers will check it. */
  private static String check(CaDirectory ca, List<X509Certificate> chain, Instant now) {
    List<X509Certificate> withIntermediates = new ArrayList<>(chain);
    withIntermediates.add(ca.agent());
    CertificateValidator validator = CertificateValidator.trusting(List.of(ca.root()));
    List<String> uses = new ArrayList<>();
    String refusal = null;
    for (CertificateProfile.Usage usage : CertificateProfile.Usage.values()) {
      try {
        Identity identity = validator.validate(withIntermediates, usage, now,
            EnumSet.of(Identity.Kind.CONTROLLER, Identity.Kind.NODE, Identity.Kind.OPERATOR));
        uses.add(usage.name().toLowerCase(Locale.ROOT).replace('_', ' ') + " as " + identity);
      } catch (CertificateValidationException e) {
        if (refusal == null) {
          refusal = e.getMessage();
        }
      }
    }
    return uses.isEmpty() ? "NOT VALID for this CA: " + refusal : "valid for " + String.join(" and ", uses);
  }

  private static List<X509Certificate> readChain(Path file) throws OpsException {
    try {
      return Pem.decodeCertificates(Files.readString(file, StandardCharsets.US_ASCII));
    } catch (NoSuchFileException e) {
      throw new OpsException("no such certificate file: " + file);
    } catch (IOException e) {
      throw new OpsException("cannot read " + file + ": " + e.getMessage(), e);
    } catch (CertificateException e) {
      throw new OpsException(file + " is not a PEM certificate: " + e.getMessage(), e);
    }
  }
}
