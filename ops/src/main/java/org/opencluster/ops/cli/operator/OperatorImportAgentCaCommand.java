package org.opencluster.ops.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.opencluster.ops.ca.CaDirectory;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import org.opencluster.ops.cli.ca.CaPassphrase;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Pem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "import-agent-ca", mixinStandardHelpOptions = true,
    description = "Hand the agent CA (certificate and key, from 'opencluster ca init') to the controllers, once: they "
        + "keep the key encrypted under the cluster key and sign node certificates with it at 'node register'. "
        + "The agent CA passphrase comes from OPENCLUSTER_AGENT_CA_PASSPHRASE or the terminal. Needs the admin role.")
final class OperatorImportAgentCaCommand implements Callable<Integer> {

  private final CliContext context;

  @Mixin
  ApiOptions api;

  @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The CA directory made by 'ca init'.")
  Path directory;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  OperatorImportAgentCaCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    CaDirectory ca = CaDirectory.open(directory);
    char[] passphrase = CaPassphrase.AGENT.forExistingKey(context);
    PrivateKey key;
    try {
      key = ca.agentKey(passphrase);
    } finally {
      Arrays.fill(passphrase, '\0');
    }
    JsonNode result;
    try (SecretBytes keyPem = Pem.encodePrivateKey(key)) {
      result = api.client(context).put("/v1/sys/agent-ca", Map.of(
          "certificate", Pem.encodeCertificates(List.of(ca.agent())),
          "key", new String(keyPem.copyBytes(), StandardCharsets.US_ASCII)));
    }
    new Output(context.out()).result(result, json, "The controllers hold the agent CA (valid until " + result.path("notAfter").asText()
          + "): 'opencluster node register' works now.");
    return 0;
  }
}
