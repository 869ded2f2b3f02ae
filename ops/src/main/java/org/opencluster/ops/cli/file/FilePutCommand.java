package org.opencluster.ops.cli.file;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Converters.DurationConverter;
import org.opencluster.ops.cli.Converters.IpAddressText;
import org.opencluster.ops.cli.LimitedInput;
import org.opencluster.ops.cli.Output;
import org.opencluster.ops.cli.StoreNames;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.SubjectAltNames;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "put", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Store a secure file, or replace it (a new version): what it holds, where it appears on the chosen nodes "
            + "and how. The controller keeps it encrypted and delivers it only to the agents of the chosen nodes, "
            + "which keep it in memory and serve it from tmpfs or a FIFO. Up to 64 KiB. Needs the operator or "
            + "admin role.",
        "Its content is never printed and never comes back from the controller: 'file show' says only its kind "
            + "and size.",
        "Example: opencluster file put db/orders.conf --template orders.conf.tmpl --path /run/app/db.conf "
            + "--owner app --mode 0440 --selector role=web --reload /usr/bin/systemctl --reload reload --reload app",
        "Example: opencluster file put web/tls.pem --generate tls-certificate --dns-name '{{ node.name }}.acme.example' "
            + "--path /run/nginx/tls.pem --mode 0400 --selector role=web --reload /usr/sbin/nginx --reload -s "
            + "--reload reload"})
final class FilePutCommand implements Callable<Integer> {

