package org.opencluster.ops.cli.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.OctlRun;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * What 'secret put' sends to PUT /v1/secrets/NAME, where each value comes from, and that no value
 * is ever printed: not in a warning, not in a usage error.
 */
class SecretPutCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VALUE = "s3cret-value-never-printed";

  @TempDir
  Path tmp;

  private final StringWriter err = new StringWriter();

  @Test
  void aValueFromAFile_losesExactlyOneTrailingNewline() throws Exception {
    Path one = Files.writeString(tmp.resolve("one"), VALUE + "\n");
    Path two = Files.writeString(tmp.resolve("two"), VALUE + "\n\n");
    Path crlf = Files.writeString(tmp.resolve("crlf"), VALUE + "\r\n");
    Path none = Files.writeString(tmp.resolve("none"), VALUE);

    JsonNode fields = request("db/orders", "a=@" + one, "b=@" + two, "c=@" + crlf, "d=@" + none).path("fields");

    assertThat(fields.path("a").asText()).isEqualTo(VALUE);
    assertThat(fields.path("b").asText()).isEqualTo(VALUE + "\n");
    assertThat(fields.path("c").asText()).isEqualTo(VALUE);
    assertThat(fields.path("d").asText()).isEqualTo(VALUE);
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void aMultiLineValueFromAFile_keepsItsInnerLines() throws Exception {
    String pem;
    try (org.opencluster.protocol.crypto.SecretBytes encoded =
        org.opencluster.protocol.pki.Pem.encodePrivateKey(org.opencluster.protocol.crypto.EcKeys.generate().getPrivate())) {
      pem = new String(encoded.copyBytes(), java.nio.charset.StandardCharsets.US_ASCII); // a key made now, never committed
    }
    Path file = Files.writeString(tmp.resolve("key.pem"), pem);

    assertThat(request("tls/web", "key=@" + file).path("fields").path("key").asText()).isEqualTo(pem.stripTrailing());
  }

  @Test
  void aValueFromDash_isReadFromStandardInput_withoutAWarning() throws Exception {
    Path user = Files.writeString(tmp.resolve("user"), "app\n");

    JsonNode request = requestWithStdin(stdin(VALUE + "\n"), "db/orders", "user=@" + user, "password=-");

    assertThat(request).isEqualTo(JSON.readTree("{\"fields\":{\"user\":\"app\",\"password\":\"" + VALUE + "\"}}"));
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void aLiteralValue_isSent_andWarnedAbout_withoutShowingIt() throws Exception {
    JsonNode request = request("db/orders", "password=" + VALUE);

    assertThat(request.path("fields").path("password").asText()).isEqualTo(VALUE);
    assertThat(err.toString()).contains("warning: the value of field 'password' is on the command line")
        .contains("'ps'").contains("shell history").contains("password=@FILE or password=-")
        .doesNotContain(VALUE);
  }

  @Test
  void aLiteralValue_throughTheCommandLine_warnsOnStderr_andGetsAsFarAsTheController() {
    OctlRun octl = OctlRun.withoutPassphrase();

    assertThat(octl.run("secret", "put", "db/orders", "user=app", "password=" + VALUE)).isEqualTo(1);

    assertThat(octl.err()).contains("warning: the value of field 'user' is on the command line")
        .contains("warning: the value of field 'password' is on the command line")
        .contains("set OPENCLUSTER_CLIENT_CERT");
    assertThat(octl.out() + octl.err()).doesNotContain(VALUE);
  }

  @Test
  void dash_throughTheCommandLine_readsTheProcessStandardInput() {
    InputStream original = System.in;
    System.setIn(stdin(VALUE + "\n"));
    try {
      OctlRun octl = OctlRun.withoutPassphrase();
      assertThat(octl.run("secret", "put", "db/orders", "password=-")).isEqualTo(1);
      assertThat(octl.err()).contains("set OPENCLUSTER_CLIENT_CERT").doesNotContain("warning");
      assertThat(octl.out() + octl.err()).doesNotContain(VALUE);
    } finally {
      System.setIn(original);
    }
  }

  @Test
  void aFieldGivenTwice_isAUsageError() {
    assertUsageError("field 'password' is given twice", "db/orders", "password=a-" + VALUE, "password=@/dev/null");
  }

  @Test
  void standardInputForTwoFields_isAUsageError() {
    assertUsageError("only one field can read standard input ('user=-' and 'password=-')",
        "db/orders", "user=-", "password=-");
  }

  @Test
  void anArgumentThatIsNotFieldEqualsSomething_isAUsageError_thatDoesNotEchoIt() {
    assertUsageError("field argument 1 is not FIELD=@FILE, FIELD=- or FIELD=VALUE (it has no '=')", "db/orders", VALUE);
    assertUsageError("field argument 2 is not FIELD=@FILE", "db/orders", "user=app", "=" + VALUE);
    assertUsageError("field argument 1 is not FIELD=@FILE", "db/orders", "pass word=" + VALUE);
    assertUsageError("field argument 1 is not FIELD=@FILE", "db/orders", "1password=" + VALUE);
    assertUsageError("field argument 1 is not FIELD=@FILE", "db/orders", "@" + VALUE);
    assertUsageError("field 'password': '@' must be followed by a file name", "db/orders", "password=@");
  }

  @Test
  void anEmptyLiteralValue_isAUsageError() {
    assertUsageError("field 'password' has an empty value (an unset shell variable?)", "db/orders", "password=");
  }

  @Test
  void noFieldAtAll_orAnInvalidName_isAUsageError() {
    assertUsageError("Missing required parameter", "db/orders");
    assertUsageError("invalid secret name 'db//orders'", "db//orders", "password=-");
  }

  @Test
  void anEmptyOrMissingFile_isAFailureThatNamesTheFieldAndFile() throws Exception {
    Path empty = Files.writeString(tmp.resolve("empty"), "\n");
    assertThatThrownBy(() -> request("db/orders", "password=@" + empty))
        .isInstanceOf(OpsException.class)
        .hasMessage("the value of field 'password' from " + empty + " is empty");

    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("secret", "put", "db/orders", "password=@" + tmp.resolve("nope"))).isEqualTo(1);
    assertThat(octl.err()).contains("cannot read " + tmp.resolve("nope") + ": no such file");
  }

  @Test
  void fieldNames_followTheControllersRule() throws Exception {
    assertThat(request("db/orders", "_user.name-2=app").path("fields").path("_user.name-2").asText()).isEqualTo("app");
    assertUsageError("field argument 1 is not FIELD=@FILE", "db/orders", "a".repeat(65) + "=x");
  }

  @Test
  void aValueOf16KiB_isSent_andOneByteMore_isRefused_withoutShowingIt() throws Exception {
    Path limit = Files.writeString(tmp.resolve("limit"), "x".repeat(16 * 1024));
    Path big = Files.writeString(tmp.resolve("big"), VALUE.repeat(16 * 1024 / VALUE.length() + 1));
    assertThat(request("db/orders", "password=@" + limit).path("fields").path("password").asText())
        .hasSize(16 * 1024);

    assertThatThrownBy(() -> request("db/orders", "password=@" + big))
        .isInstanceOf(OpsException.class)
        .hasMessage(big + " is larger than 16 KiB, the controller's limit for a value (field 'password')");
    assertThatThrownBy(() -> request("db/orders", "password=" + VALUE.repeat(16 * 1024 / VALUE.length() + 1)))
        .isInstanceOf(OpsException.class)
        .hasMessage("the value of field 'password' is larger than 16 KiB, the controller's limit for a value");
  }

  @Test
  void aValueThatIsNotUtf8_isRefused() throws Exception {
    Path binary = Files.write(tmp.resolve("bin"), new byte[] {(byte) 0xff, (byte) 0xfe, 0});

    assertThatThrownBy(() -> request("db/orders", "key=@" + binary))
        .isInstanceOf(OpsException.class).hasMessage(binary + " is not UTF-8 text");
  }

  @Test
  void aFieldDescription_neverShowsItsValue() {
    assertThat(new SecretPutCommand.Field("password", SecretPutCommand.Origin.LITERAL, VALUE).toString())
        .doesNotContain(VALUE).contains("password");
  }

  private JsonNode request(String... args) throws OpsException {
    return requestWithStdin(InputStream.nullInputStream(), args);
  }

  /** The body the command line {@code secret put ARGS} would send; a usage error fails the test. */
  private JsonNode requestWithStdin(InputStream stdin, String... args) throws OpsException {
    CliContext context = new CliContext(Map.of(), prompt -> Optional.empty(), new PrintWriter(new StringWriter()),
        new PrintWriter(err, true), Clock.systemUTC());
    SecretPutCommand command = new SecretPutCommand(context);
    new CommandLine(command).parseArgs(args);
    try {
      return JSON.valueToTree(command.request(stdin));
    } catch (ParameterException e) {
      throw new AssertionError("unexpected usage error: " + e.getMessage(), e);
    }
  }

  /** Runs {@code secret put ARGS}: a usage error (exit 2) that says {@code message} and shows no value. */
  private static void assertUsageError(String message, String... args) {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run(Stream.concat(Stream.of("secret", "put"), Stream.of(args)).toArray(String[]::new)))
        .as(message).isEqualTo(2);
    assertThat(octl.err()).contains(message).doesNotContain(VALUE).doesNotContain("OPENCLUSTER_CLIENT_CERT");
  }

  private static InputStream stdin(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }
}
