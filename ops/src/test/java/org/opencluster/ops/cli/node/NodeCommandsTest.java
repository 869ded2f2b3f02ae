package org.opencluster.ops.cli.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.OctlRun;
import org.opencluster.ops.cli.Output;
import picocli.CommandLine;

/** The 'node' verbs without a controller: help, usage errors (exit 2), what they ask and how they print. */
class NodeCommandsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theHelp_listsEveryVerb() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("node", "--help")).isEqualTo(0);
    assertThat(octl.out()).contains("register", "list", "status", "show", "quarantine", "release", "retire");
    assertThat(octl.run("node", "list", "--help")).isEqualTo(0);
    assertThat(octl.out()).contains("--state", "--label", "--name-prefix", "--limit", "--all", "--after", "--json");
  }

  @Test
  void theNounAlone_isAUsageErrorNamingTheVerbs() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("node")).isEqualTo(2);
    assertThat(octl.err()).contains("missing a command: one of register, list, status, show, quarantine, release, retire");
  }

  @Test
  void listFilters_thatCannotMatch_areUsageErrors_beforeAskingTheController() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("node", "list", "--state", "sleeping")).isEqualTo(2);
    assertThat(octl.err()).contains("--state must be registered, active, quarantined, expired or retired")
        .doesNotContain("OPENCLUSTER_CLIENT_CERT");
    assertThat(octl.run("node", "list", "--label", "tier")).isEqualTo(2);
    assertThat(octl.err()).contains("--label must be KEY=VALUE");
    assertThat(octl.run("node", "list", "--label", "=web")).isEqualTo(2);
    assertThat(octl.run("node", "list", "--limit", "0")).isEqualTo(2);
    assertThat(octl.run("node", "list", "--limit", "1001")).isEqualTo(2);
    assertThat(octl.err()).contains("--limit must be from 1 to 1000");
    assertThat(octl.run("node", "list", "--limit", "ten")).isEqualTo(2);
  }

  @Test
  void theVerbs_refuseAnInvalidId_andAQuarantineWithoutAReason() {
    OctlRun octl = OctlRun.withoutPassphrase();
    for (String verb : List.of("show", "status", "release", "retire")) {
      assertThat(octl.run("node", verb, "Web 1")).as(verb).isEqualTo(2);
      assertThat(octl.err()).contains("invalid node id 'Web 1'");
    }
    assertThat(octl.run("node", "quarantine", "Web 1", "--reason", "x")).isEqualTo(2);
    assertThat(octl.run("node", "quarantine", "web-1")).isEqualTo(2);
    assertThat(octl.err()).contains("--reason");
  }

  @Test
  void validCommands_getAsFarAsTheController_andSayWhatToSet() {
    OctlRun octl = OctlRun.withoutPassphrase();
    for (String[] args : List.of(new String[] {"node", "list", "--state", "active", "--label", "tier=web", "--all"},
        new String[] {"node", "show", "web-1"}, new String[] {"node", "quarantine", "web-1", "--reason", "odd"},
        new String[] {"node", "release", "web-1"}, new String[] {"node", "retire", "web-1"})) {
      assertThat(octl.run(args)).as(String.join(" ", args)).isEqualTo(1);
      assertThat(octl.err()).contains("set OPENCLUSTER_CLIENT_CERT");
    }
  }

  @Test
  void theListPath_carriesEachFilter_encoded() {
    NodeListCommand list = parsed("--state", "quarantined", "--label", "tier=web", "--label", "team/a=b-1",
        "--name-prefix", "db-", "--limit", "50", "--after", "bjE6bi0x");
    assertThat(list.path()).isEqualTo("/v1/nodes?state=quarantined&label=tier%3Dweb&label=team%2Fa%3Db-1"
        + "&name-prefix=db-&limit=50&after=bjE6bi0x");
    assertThat(parsed().path()).isEqualTo("/v1/nodes");
  }

  @Test
  void all_followsTheCursors_untilAPageHasNoNext() throws Exception {
    Map<String, String> answers = Map.of(
        "/v1/nodes?state=active&limit=2", "{\"nodes\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"next\":\"c1\"}",
        "/v1/nodes?state=active&limit=2&after=c1", "{\"nodes\":[{\"id\":\"c\"},{\"id\":\"d\"}],\"next\":\"c2\"}",
        "/v1/nodes?state=active&limit=2&after=c2", "{\"nodes\":[{\"id\":\"e\"}]}");
    List<String> asked = new ArrayList<>();
    JsonNode all = NodeListCommand.everyPage(path -> {
      asked.add(path);
      try {
        return JSON.readTree(answers.getOrDefault(path, "unexpected"));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new OpsException("asked for an unexpected page: " + path, e);
      }
    }, "/v1/nodes?state=active&limit=2");
    assertThat(all.path("nodes").findValuesAsText("id")).containsExactly("a", "b", "c", "d", "e");
    assertThat(all.has("next")).isFalse();
    assertThat(asked).hasSize(3);
  }

  @Test
  void theTable_showsOneNodeALine_withItsStageAndLabels() throws Exception {
    JsonNode nodes = JSON.readTree("""
        [{"id":"web-1","name":"web-1","labels":{"tier":"web","zone":"a"},"stage":"quarantined",
          "quarantineReason":"operator","lifetimeEndsAt":"2026-01-01T00:00:00Z","lastHeartbeatBucket":"2025-06-01T10:00:00Z"},
         {"id":"db-10","name":"db","labels":{},"stage":"registered","lifetimeEndsAt":"2026-02-01T00:00:00Z"}]""");
    StringWriter out = new StringWriter();
    new Output(new PrintWriter(out)).rows(NodeListCommand.table(nodes));
    assertThat(out.toString().lines()).containsExactly(
        "  ID     NAME   STAGE                   LABELS           LIFETIME ENDS         LAST HEARTBEAT",
        "  web-1  web-1  quarantined (operator)  tier=web,zone=a  2026-01-01T00:00:00Z  2025-06-01T10:00:00Z",
        "  db-10  db     registered              -                2026-02-01T00:00:00Z  -");
  }

  private static NodeListCommand parsed(String... args) {
    CliContext context = new CliContext(Map.of(), text -> java.util.Optional.empty(), new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter()), Clock.systemUTC());
    NodeListCommand command = new NodeListCommand(context);
    new CommandLine(command).parseArgs(args);
    return command;
  }
}
