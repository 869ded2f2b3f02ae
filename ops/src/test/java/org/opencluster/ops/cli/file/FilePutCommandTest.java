package org.opencluster.ops.cli.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
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
 * What 'file put' sends to PUT /v1/files/NAME, and what it refuses before it asks a controller:
 * usage errors exit 2, unreadable or oversized content exits 1, content is never printed.
 */
class FilePutCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] TARGET = {"--path", "/run/app/db.conf", "--all-nodes"};

  @TempDir
  Path tmp;

  @Test
  void staticContentFromAFile_isSentAsTheBase64OfItsBytes() throws Exception {
    byte[] bytes = {0, 1, 2, (byte) 0xff, (byte) 0xfe, '\n', 'x'};
    Path file = Files.write(tmp.resolve("key.bin"), bytes);

    JsonNode source = request("db/key", "--from", file.toString(), "--path", "/run/k", "--all-nodes").path("source");

    assertThat(source.path("kind").asText()).isEqualTo("static");
    assertThat(Base64.getDecoder().decode(source.path("content").asText())).isEqualTo(bytes);
    assertThat(fieldNames(source)).containsExactly("kind", "content");
  }

  @Test
  void staticContentFromDash_isReadFromStandardInput() throws Exception {
    byte[] bytes = "user=app\n".getBytes(StandardCharsets.UTF_8);

    JsonNode source = requestWithStdin(new ByteArrayInputStream(bytes), "app.conf", "--from", "-", TARGET)
        .path("source");

    assertThat(Base64.getDecoder().decode(source.path("content").asText())).isEqualTo(bytes);
  }

  @Test
  void aTemplateFromAFile_isSentAsItsText() throws Exception {
    String text = "user=app\npassword={{ secret \"db/orders\" \"password\" }}\nhost={{ node.name }}\n";
    Path file = Files.writeString(tmp.resolve("db.conf.tmpl"), text);

    JsonNode source = request("db/orders.conf", "--template", file.toString(), TARGET).path("source");

    assertThat(source.path("kind").asText()).isEqualTo("template");
    assertThat(source.path("text").asText()).isEqualTo(text);
    assertThat(fieldNames(source)).containsExactly("kind", "text");
  }

  @Test
  void aTemplateThatIsNotUtf8_isRefused() throws Exception {
    Path file = Files.write(tmp.resolve("bad.tmpl"), new byte[] {'a', (byte) 0xc3, '('});

    assertThatThrownBy(() -> request("x", "--template", file.toString(), TARGET))
        .isInstanceOf(OpsException.class).hasMessageContaining("is not UTF-8 text");
  }

  @Test
  void aGeneratedPassword_carriesItsLength_32ByDefault() throws Exception {
    assertThat(request("pw", "--generate", "random-password", "--length", "40", TARGET).path("source"))
        .isEqualTo(json("{\"kind\":\"generated\",\"generator\":\"random-password\",\"length\":40}"));
    assertThat(request("pw", "--generate", "random-password", TARGET).path("source").path("length").asInt())
        .isEqualTo(32);
  }

  @Test
  void aGeneratedKey_carriesLengthAndEncoding_base64ByDefault() throws Exception {
    assertThat(request("k", "--generate", "random-key", "--length", "64", "--encoding", "hex", TARGET).path("source"))
        .isEqualTo(json("{\"kind\":\"generated\",\"generator\":\"random-key\",\"length\":64,\"encoding\":\"hex\"}"));
    assertThat(request("k", "--generate", "random-key", TARGET).path("source"))
        .isEqualTo(json("{\"kind\":\"generated\",\"generator\":\"random-key\",\"length\":32,\"encoding\":\"base64\"}"));
    assertThat(request("k", "--generate", "random-key", "--encoding", "raw", TARGET).path("source")
        .path("encoding").asText()).isEqualTo("raw");
  }

  @Test
  void generatorOptionsThatDoNotFit_areUsageErrors() {
    assertUsageError("an unknown generator", "--generate must be random-password, random-key or tls-certificate",
        "x", "--generate", "uuid", "--path", "/run/x", "--all-nodes");
    assertUsageError("an encoding for a password", "--encoding goes only with --generate random-key",
        "x", "--generate", "random-password", "--encoding", "hex", "--path", "/run/x", "--all-nodes");
    assertUsageError("an unknown encoding", "--encoding must be base64, hex or raw",
        "x", "--generate", "random-key", "--encoding", "base32", "--path", "/run/x", "--all-nodes");
    assertUsageError("a zero length", "--length must be a positive number",
        "x", "--generate", "random-key", "--length", "0", "--path", "/run/x", "--all-nodes");
  }

  @Test
  void lengthOrEncodingWithoutGenerate_isAUsageError() throws Exception {
    Path file = Files.writeString(tmp.resolve("f"), "x");
    assertUsageError("--length with --from", "--length and --encoding go only with --generate",
        "x", "--from", file.toString(), "--length", "12", "--path", "/run/x", "--all-nodes");
    assertUsageError("--encoding with --template", "--length and --encoding go only with --generate",
        "x", "--template", file.toString(), "--encoding", "hex", "--path", "/run/x", "--all-nodes");
  }

  @Test
  void aTlsCertificate_carriesItsNamesAddressesAndValidity() throws Exception {
    JsonNode source = request("web/tls.pem", "--generate", "tls-certificate",
        "--dns-name", "{{ node.name }}.web.acme.example", "--dns-name", "web.acme.example",
        "--ip-address", "10.0.0.5", "--ip-address", "fd00::5", "--ttl", "48h", TARGET).path("source");

    assertThat(source).isEqualTo(json("""
        {"kind":"generated","generator":"tls-certificate",
         "dnsNames":["{{ node.name }}.web.acme.example","web.acme.example"],
         "ipAddresses":["10.0.0.5","fd00::5"],"ttlSeconds":172800}"""));
  }

  @Test
  void aTlsCertificate_withoutNamesOrValidity_leavesThemToTheController() throws Exception {
    JsonNode source = request("web/tls.pem", "--generate", "tls-certificate", TARGET).path("source");

    assertThat(source).isEqualTo(json("{\"kind\":\"generated\",\"generator\":\"tls-certificate\",\"ipAddresses\":[]}"));
  }

  @Test
  void aTlsCertificate_sendsANameGivenTwiceOnce() throws Exception {
    assertThat(request("t", "--generate", "tls-certificate", "--dns-name", "a.example", "--dns-name", "a.example",
        "--ip-address", "10.0.0.5", "--ip-address", "10.0.0.5", TARGET).path("source"))
        .isEqualTo(json("""
            {"kind":"generated","generator":"tls-certificate","dnsNames":["a.example"],"ipAddresses":["10.0.0.5"]}"""));
  }

  @Test
  void certificateOptionsWithoutTlsCertificate_areUsageErrors() throws Exception {
    Path file = Files.writeString(tmp.resolve("f"), "x");
    String message = "--dns-name, --ip-address and --ttl go only with --generate tls-certificate";
    assertUsageError("--dns-name with random-key", message,
        "x", "--generate", "random-key", "--dns-name", "web.example", TARGET);
    assertUsageError("--ip-address with --from", message,
        "x", "--from", file.toString(), "--ip-address", "10.0.0.5", TARGET);
    assertUsageError("--ttl with --template", message, "x", "--template", file.toString(), "--ttl", "24h", TARGET);
    assertUsageError("--ttl with random-password", message, "x", "--generate", "random-password", "--ttl", "24h",
        TARGET);
  }

  @Test
  void aRandomKeyWithASchedule_carriesIt_andOnlyRandomOnesTakeOne() throws Exception {
    assertThat(request("app/key", "--generate", "random-key", "--rotate-every", "7d", TARGET).path("source"))
        .isEqualTo(json("""
            {"kind":"generated","generator":"random-key","length":32,"rotateEverySeconds":604800,"encoding":"base64"}"""));
    String message = "--rotate-every goes only with --generate random-password or random-key";
    assertUsageError("with tls-certificate", message, "x", "--generate", "tls-certificate", "--rotate-every", "7d",
        TARGET);
    Path file = Files.writeString(tmp.resolve("f"), "x");
    assertUsageError("with --from", message, "x", "--from", file.toString(), "--rotate-every", "7d", TARGET);
  }

  @Test
  void lengthOrEncodingWithTlsCertificate_areUsageErrors() {
    String message = "--length and --encoding do not go with --generate tls-certificate";
    assertUsageError("--length", message, "x", "--generate", "tls-certificate", "--length", "32", TARGET);
    assertUsageError("--encoding", message, "x", "--generate", "tls-certificate", "--encoding", "hex", TARGET);
  }

  @Test
  void aCertificateNameOrAddressOrValidityThatIsMalformed_isAUsageError() {
    for (String name : List.of("web_1.example", "*.acme.example", "acme.example.", "web 1", "")) {
      assertUsageError("name '" + name + "'", "--dns-name takes a DNS name such as web-1.acme.example",
          "x", "--generate", "tls-certificate", "--dns-name", name, TARGET);
    }
    assertUsageError("a host name as an address", "'web.example' is not an IP address",
        "x", "--generate", "tls-certificate", "--ip-address", "web.example", TARGET);
    assertUsageError("an address out of range", "'10.0.0.256' is not an IP address",
        "x", "--generate", "tls-certificate", "--ip-address", "10.0.0.256", TARGET);
    assertUsageError("a validity without a unit", "'24' is not a duration",
        "x", "--generate", "tls-certificate", "--ttl", "24", TARGET);
  }

  @Test
  void noSource_twoSources_orOneSourceTwice_areUsageErrors() throws Exception {
    Path file = Files.writeString(tmp.resolve("f"), "x");
    assertUsageError("no source", "Missing required argument", "x", "--path", "/run/x", "--all-nodes");
    assertUsageError("--from and --generate", "mutually exclusive",
        "x", "--from", file.toString(), "--generate", "random-key", "--path", "/run/x", "--all-nodes");
    assertUsageError("--from and --template", "mutually exclusive",
        "x", "--from", file.toString(), "--template", file.toString(), "--path", "/run/x", "--all-nodes");
    assertUsageError("--from twice", "--from",
        "x", "--from", file.toString(), "--from", file.toString(), "--path", "/run/x", "--all-nodes");
  }

  @Test
  void selectorLabels_becomeTheSelectorsLabels() throws Exception {
    JsonNode selector = request("x", "--generate", "random-key", "--path", "/run/x",
        "--selector", "role=web", "--selector", "zone=eu-1").path("selector");

    assertThat(selector)
        .isEqualTo(json("{\"nodes\":[],\"labels\":{\"role\":\"web\",\"zone\":\"eu-1\"},\"all\":false}"));
  }

  @Test
  void aSelectorThatIsNotKeyEqualsValue_isAUsageError() {
    assertUsageError("no '='", "--selector must be KEY=VALUE (a node label), got 'role'",
        "x", "--generate", "random-key", "--path", "/run/x", "--selector", "role");
    assertUsageError("no key", "--selector must be KEY=VALUE",
        "x", "--generate", "random-key", "--path", "/run/x", "--selector", "=web");
    assertUsageError("a label twice", "--selector gives label 'role' twice",
        "x", "--generate", "random-key", "--path", "/run/x", "--selector", "role=web", "--selector", "role=db");
  }

  @Test
  void nodes_areRepeatableOrCommaSeparated_andCheckedAsNodeIds() throws Exception {
    JsonNode selector = request("x", "--generate", "random-key", "--path", "/run/x",
        "--node", "web-1", "--node", "web-2,web-3", "--selector", "role=web").path("selector");

    assertThat(selector)
        .isEqualTo(json("{\"nodes\":[\"web-1\",\"web-2\",\"web-3\"],\"labels\":{\"role\":\"web\"},\"all\":false}"));
    assertUsageError("a bad node id", "invalid node id 'Web_1!'",
        "x", "--generate", "random-key", "--path", "/run/x", "--node", "Web_1!");
  }

  @Test
  void allNodes_selectsEveryNode_andExcludesTheOtherSelectors() throws Exception {
    assertThat(request("x", "--generate", "random-key", "--path", "/run/x", "--all-nodes").path("selector"))
        .isEqualTo(json("{\"nodes\":[],\"labels\":{},\"all\":true}"));
    assertUsageError("--all-nodes with --node", "--all-nodes already chooses every node",
        "x", "--generate", "random-key", "--path", "/run/x", "--all-nodes", "--node", "web-1");
    assertUsageError("no nodes at all", "choose the nodes that get the file",
        "x", "--generate", "random-key", "--path", "/run/x");
  }

  @Test
  void theOptionalFacts_areSentOnlyWhenGiven_andTheModeAsFourOctalDigits() throws Exception {
    assertThat(fieldNames(request("x", "--generate", "random-key", TARGET)))
        .containsExactly("path", "selector", "source");

    JsonNode request = request("x", "--generate", "random-key", "--owner", "app", "--group", "app", "--mode", "440",
        "--delivery", "fifo", TARGET);

    assertThat(fieldNames(request)).containsExactly("path", "owner", "group", "mode", "delivery", "selector", "source");
    assertThat(request.path("path").asText()).isEqualTo("/run/app/db.conf");
    assertThat(request.path("owner").asText()).isEqualTo("app");
    assertThat(request.path("group").asText()).isEqualTo("app");
    assertThat(request.path("mode").asText()).isEqualTo("0440");
    assertThat(request.path("delivery").asText()).isEqualTo("fifo");
    assertThat(request("x", "--generate", "random-key", "--mode", "0", TARGET).path("mode").asText()).isEqualTo("0000");
    assertThat(request("x", "--generate", "random-key", "--mode", "0777", TARGET).path("mode").asText())
        .isEqualTo("0777");
  }

  @Test
  void aModeThatIsNotOctalFrom0To0777_isAUsageError() {
    for (String mode : List.of("0800", "1777", "4755", "rw-r-----", "-1", "07770", "0x1ff")) {
      assertUsageError("mode " + mode, "--mode must be octal permissions from 0 to 0777",
          "x", "--generate", "random-key", "--mode", mode, "--path", "/run/x", "--all-nodes");
    }
  }

  @Test
  void aRelativePathOrAnUnknownDelivery_isAUsageError() {
    assertUsageError("a relative path", "--path must be an absolute path",
        "x", "--generate", "random-key", "--path", "run/x", "--all-nodes");
    assertUsageError("an unknown delivery", "--delivery must be tmpfs or fifo",
        "x", "--generate", "random-key", "--delivery", "disk", "--path", "/run/x", "--all-nodes");
  }

  @Test
  void reload_isOneArgumentPerOption_inOrder_withSpacesKept() throws Exception {
    assertThat(request("x", "--generate", "random-key", "--reload", "/usr/bin/systemctl", "--reload", "reload",
        "--reload", "app", TARGET).path("reload")).isEqualTo(json("[\"/usr/bin/systemctl\",\"reload\",\"app\"]"));
    assertThat(request("x", "--generate", "random-key", "--reload", "/bin/sh", "--reload", "-c",
        "--reload", "pkill -HUP -f 'app server'", TARGET).path("reload"))
        .isEqualTo(json("[\"/bin/sh\",\"-c\",\"pkill -HUP -f 'app server'\"]"));
  }

  @Test
  void aWholeCommandLineInOneReload_isAUsageErrorThatSaysHowToSplitIt() {
    assertUsageError("one --reload with spaces", "one per --reload (e.g. --reload /usr/bin/systemctl --reload reload",
        "x", "--generate", "random-key", "--reload", "/usr/bin/systemctl reload app", "--path", "/run/x",
        "--all-nodes");
  }

  @Test
  void contentOf64KiB_isSent_andOneByteMore_isRefusedBeforeAskingTheController() throws Exception {
    Path limit = Files.write(tmp.resolve("limit"), new byte[64 * 1024]);
    Path over = Files.write(tmp.resolve("over"), new byte[64 * 1024 + 1]);
    assertThat(Base64.getDecoder().decode(request("x", "--from", limit.toString(), TARGET)
        .path("source").path("content").asText())).hasSize(64 * 1024);

    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run(put("x", "--from", over.toString(), TARGET))).isEqualTo(1);
    assertThat(octl.err()).contains(over + " is larger than 64 KiB, the controller's limit for a secure file")
        .doesNotContain("OPENCLUSTER_CLIENT_CERT");
    assertThat(octl.run(put("x", "--template", over.toString(), TARGET))).isEqualTo(1);
    assertThat(octl.err()).contains("is larger than 64 KiB");
  }

  @Test
  void oversizedStandardInput_isRefused() {
    InputStream big = new ByteArrayInputStream(new byte[64 * 1024 + 1]);
    assertThatThrownBy(() -> requestWithStdin(big, "x", "--from", "-", TARGET))
        .isInstanceOf(OpsException.class).hasMessageContaining("standard input is larger than 64 KiB");
  }

  @Test
  void aMissingFile_isAFailureThatNamesIt() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run(put("x", "--from", tmp.resolve("nope").toString(), TARGET))).isEqualTo(1);
    assertThat(octl.err()).contains("cannot read " + tmp.resolve("nope") + ": no such file");
  }

  @Test
  void aValidCommand_getsAsFarAsTheController_andPrintsNoContent() throws Exception {
    Path file = Files.writeString(tmp.resolve("db.conf"), "password=hunter2-do-not-print");
    OctlRun octl = OctlRun.withoutPassphrase();

    assertThat(octl.run(put("db/orders.conf", "--from", file.toString(), "--selector", "role=web",
        "--path", "/run/app/db.conf"))).isEqualTo(1);

    assertThat(octl.err()).contains("set OPENCLUSTER_CLIENT_CERT");
    assertThat(octl.out() + octl.err()).doesNotContain("hunter2").doesNotContain(
        Base64.getEncoder().encodeToString("password=hunter2-do-not-print".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void anInvalidName_isAUsageError() {
    for (String name : List.of("Db/orders", "/db", "db/", "db//orders", "db/../etc", "a..b", "db/./x", "db/.",
        "_db", "db orders", "a".repeat(129))) {
      assertUsageError("name " + name, "invalid file name", name, "--generate", "random-key", "--path", "/run/x",
          "--all-nodes");
    }
  }

  private JsonNode request(Object... args) throws OpsException {
    return requestWithStdin(InputStream.nullInputStream(), args);
  }

  /**
   * The body the command line {@code file put ARGS} would send, as the controller reads it (through
   * its JSON text); a usage error fails the test.
   */
  private JsonNode requestWithStdin(InputStream stdin, Object... args) throws OpsException {
    CliContext context = new CliContext(Map.of(), prompt -> Optional.empty(), new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter()), Clock.systemUTC());
    FilePutCommand command = new FilePutCommand(context);
    new CommandLine(command).parseArgs(flatten(args));
    try {
      return JSON.readTree(JSON.writeValueAsString(command.request(stdin)));
    } catch (ParameterException e) {
      throw new AssertionError("unexpected usage error: " + e.getMessage(), e);
    } catch (JsonProcessingException e) {
      throw new AssertionError("the body is not JSON", e);
    }
  }

  /** Runs {@code file put ARGS}; it must be a usage error (exit 2) whose message contains {@code message}. */
  private static void assertUsageError(String what, String message, Object... args) {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run(put(args))).as(what).isEqualTo(2);
    assertThat(octl.err()).as(what).contains(message).doesNotContain("OPENCLUSTER_CLIENT_CERT");
  }

  /** {@code file put} and {@code args}, String arrays among them spliced in. */
  private static String[] put(Object... args) {
    return Stream.concat(Stream.of("file", "put"), Stream.of(flatten(args))).toArray(String[]::new);
  }

  private static String[] flatten(Object... args) {
    return Stream.of(args).flatMap(arg -> arg instanceof String[] array ? Stream.of(array) : Stream.of((String) arg))
        .toArray(String[]::new);
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }
}
