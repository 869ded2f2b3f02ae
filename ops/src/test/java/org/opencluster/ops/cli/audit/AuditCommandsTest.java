package org.opencluster.ops.cli.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.opencluster.ops.cli.OctlRun;
import org.opencluster.ops.cli.Output;

/**
 * The 'audit' noun without a controller: its help, its refusals before asking, how records and
 * verify results read, and verify's exit code. (The routes behind it run in AuditApiIT.)
 */
class AuditCommandsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theHelp_listsTheVerbs_andTheRootHelpListsTheNoun() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("audit", "--help")).isEqualTo(0);
    assertThat(octl.out()).contains("list", "verify", "hash-chained");
    assertThat(octl.run("audit", "list", "--help")).isEqualTo(0);
    assertThat(octl.out()).contains("--since", "--actor", "--action", "--limit", "--after", "--json");
    assertThat(octl.run("--help")).isEqualTo(0);
    assertThat(octl.out()).contains("audit");
  }

  @Test
  void aMalformedAnchor_isAUsageError_beforeAskingTheController() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("audit", "verify", "--anchor", "12")).isEqualTo(2);
    assertThat(octl.err()).contains("--anchor must be SEQ:HASH").doesNotContain("OPENCLUSTER_CLIENT_CERT");
    assertThat(octl.run("audit", "list", "--since", "yesterday")).isEqualTo(2);
  }

  @Test
  void withoutAnOperatorCertificate_saysWhichVariableToSet() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("audit", "list")).isEqualTo(1);
    assertThat(octl.err()).contains("set OPENCLUSTER_CLIENT_CERT");
    assertThat(octl.run("audit", "verify", "--anchor", "3:" + "ab".repeat(32))).isEqualTo(1);
    assertThat(octl.err()).contains("set OPENCLUSTER_CLIENT_CERT");
  }

  @Test
  void records_readAsRows_withUnreadableOnesAndTheNextPageNamed() throws Exception {
    String text = print(AuditListCommand::print, """
        {"records":[{"seq":7,"at":"2025-03-01T10:00:00Z","controller":"ctl-1","actor":"operator/alice",
          "action":"api.post","target":"/v1/nodes","outcome":"201","detail":"role admin"}],
         "unreadable":[9],"next":9}""");
    assertThat(text.lines()).containsExactly(
        "  SEQ  AT                    ACTOR           ACTION    TARGET     OUTCOME  DETAIL",
        "  7    2025-03-01T10:00:00Z  operator/alice  api.post  /v1/nodes  201      role admin",
        "Records 9 do not authenticate: run 'opencluster audit verify'.",
        "More may follow: add --after 9.");
  }

  @Test
  void anIntactLog_printsTheHeadToKeep_andExitsZero() throws Exception {
    JsonNode intact = JSON.readTree("{\"intact\":true,\"records\":12,\"anchor\":\"12:" + "0f".repeat(32)
        + "\",\"problems\":[]}");
    assertThat(print(AuditVerifyCommand::print, intact.toString())).contains("intact: 12 records, head 12:0f0f")
        .contains("--anchor 12:0f0f");
    assertThat(AuditVerifyCommand.exitCode(intact)).isEqualTo(0);
  }

  @Test
  void aBrokenLog_namesTheFirstRecord_andExitsOne() throws Exception {
    JsonNode broken = JSON.readTree("""
        {"intact":false,"records":9,"anchor":"10:00","problems":[
          {"seq":4,"kind":"removed","detail":"record 4 was removed"},
          {"seq":7,"kind":"altered","detail":"record 7 does not authenticate"}]}""");
    assertThat(print(AuditVerifyCommand::print, broken.toString()).lines().findFirst())
        .hasValue("The audit log is NOT intact. First: record 4 removed: record 4 was removed");
    assertThat(AuditVerifyCommand.exitCode(broken)).isEqualTo(1);
    assertThat(AuditVerifyCommand.exitCode(JSON.readTree("{}"))).as("no answer is no proof").isEqualTo(1);
  }

  private static String print(BiConsumer<Output, JsonNode> printer, String result) throws Exception {
    StringWriter out = new StringWriter();
    printer.accept(new Output(new PrintWriter(out)), JSON.readTree(result));
    return out.toString();
  }
}
