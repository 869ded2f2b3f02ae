package org.opencluster.ops.cli.secret;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
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

@Command(name = "put", mixinStandardHelpOptions = true,
    description = {
        "Store a shared secret, or replace it: each put makes a new version that holds exactly the fields given "
            + "(a field left out is not kept). Needs the operator or admin role.",
        "Give each field as FIELD=@FILE (the value is the content of FILE) or FIELD=- (the value is standard input, "
            + "for one field at most). From a file or standard input, ONE trailing newline is dropped (as echo "
            + "and editors add one, and a value is usually pasted into a line of a template): 'pw\\n' stores pw, "
            + "'pw\\n\\n' stores 'pw\\n'. A value that must end in a newline gets it from the template. Values are "
            + "UTF-8 text, not empty, up to 16 KiB each.",
        "FIELD=VALUE also works, but the value is then visible to other users in 'ps' and kept in your shell "
            + "history: the command warns.",
        "Values are never printed, and no command or API call gives them back.",
        "Example: opencluster secret put db/orders user=@user.txt password=-"})
final class SecretPutCommand implements Callable<Integer> {

  /** Field names: what a template writes in {@code {{ secret "NAME" "FIELD" }}}. */
  static final Pattern FIELD = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");
  static final String FIELD_RULE = "1..64 characters of A-Z, a-z, 0-9, '_', '.', '-', starting with a letter or '_'";
  /** The controller's limit on one value, in UTF-8 bytes: 16 KiB. */
  static final int VALUE_LIMIT = 16 * 1024;

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "NAME",
      description = "The secret's name, e.g. db/orders: " + StoreNames.RULE + ".")
  String name;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "FIELD=@FILE|FIELD=-|FIELD=VALUE",
      description = "A field and where its value comes from. FIELD: " + FIELD_RULE + ".")
  List<String> arguments = new ArrayList<>();

  @Option(names = "--json", description = "Print the controller's answer as JSON (field names, never values).")
  boolean json;

  /** Where one field's value comes from. Its {@code toString} never shows a value. */
  record Field(String key, Origin origin, String argument) {
    @Override
    public String toString() {
      return "Field[" + key + ", " + origin + "]";
    }
  }

  /** A value's origin: the command line itself, a file, or standard input. */
  enum Origin { LITERAL, FILE, STDIN }

  SecretPutCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    String secretName = StoreNames.require(spec, "secret", name);
    Map<String, Object> request = request(System.in);
    JsonNode stored = api.client(context).put("/v1/secrets/" + secretName, request);
    Output output = new Output(context.out());
    if (json) {
      output.json(stored);
    } else {
      SecretView.print(output, stored, false);
    }
    return 0;
  }

  /**
   * The body of {@code PUT /v1/secrets/NAME}, {@code {"fields": {FIELD: value}}}: every argument
   * checked first (a usage error), a warning on stderr for each value given on the command line,
   * then the files and {@code stdin} read.
   */
  Map<String, Object> request(InputStream stdin) throws OpsException {
    List<Field> fields = fields();
    for (Field field : fields) {
      if (field.origin() == Origin.LITERAL) {
        context.err().println("warning: the value of field '" + field.key() + "' is on the command line, where other "
            + "users can see it ('ps') and your shell history keeps it; next time use " + field.key() + "=@FILE or "
            + field.key() + "=-");
      }
    }
    context.err().flush();
    Map<String, String> values = new LinkedHashMap<>();
    for (Field field : fields) {
      values.put(field.key(), value(field, stdin));
    }
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("fields", values);
    return request;
  }

  /** The arguments parsed: well-formed, each field once, standard input for one at most. */
  private List<Field> fields() {
    List<Field> fields = new ArrayList<>();
    Field fromStdin = null;
    for (int i = 0; i < arguments.size(); i++) {
      String argument = arguments.get(i);
      int equals = argument.indexOf('=');
      String key = equals < 0 ? argument : argument.substring(0, equals);
      if (equals <= 0 || !FIELD.matcher(key).matches()) {
        // A malformed argument may be a value typed in the wrong place: say which one it is, not what it holds.
        throw usage("field argument " + (i + 1) + " is not FIELD=@FILE, FIELD=- or FIELD=VALUE"
            + (equals < 0 ? " (it has no '=')" : "") + "; FIELD is " + FIELD_RULE);
      }
      if (fields.stream().anyMatch(field -> field.key().equals(key))) {
        throw usage("field '" + key + "' is given twice");
      }
      String rest = argument.substring(equals + 1);
      Field field;
      if (rest.equals(LimitedInput.STDIN)) {
        field = new Field(key, Origin.STDIN, rest);
        if (fromStdin != null) {
          throw usage("only one field can read standard input ('" + fromStdin.key() + "=-' and '" + key
              + "=-'): give the others as FIELD=@FILE");
        }
        fromStdin = field;
      } else if (rest.startsWith("@")) {
        if (rest.length() == 1) {
          throw usage("field '" + key + "': '@' must be followed by a file name");
        }
        field = new Field(key, Origin.FILE, rest.substring(1));
      } else {
        if (rest.isEmpty()) {
          throw usage("field '" + key + "' has an empty value (an unset shell variable?)");
        }
        field = new Field(key, Origin.LITERAL, rest);
      }
      fields.add(field);
    }
    return fields;
  }

  private String value(Field field, InputStream stdin) throws OpsException {
    if (field.origin() == Origin.LITERAL) {
      if (field.argument().getBytes(StandardCharsets.UTF_8).length > VALUE_LIMIT) {
        throw new OpsException("the value of field '" + field.key() + "' is larger than " + VALUE_LIMIT / 1024
            + " KiB, the controller's limit for a value");
      }
      return field.argument();
    }
    String source = field.origin() == Origin.STDIN ? LimitedInput.STDIN : field.argument();
    byte[] bytes = LimitedInput.read(source, stdin, VALUE_LIMIT,
        "the controller's limit for a value (field '" + field.key() + "')");
    try {
      String value = withoutOneTrailingNewline(LimitedInput.utf8(bytes, source));
      if (value.isEmpty()) {
        throw new OpsException("the value of field '" + field.key() + "' from " + LimitedInput.describe(source)
            + " is empty");
      }
      return value;
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  /** {@code text} less one trailing {@code \n} or {@code \r\n}, if it ends in one. */
  static String withoutOneTrailingNewline(String text) {
    if (text.endsWith("\r\n")) {
      return text.substring(0, text.length() - 2);
    }
    return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}
