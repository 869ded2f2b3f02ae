package org.opencluster.ops.cli.secret;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.OctlRun;
import org.opencluster.ops.cli.Output;
import picocli.CommandLine;

/**
 * What 'secret create' sends to PUT /v1/rotating-secrets/NAME, the usage errors it and 'secret
 * rotate' give before asking anyone (exit 2, no value echoed), when --wait deems a rotation
 * finished, and how a status is shown.
 */
class RotatingSecretCommandsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VALUE = "s3cret-first-value-never-printed";

  @TempDir
  Path tmp;

  @Test
  void create_sendsTheRotator_theConsumers_theSchedule_andTheFirstValuesInBase64() throws Exception {
    Path password = Files.writeString(tmp.resolve("pw"), VALUE + "\n");

    JsonNode request = request("db/app", "--rotator", "postgresql", "--param", "jdbc-url=jdbc:postgresql://db/app",
        "--param", "role-a=app_a", "--admin-secret", "db/admin", "--consumers", "role=web,zone=a", "--every", "30d",
        "password=@" + password);

    assertThat(request.path("rotator").toString()).isEqualTo("{\"kind\":\"postgresql\",\"parameters\":{\"jdbc-url\":"
        + "\"jdbc:postgresql://db/app\",\"role-a\":\"app_a\"},\"admin_secret\":\"db/admin\"}");
    assertThat(request.path("consumers").toString()).isEqualTo("{\"labels\":{\"role\":\"web\",\"zone\":\"a\"}}");
    assertThat(request.path("every").asText()).isEqualTo("PT720H");
    assertThat(request.path("fields").path("password").asText())
        .as("one trailing newline dropped").isEqualTo(Base64.getEncoder().encodeToString(VALUE.getBytes()));
  }

  @Test
  void create_withoutFirstValues_sendsNoFields_andNodesOrAllAreConsumersToo() throws Exception {
    assertThat(request("app/token", "--rotator", "none", "--consumer-node", "web-1", "--consumer-node", "web-2")
        .path("consumers").toString()).isEqualTo("{\"nodes\":[\"web-1\",\"web-2\"]}");
    JsonNode all = request("app/token", "--rotator", "none", "--all-nodes");
    assertThat(all.path("consumers").toString()).isEqualTo("{\"all\":true}");
    assertThat(all.has("fields")).isFalse();
    assertThat(all.has("every")).isFalse();
  }

  @Test
  void create_needsExactlyOneFormOfConsumers() {
    String rule = "name the consumers in exactly one way";
    assertUsageError(rule, "create", "app/token", "--rotator", "none");
    assertUsageError(rule, "create", "app/token", "--rotator", "none", "--all-nodes", "--consumer-node", "web-1");
    assertUsageError("--consumers takes KEY=VALUE pairs", "create", "app/token", "--rotator", "none",
        "--consumers", "role");
  }

  @Test
  void create_refusesAValueOnTheCommandLine_withoutEchoingIt() {
    assertUsageError("field 'password': give the value as password=@FILE or password=-", "create", "app/token",
        "--rotator", "none", "--all-nodes", "password=" + VALUE);
    assertUsageError("field argument 1 is not FIELD=@FILE or FIELD=-", "create", "app/token", "--rotator", "none",
        "--all-nodes", VALUE);
    assertUsageError("only one field can read standard input", "create", "app/token", "--rotator", "none",
        "--all-nodes", "user=-", "password=-");
  }

  @Test
  void create_andRotate_refuseABadNameOrDuration_beforeAskingTheController() {
    assertUsageError("Missing required option: '--rotator=KIND'", "create", "app/token", "--all-nodes");
    assertUsageError("'soon' is not a duration", "create", "app/token", "--rotator", "none", "--all-nodes",
        "--every", "soon");
    assertUsageError("invalid secret name 'db//x'", "rotate", "db//x");
    assertUsageError("'forever' is not a duration", "rotate", "app/token", "--wait", "--timeout", "forever");
  }

  @Test
  void validCommands_getAsFarAsTheController_andSayWhatToSet() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("secret", "rotate", "app/token", "--wait")).isEqualTo(1);
    assertThat(octl.err()).contains("set OPENCLUSTER_CLIENT_CERT");
  }

  @Test
  void aRotation_isFinished_whenItsVersionReachedRetire_orIsCurrentWithNoRotation() throws Exception {
    assertThat(SecretRotateCommand.finished(JSON.readTree("{\"rotation\":{\"version\":3,\"step\":\"retire\"}}"), 3)).isTrue();
    assertThat(SecretRotateCommand.finished(JSON.readTree("{\"rotation\":{\"version\":3,\"step\":\"test\"}}"), 3)).isFalse();
    assertThat(SecretRotateCommand.finished(JSON.readTree("{\"rotation\":null,\"versions\":[{\"number\":3,"
        + "\"label\":\"CURRENT\"}]}"), 3)).as("retired since").isTrue();
    assertThat(SecretRotateCommand.finished(JSON.readTree("{\"rotation\":null,\"versions\":[{\"number\":2,"
        + "\"label\":\"CURRENT\"}]}"), 3)).as("rolled back, or not started").isFalse();
    assertThat(SecretRotateCommand.finished(JSON.readTree("{\"rotation\":{\"version\":4,\"step\":\"distribute\"},"
        + "\"versions\":[{\"number\":3,\"label\":\"CURRENT\"}]}"), 3)).as("a newer rotation runs").isFalse();
  }

  @Test
  void aStatus_isShownReadably_withWhoIsBehind_andTheLastFailure() throws Exception {
    JsonNode status = JSON.readTree("""
        {"name":"db/app","rotator":{"kind":"postgresql","parameters":{"role-a":"app_a"},"admin_secret":"db/admin"},
         "fields":["password","username"],"every":"PT720H","consumers":{"labels":{"role":"web"},"nodes":[],"all":false},
         "versions":[{"number":3,"label":"PENDING","created_at":"t3"},{"number":2,"label":"CURRENT","created_at":"t2"}],
         "rotation":{"version":3,"step":"distribute","started_at":"t3","trigger":"operator","attempts":0,
           "retry_at":null,"retire_at":null,"urgent":false},
         "distribution":{"version":3,"expected":3,"acknowledged":1,"behind":["web-2","web-3"],"behind_count":2},
         "last_failure":{"version":2,"step":"test","message":"the login was refused","at":"t1"},
         "next_rotation_at":null,"compromised":[],"published":{"current":2,"pending":3}}""");
    StringWriter out = new StringWriter();
    RotatingSecretView.print(new Output(new PrintWriter(out, true)), status);

    assertThat(out.toString()).contains("postgresql role-a=app_a, admin secret db/admin").contains("role=web")
        .contains("v3 PENDING (t3), v2 CURRENT (t2)").contains("to v3, step distribute (operator")
        .contains("v3: 1/3 acknowledged").contains("2 (web-2, web-3)")
        .contains("v2 at test (t1): the login was refused").contains("PT720H");
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** The body 'secret create ARGS' would send; a usage error fails the test. */
  private JsonNode request(String... args) throws OpsException {
    CliContext context = new CliContext(Map.of(), prompt -> Optional.empty(), new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter()), Clock.systemUTC());
    SecretCreateCommand command = new SecretCreateCommand(context);
    new CommandLine(command).parseArgs(args);
    return JSON.valueToTree(command.request(InputStream.nullInputStream()));
  }

  /** Runs {@code secret ARGS}: a usage error (exit 2) that says {@code message} and shows no value. */
  private static void assertUsageError(String message, String... args) {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run(Stream.concat(Stream.of("secret"), Stream.of(args)).toArray(String[]::new)))
        .as(message + ": " + octl.err()).isEqualTo(2);
    assertThat(octl.err()).contains(message).doesNotContain(VALUE).doesNotContain("OPENCLUSTER_CLIENT_CERT");
  }
}
