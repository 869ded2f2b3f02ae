package org.opencluster.ops.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.ca.CaDirectory;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import org.opencluster.ops.cli.ca.CaPassphrase;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Pem;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A CA whose key the controllers hold online, and how {@code import-agent-ca} and {@code
 * import-service-ca} hand it over: the key opened here with its passphrase, sent unencrypted with
 * the CA's certificates in one {@code PUT} over mutual TLS, and the answer ({@code subject},
 * {@code serial}, {@code notAfter}) printed.
 */
enum CaImport {
  AGENT("/v1/sys/agent-ca", CaPassphrase.AGENT, "agent CA", "'opencluster node register' works now.") {
    @Override
    List<X509Certificate> certificates(CaDirectory ca) {
      return List.of(ca.agent());
    }

    @Override
    PrivateKey key(CaDirectory ca, char[] passphrase) throws OpsException {
      return ca.agentKey(passphrase);
    }
  },
  SERVICE("/v1/sys/service-ca", CaPassphrase.SERVICE, "service CA",
      "'opencluster file put --generate tls-certificate' works now.") {
    @Override
    List<X509Certificate> certificates(CaDirectory ca) throws OpsException {
      return ca.serviceChain();
    }

    @Override
    PrivateKey key(CaDirectory ca, char[] passphrase) throws OpsException {
      return ca.serviceKey(passphrase);
    }
  };

  /** The verb: {@code import-agent-ca} and {@code import-service-ca} are this, each with its CA. */
  abstract static class Verb implements Callable<Integer> {

    private final CliContext context;
    private final CaImport ca;

    @Mixin
    ApiOptions api;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The CA directory made by 'ca init'.")
    Path directory;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    Verb(CliContext context, CaImport ca) {
      this.context = context;
      this.ca = ca;
    }

    @Override
    public Integer call() throws Exception {
      return ca.run(context, this);
    }
  }

  private final String apiPath;
  private final CaPassphrase passphrase;
  private final String name;
  private final String next;

  CaImport(String apiPath, CaPassphrase passphrase, String name, String next) {
    this.apiPath = apiPath;
    this.passphrase = passphrase;
    this.name = name;
    this.next = next;
  }

  /** The certificates the API takes: this CA's, and for the service CA the root's after it. */
  abstract List<X509Certificate> certificates(CaDirectory ca) throws OpsException;

  abstract PrivateKey key(CaDirectory ca, char[] passphrase) throws OpsException;

  /** Sends this CA, from the CA directory the verb names, to the controllers. */
  private int run(CliContext context, Verb options) throws OpsException {
    CaDirectory ca = CaDirectory.open(options.directory);
    List<X509Certificate> certificates = certificates(ca);
    char[] secret = passphrase.forExistingKey(context);
    PrivateKey key;
    try {
      key = key(ca, secret);
    } finally {
      Arrays.fill(secret, '\0');
    }
    JsonNode result;
    try (SecretBytes keyPem = Pem.encodePrivateKey(key)) {
      result = options.api.client(context).put(apiPath, Map.of(
          "certificate", Pem.encodeCertificates(certificates),
          "key", new String(keyPem.copyBytes(), StandardCharsets.US_ASCII)));
    }
    new Output(context.out()).result(result, options.json, "The controllers hold the " + name + " (valid until "
        + result.path("notAfter").asText() + "): " + next);
    return 0;
  }
}
