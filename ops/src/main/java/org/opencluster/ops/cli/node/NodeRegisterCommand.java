package org.opencluster.ops.cli.node;

import static org.opencluster.ops.internal.NewDirectory.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Converters.DurationConverter;
import org.opencluster.ops.cli.Output;
import org.opencluster.ops.internal.Hocon;
import org.opencluster.ops.internal.NewDirectory;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateRequest;
import org.opencluster.protocol.pki.Certificates;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "register", mixinStandardHelpOptions = true,
    description = "Register a node and write its bootstrap bundle into a new directory: the node certificate and "
        + "chain (node.pem), its key (node.key, mode 0400; made here, it never reaches a controller), the cluster "
        + "root (ca.pem) and the controllers' edge addresses (agent.conf). Copy the directory to the host; it is the "
        + "only thing the host keeps. Then run 'opencluster agent --bundle DIR' there.")
final class NodeRegisterCommand implements Callable<Integer> {

  static final String CERTIFICATE = "node.pem";
  static final String KEY = "node.key";
  static final String CA = "ca.pem";
  static final String AGENT_CONF = "agent.conf";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "NAME", description = "The node's name (its host name, say).")
  String name;

  @Option(names = "--id", paramLabel = "ID",
      description = "The node's id; default: NAME and six random hex digits. A retired id is never reused.")
  String id;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label (repeatable).")
  List<String> labels = new ArrayList<>();

  @Option(names = "--lifetime", required = true, converter = DurationConverter.class, paramLabel = "DURATION",
      description = "How long the node lives (its certificate too), e.g. 24h or 30d.")
  Duration lifetime;

  @Option(names = "--bootstrap", defaultValue = "reusable", paramLabel = "POLICY",
      description = "reusable (a restarted agent may enrol again) or single-use (secure mode: a second enrolment is a "
          + "compromise). Default: ${DEFAULT-VALUE}.")
  String bootstrap;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "The bundle directory to create.")
  Path out;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  NodeRegisterCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    String nodeId = id != null ? id : name + "-" + HexFormat.of().formatHex(randomBytes(3));
    if (!Identity.isValidName(name) || !Identity.isValidName(nodeId)) {
      throw new ParameterException(spec.commandLine(), "invalid node name or id '" + nodeId
          + "': 1..63 characters of a-z, 0-9, '.', '_', '-'");
    }
    if (!bootstrap.equals("reusable") && !bootstrap.equals("single-use")) {
      throw new ParameterException(spec.commandLine(), "--bootstrap must be reusable or single-use");
    }
    Map<String, String> labelMap = new LinkedHashMap<>();
    for (String label : labels) {
      int equals = label.indexOf('=');
      if (equals <= 0) {
        throw new ParameterException(spec.commandLine(), "--label must be KEY=VALUE, got '" + label + "'");
      }
      labelMap.put(label.substring(0, equals), label.substring(equals + 1));
    }
    NewDirectory.checkCanCreate(out);
    KeyPair keys = EcKeys.generate();
    CertificateRequest csr = CertificateRequest.create(keys, Identity.node(nodeId));
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("id", nodeId);
    request.put("name", name);
    request.put("labels", labelMap);
    request.put("lifetimeSeconds", lifetime.toSeconds());
    request.put("csr", Pem.encodeCertificateRequest(csr));
    request.put("bootstrap", bootstrap);
    JsonNode registered = api.client(context).post("/v1/nodes", request);

    String refusal = "the controller registered node " + nodeId + " but ";
    String retry = "; nothing was written: retire " + nodeId + " and register the host again";
    List<String> edges = new ArrayList<>();
    registered.path("edges").forEach(edge -> edges.add(edge.asText()));
    if (edges.isEmpty()) {
      throw new OpsException(refusal + "named no edge address for agents (check opencluster.controller.edge)" + retry);
    }
    String certificatePem = registered.path("certificate").asText();
    String caPem = registered.path("ca").asText();
    Optional<String> wrong = wrongCertificate(certificatePem, caPem, nodeId, keys);
    if (wrong.isPresent()) {
      throw new OpsException(refusal + wrong.get() + retry);
    }
    try (SecretBytes keyPem = Pem.encodePrivateKey(keys.getPrivate())) {
      NewDirectory.create(out, NewDirectory.PRIVATE_DIRECTORY, List.of(
          new NewDirectory.File(CERTIFICATE, NewDirectory.PUBLIC_FILE, text(certificatePem)),
          new NewDirectory.File(KEY, PosixFilePermissions.fromString("r--------"), keyPem::writeTo),
          new NewDirectory.File(CA, NewDirectory.PUBLIC_FILE, text(caPem)),
          new NewDirectory.File(AGENT_CONF, NewDirectory.PUBLIC_FILE, text(agentConf(nodeId, edges)))));
    } catch (IOException | OpsException e) {
      throw new OpsException("node " + nodeId + " is registered, but its bundle could not be written to " + out + " ("
          + e.getMessage() + "): its key is gone; retire " + nodeId + " and register the host again", e);
    }
    Path bundle = out.toAbsolutePath().normalize();
    Output output = new Output(context.out());
    if (json) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("id", nodeId);
      result.put("lifetimeEndsAt", registered.path("lifetimeEndsAt").asText());
      result.put("bundle", bundle.toString());
      result.put("edges", edges);
      output.json(result);
    } else {
      output.line("Registered node " + nodeId + " (" + name + "), alive until " + registered.path("lifetimeEndsAt").asText()
          + ", bootstrap " + bootstrap + ".");
      output.line("Its bundle is in " + bundle + ": copy it to the host, then run there:");
      output.line("  opencluster agent --bundle " + bundle);
    }
    return 0;
  }

  /** What is wrong with the certificate the controller returned, if anything: it must be this node's, for this key. */
  static Optional<String> wrongCertificate(String certificatePem, String caPem, String nodeId, KeyPair keys) {
    try {
      List<X509Certificate> chain = Pem.decodeCertificates(certificatePem);
      if (Pem.decodeCertificates(caPem).isEmpty()) {
        return Optional.of("returned no cluster root");
      }
      if (!Certificates.identityOf(chain.get(0)).equals(Identity.node(nodeId))) {
        return Optional.of("returned a certificate for " + Certificates.identityOf(chain.get(0)));
      }
      if (!Arrays.equals(chain.get(0).getPublicKey().getEncoded(), keys.getPublic().getEncoded())) {
        return Optional.of("returned a certificate for another key");
      }
      return Optional.empty();
    } catch (CertificateException e) {
      return Optional.of("returned an unreadable certificate (" + e.getMessage() + ")");
    }
  }

  static String agentConf(String nodeId, List<String> edges) {
    StringBuilder conf = new StringBuilder()
        .append("# Written by 'opencluster node register'. The agent reads this directory with --bundle DIR.\n")
        .append("opencluster.agent {\n")
        .append("  node-id = ").append(Hocon.quote(nodeId)).append("\n")
        .append("  # The controllers' edges, as they advertise them; the agent fails over from one to the next.\n")
        .append("  edges = [");
    for (int i = 0; i < edges.size(); i++) {
      conf.append(i == 0 ? "" : ", ").append(Hocon.quote(edges.get(i)));
    }
    return conf.append("]\n}\n").toString();
  }


  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