  static final Set<String> GENERATORS = Set.of("random-password", "random-key", "tls-certificate");
  static final String TLS_CERTIFICATE = "tls-certificate";
  static final Set<String> ENCODINGS = Set.of("base64", "hex", "raw");
  static final Set<String> DELIVERIES = Set.of("tmpfs", "fifo");
  static final int DEFAULT_LENGTH = 32;
  static final String DEFAULT_ENCODING = "base64";
  private static final Pattern MODE = Pattern.compile("[0-7]{1,4}");

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "NAME",
      description = "The file's name in the controller, e.g. db/orders.conf: " + StoreNames.RULE + ".")
  String name;

  @ArgGroup(exclusive = true, multiplicity = "1", heading = "Content (exactly one):%n")
  Source source;

  @Option(names = "--length", paramLabel = "N",
      description = "With --generate: the password's length in characters, or the key's length in bytes (before "
          + "encoding). Default: " + DEFAULT_LENGTH + ".")
  Integer length;

  @Option(names = "--encoding", paramLabel = "ENCODING",
      description = "With --generate random-key: how the key is written into the file: base64 (default), hex or "
          + "raw (the bytes themselves).")
  String encoding;

  @Option(names = "--dns-name", paramLabel = "NAME",
      description = "With --generate tls-certificate: a DNS name the certificate is for (repeatable). It may read "
          + "the node's facts, e.g. '{{ node.name }}.web.acme.example', filled in for each node. Default: the "
          + "node's name.")
  List<String> dnsNames = new ArrayList<>();

  @Option(names = "--ip-address", paramLabel = "ADDRESS", converter = IpAddressText.class,
      description = "With --generate tls-certificate: an IP address the certificate is for (repeatable).")
  List<String> ipAddresses = new ArrayList<>();

  @Option(names = "--ttl", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "With --generate tls-certificate: how long each certificate is valid, e.g. 24h or 30d; the "
          + "controllers issue the next one when two thirds of it have passed. Default: 24h.")
  Duration validity;

  @Option(names = "--rotate-every", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "With --generate random-password or random-key: each node's value is made again this often "
          + "(10m to 398d, spread over the last tenth per node), e.g. 7d. Default: kept until the file changes.")
  Duration rotateEvery;

  @Option(names = "--path", required = true, paramLabel = "PATH",
      description = "Where the file appears on each node: an absolute path, e.g. /run/app/db.conf. With tmpfs "
          + "delivery it must be on a tmpfs or ramfs file system; the agent refuses any other.")
  String path;

  @Option(names = "--owner", paramLabel = "USER", description = "The file's owner on the node. Default: root.")
  String owner;

  @Option(names = "--group", paramLabel = "GROUP", description = "The file's group on the node. Default: root.")
  String group;

  @Option(names = "--mode", paramLabel = "MODE",
      description = "Its permissions, in octal from 0 to 0777, e.g. 0440. Default: 0400 (the owner reads it, no one "
          + "else).")
  String mode;

  @Option(names = "--delivery", paramLabel = "HOW",
      description = "tmpfs (default): a file in memory-backed storage, replaced atomically on each new version; "
          + "fifo: a named pipe that hands the content to each reader and stores it nowhere.")
  String delivery;

  @Option(names = "--reload", paramLabel = "ARG",
      description = "The command the agent runs after it replaces the file, given one argument per --reload, in "
          + "order: '--reload /usr/bin/systemctl --reload reload --reload app' runs systemctl reload app. The agent "
          + "runs it directly, with no shell and no PATH search (so give the command's absolute path), and nothing "
          + "here splits or unquotes it, so an argument may hold spaces exactly as typed (which one option split on "
          + "spaces could not carry). For a shell, ask for one: --reload /bin/sh --reload -c --reload 'pkill -HUP "
          + "-f app'.")
  List<String> reload = new ArrayList<>();

  @Option(names = "--selector", paramLabel = "KEY=VALUE",
      description = "Deliver to the nodes that carry this label (repeatable: a node must carry every label given; "
          + "labels are set with 'node register --label').")
  List<String> selectors = new ArrayList<>();

  @Option(names = "--node", paramLabel = "ID", split = ",",
      description = "Deliver to this node, whatever its labels (repeatable, or a comma-separated list). With "
          + "--selector: these nodes and the nodes the labels choose.")
  List<String> nodes = new ArrayList<>();

  @Option(names = "--all-nodes", description = "Deliver to every node of the cluster. Instead of --selector and "
      + "--node; one of the three is required.")
  boolean allNodes;

  @Option(names = "--json", description = "Print the controller's answer as JSON.")
  boolean json;

  /** Where the content comes from: exactly one of three. */
  static final class Source {
    @Option(names = "--from", required = true, paramLabel = "FILE",
        description = "Static content: the bytes of FILE as they are ('-': standard input).")
    String from;

    @Option(names = "--template", required = true, paramLabel = "FILE",
        description = "A template, UTF-8 text ('-': standard input), that the controller fills in for each node, "
            + "e.g. password={{ secret \"db/orders\" \"password\" }} for a field of a shared secret (see "
            + "'opencluster secret put') or host={{ node.name }} for the node's name.")
    String template;

    @Option(names = "--generate", required = true, paramLabel = "GENERATOR",
        description = "Content the controller generates itself, so that no one ever holds it: random-password or "
            + "random-key (see --length, --encoding), or tls-certificate: a P-256 key and a certificate for it "
            + "from the service CA, for each node, in one PEM (key, certificate, service CA certificate; see "
            + "--dns-name, --ip-address, --ttl).")
    String generate;
  }

  FilePutCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    String fileName = StoreNames.require(spec, "file", name);
    Map<String, Object> request = request(System.in);
    JsonNode stored = api.client(context).put("/v1/files/" + fileName, request);
    Output output = new Output(context.out());
    if (json) {
      output.json(stored);
    } else {
      FileView.print(output, stored);
    }
    return 0;
  }

  /**
   * The body of {@code PUT /v1/files/NAME}: the options checked (a usage error when they do not fit
   * together), then the content read ({@code stdin} for {@code -}).
   */
  Map<String, Object> request(InputStream stdin) throws OpsException {
    checkGeneratorOptions();
    if (!path.startsWith("/")) {
      throw usage("--path must be an absolute path, got '" + path + "'");
    }
    if (delivery != null && !DELIVERIES.contains(delivery)) {
      throw usage("--delivery must be tmpfs or fifo, got '" + delivery + "'");
    }
    if (!reload.isEmpty() && (reload.get(0).isEmpty() || reload.get(0).chars().anyMatch(Character::isWhitespace))) {
      throw usage("--reload takes the command and then each of its arguments, one per --reload (e.g. --reload "
          + "/usr/bin/systemctl --reload reload --reload app); the command '" + reload.get(0)
          + "' is empty or holds spaces");
    }
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("path", path);
    if (owner != null) {
      request.put("owner", owner);
    }
    if (group != null) {
      request.put("group", group);
    }
    if (mode != null) {
      request.put("mode", mode(mode));
    }
    if (delivery != null) {
      request.put("delivery", delivery);
    }
    if (!reload.isEmpty()) {
      request.put("reload", List.copyOf(reload));
    }
    request.put("selector", selector());
    request.put("source", source(stdin));
    return request;
  }

  private void checkGeneratorOptions() {
    boolean certificate = TLS_CERTIFICATE.equals(source.generate);
    if (!certificate && (!dnsNames.isEmpty() || !ipAddresses.isEmpty() || validity != null)) {
      throw usage("--dns-name, --ip-address and --ttl go only with --generate tls-certificate");
    }
    if (rotateEvery != null && (source.generate == null || certificate)) {
      throw usage("--rotate-every goes only with --generate random-password or random-key (a tls-certificate is "
          + "renewed two thirds into its --ttl)");
    }
    if (source.generate == null) {
      if (length != null || encoding != null) {
        throw usage("--length and --encoding go only with --generate");
      }
      return;
    }
    if (!GENERATORS.contains(source.generate)) {
      throw usage("--generate must be random-password, random-key or tls-certificate, got '" + source.generate + "'");
    }
    if (certificate) {
      checkCertificateOptions();
      return;
    }
    if (length != null && length < 1) {
      throw usage("--length must be a positive number, got " + length);
    }
    if (encoding != null && !source.generate.equals("random-key")) {
      throw usage("--encoding goes only with --generate random-key");
    }
    if (encoding != null && !ENCODINGS.contains(encoding)) {
      throw usage("--encoding must be base64, hex or raw, got '" + encoding + "'");
    }
  }

  private void checkCertificateOptions() {
    if (length != null || encoding != null) {
      throw usage("--length and --encoding do not go with --generate tls-certificate: its key is always EC P-256");
    }
    for (String dnsName : dnsNames) {
      if (!dnsName.contains("{{") && !isDnsName(dnsName)) {
        throw usage("--dns-name takes a DNS name such as web-1.acme.example, or one that reads the node's facts "
            + "such as '{{ node.name }}.acme.example'; got '" + dnsName + "'");
      }
    }
  }

  private static boolean isDnsName(String name) {
    try {
      new SubjectAltNames(List.of(name), List.of());
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** {@code text} (octal, 0 to 0777) as the API writes it: four digits, e.g. 0400. */
  private String mode(String text) {
    if (!MODE.matcher(text).matches() || Integer.parseInt(text, 8) > 0777) {
      throw usage("--mode must be octal permissions from 0 to 0777 (no setuid, setgid or sticky bit), e.g. 0400; "
          + "got '" + text + "'");
    }
    return String.format("%04o", Integer.parseInt(text, 8));
  }

  private Map<String, Object> selector() {
    if (allNodes && (!selectors.isEmpty() || !nodes.isEmpty())) {
      throw usage("--all-nodes already chooses every node: drop --selector and --node, or drop --all-nodes");
    }
    if (!allNodes && selectors.isEmpty() && nodes.isEmpty()) {
      throw usage("choose the nodes that get the file: --selector KEY=VALUE, --node ID or --all-nodes");
    }
    Map<String, String> labels = new LinkedHashMap<>();
    for (String selector : selectors) {
      int equals = selector.indexOf('=');
      if (equals <= 0) {
        throw usage("--selector must be KEY=VALUE (a node label), got '" + selector + "'");
      }
      String key = selector.substring(0, equals);
      if (labels.put(key, selector.substring(equals + 1)) != null) {
        throw usage("--selector gives label '" + key + "' twice");
      }
    }
    for (String node : nodes) {
      if (!Identity.isValidName(node)) {
        throw usage("invalid node id '" + node + "' in --node: 1..63 characters of a-z, 0-9, '.', '_', '-'");
      }
    }
    Map<String, Object> selector = new LinkedHashMap<>();
    selector.put("nodes", nodes.stream().distinct().toList());
    selector.put("labels", labels);
    selector.put("all", allNodes);
    return selector;
  }

  private Map<String, Object> source(InputStream stdin) throws OpsException {
    Map<String, Object> source = new LinkedHashMap<>();
    String tooLarge = "the controller's limit for a secure file";
    if (this.source.from != null) {
      byte[] content = LimitedInput.read(this.source.from, stdin, LimitedInput.SECURE_FILE_LIMIT, tooLarge);
      try {
        source.put("kind", "static");
        source.put("content", Base64.getEncoder().encodeToString(content));
      } finally {
        Arrays.fill(content, (byte) 0);
      }
    } else if (this.source.template != null) {
      byte[] text = LimitedInput.read(this.source.template, stdin, LimitedInput.SECURE_FILE_LIMIT, tooLarge);
      try {
        source.put("kind", "template");
        source.put("text", LimitedInput.utf8(text, this.source.template));
      } finally {
        Arrays.fill(text, (byte) 0);
      }
    } else {
      source.put("kind", "generated");
      source.put("generator", this.source.generate);
      if (this.source.generate.equals(TLS_CERTIFICATE)) {
        putCertificateSource(source);
      } else {
        source.put("length", length == null ? DEFAULT_LENGTH : length);
        if (rotateEvery != null) {
          source.put("rotateEverySeconds", rotateEvery.toSeconds());
        }
      }
      if (this.source.generate.equals("random-key")) {
        source.put("encoding", encoding == null ? DEFAULT_ENCODING : encoding);
      }
    }
    return source;
  }

  /** The names, and the validity if given; without a name the controller uses the node's ({@code {{ node.name }}}). */
  private void putCertificateSource(Map<String, Object> source) {
    if (!dnsNames.isEmpty()) {
      source.put("dnsNames", dnsNames.stream().distinct().toList());
    }
    source.put("ipAddresses", ipAddresses.stream().distinct().toList());
    if (validity != null) {
      source.put("ttlSeconds", validity.toSeconds());
    }
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}
