package org.opencluster.ops.cli.secret;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Converters;
import org.opencluster.ops.cli.LimitedInput;
import org.opencluster.ops.cli.Output;
import org.opencluster.ops.cli.StoreNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "create", mixinStandardHelpOptions = true,
    description = {
        "Create a rotating shared secret: the controllers keep its versions (PENDING, CURRENT, PREVIOUS), rotate it "
            + "on a schedule or when asked ('secret rotate'), and at once when a node that reads it is quarantined. "
            + "Templates read its current version like any shared secret. Needs the operator or admin role.",
        "--rotator none: a new random password each time, given only to the consumers. --rotator postgresql "
            + "(--param jdbc-url=jdbc:postgresql://db:5432/app --param role-a=app_a --param role-b=app_b "
            + "--admin-secret db/admin): alternates two roles; its first version is the role's existing credential, "
            + "given as username=@FILE password=-.",
        "Consumers (exactly one form): --consumers role=web,zone=a (nodes with all these labels), --consumer-node ID "
            + "(repeatable), or --all-nodes.",
        "First values, if any: FIELD=@FILE or FIELD=- (standard input, one field at most); one trailing newline is "
            + "dropped. Without them the rotator makes the first version. Values are never printed."})
final class SecretCreateCommand implements Callable<Integer> {

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "NAME", description = "The secret's name, e.g. db/orders: " + StoreNames.RULE + ".")
  String name;

  @Parameters(index = "1..*", arity = "0..*", paramLabel = "FIELD=@FILE|FIELD=-",
      description = "A first value and where it comes from.")
  List<String> arguments = new ArrayList<>();

  @Option(names = "--rotator", required = true, paramLabel = "KIND", description = "none or postgresql.")
  String rotator;

  @Option(names = "--param", paramLabel = "KEY=VALUE", description = "A rotator parameter (repeatable); none is secret.")
  Map<String, String> parameters = new LinkedHashMap<>();

  @Option(names = "--admin-secret", paramLabel = "NAME",
      description = "The shared secret holding the rotator's own credential (username, password).")
  String adminSecret;

  @Option(names = "--consumers", paramLabel = "KEY=VALUE[,KEY=VALUE]",
      description = "The consumers: nodes carrying all these labels.")
  String labels;

  @Option(names = "--consumer-node", paramLabel = "ID", description = "A consumer node (repeatable).")
  List<String> nodes = new ArrayList<>();

  @Option(names = "--all-nodes", description = "Every node is a consumer.")
  boolean allNodes;

  @Option(names = "--every", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Rotate on its own this often (e.g. 30d, 12h); default: only when asked.")
  Duration every;

  @Option(names = "--json", description = "Print the controller's answer as JSON (field names, never values).")
  boolean json;

  SecretCreateCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    String secretName = StoreNames.require(spec, "secret", name);
    Map<String, Object> request = request(System.in);
    JsonNode created = api.client(context).put("/v1/rotating-secrets/" + secretName, request);
    Output output = new Output(context.out());
    if (json) {
      output.json(created);
    } else {
      output.line("Created rotating secret " + secretName + ": version 1 is current.");
      RotatingSecretView.print(output, created);
    }
    return 0;
  }

  /** The body of PUT /v1/rotating-secrets/NAME: every option checked first (a usage error), then the values read. */
  Map<String, Object> request(InputStream stdin) throws OpsException {
    Map<String, Object> consumers = consumers();
    Map<String, String> sources = fieldSources();
    Map<String, Object> rotatorBody = new LinkedHashMap<>();
    rotatorBody.put("kind", rotator);
    rotatorBody.put("parameters", parameters);
    if (adminSecret != null) {
      rotatorBody.put("admin_secret", StoreNames.require(spec, "admin secret", adminSecret));
    }
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("rotator", rotatorBody);
    if (every != null) {
      request.put("every", every.toString());
    }
    request.put("consumers", consumers);
    if (!sources.isEmpty()) {
      Map<String, String> fields = new TreeMap<>();
      for (Map.Entry<String, String> source : sources.entrySet()) {
        fields.put(source.getKey(), value(source.getKey(), source.getValue(), stdin));
      }
      request.put("fields", fields);
    }
    return request;
  }

  private Map<String, Object> consumers() {
    int forms = (labels != null ? 1 : 0) + (nodes.isEmpty() ? 0 : 1) + (allNodes ? 1 : 0);
    if (forms != 1) {
      throw usage("name the consumers in exactly one way: --consumers KEY=VALUE[,KEY=VALUE], --consumer-node ID "
          + "(repeatable) or --all-nodes");
    }
    Map<String, Object> consumers = new LinkedHashMap<>();
    if (labels != null) {
      Map<String, String> selected = new TreeMap<>();
      for (String label : labels.split(",", -1)) {
        int equals = label.indexOf('=');
        if (equals <= 0 || equals == label.length() - 1 || selected.containsKey(label.substring(0, equals))) {
          throw usage("--consumers takes KEY=VALUE pairs separated by commas, each key once; got '" + labels + "'");
        }
        selected.put(label.substring(0, equals), label.substring(equals + 1));
      }
      consumers.put("labels", selected);
    }
    if (!nodes.isEmpty()) {
      consumers.put("nodes", nodes);
    }
    if (allNodes) {
      consumers.put("all", true);
    }
    return consumers;
  }

  /** FIELD to its source (a file, or "-"): well-formed, each field once, standard input once at most. */
  private Map<String, String> fieldSources() {
    Map<String, String> sources = new LinkedHashMap<>();
    for (int i = 0; i < arguments.size(); i++) {
      String argument = arguments.get(i);
      int equals = argument.indexOf('=');
      String key = equals < 0 ? argument : argument.substring(0, equals);
      if (equals <= 0 || !SecretPutCommand.FIELD.matcher(key).matches()) {
        throw usage("field argument " + (i + 1) + " is not FIELD=@FILE or FIELD=-; FIELD is " + SecretPutCommand.FIELD_RULE);
      }
      String rest = argument.substring(equals + 1);
      if (!rest.equals(LimitedInput.STDIN) && !(rest.startsWith("@") && rest.length() > 1)) {
        // Never echo it: it may be a value typed in the wrong place.
        throw usage("field '" + key + "': give the value as " + key + "=@FILE or " + key + "=- (a value on the command "
            + "line would be seen in 'ps' and kept in your shell history)");
      }
      if (sources.containsKey(key)) {
        throw usage("field '" + key + "' is given twice");
      }
      if (rest.equals(LimitedInput.STDIN) && sources.containsValue(LimitedInput.STDIN)) {
        throw usage("only one field can read standard input: give the others as FIELD=@FILE");
      }
      sources.put(key, rest.equals(LimitedInput.STDIN) ? rest : rest.substring(1));
    }
    return sources;
  }

  /** The value, base64, as the API takes it; one trailing newline dropped. */
  private static String value(String field, String source, InputStream stdin) throws OpsException {
    byte[] bytes = LimitedInput.read(source, stdin, SecretPutCommand.VALUE_LIMIT,
        "the controller's limit for a value (field '" + field + "')");
    try {
      String value = SecretPutCommand.withoutOneTrailingNewline(LimitedInput.utf8(bytes, source));
      if (value.isEmpty()) {
        throw new OpsException("the value of field '" + field + "' from " + LimitedInput.describe(source) + " is empty");
      }
      byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
      try {
        return Base64.getEncoder().encodeToString(utf8);
      } finally {
        Arrays.fill(utf8, (byte) 0);
      }
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}
