package org.opencluster.ops.cli.secret;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.opencluster.ops.cli.OctlRun;
import org.opencluster.ops.cli.Output;

/** The 'secret' noun without a controller: its help, its name checks, and how a secret reads. */
class SecretCommandsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theHelp_listsTheVerbs() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("secret", "--help")).isEqualTo(0);
    assertThat(octl.out()).contains("put", "list", "show", "rm").contains("never");
  }

  @Test
  void theNounAlone_isAUsageErrorNamingTheVerbs() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("secret")).isEqualTo(2);
    assertThat(octl.err()).contains("missing a command: one of put, list, show, rm");
  }

  @Test
  void putHelp_saysWhereValuesComeFrom_andWhatHappensToATrailingNewline() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("secret", "put", "--help")).isEqualTo(0);
    assertThat(octl.out()).contains("FIELD=@FILE", "FIELD=-", "ONE trailing newline", "'ps'");
  }

  @Test
  void showAndRm_refuseAnInvalidName_beforeAskingTheController() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("secret", "show", "DB/orders")).isEqualTo(2);
    assertThat(octl.err()).contains("invalid secret name 'DB/orders'").doesNotContain("OPENCLUSTER_CLIENT_CERT");
    assertThat(octl.run("secret", "rm", "db/../x")).isEqualTo(2);
    assertThat(octl.err()).contains("invalid secret name");
  }

  @Test
  void showRmAndList_withAValidName_getAsFarAsTheController() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("secret", "show", "db/orders")).isEqualTo(1);
    assertThat(octl.err()).contains("set OPENCLUSTER_CLIENT_CERT");
    assertThat(octl.run("secret", "rm", "db/orders")).isEqualTo(1);
    assertThat(octl.run("secret", "list")).isEqualTo(1);
  }

  @Test
  void aSecret_readsAsFieldNamesVersionAndUsers() throws Exception {
    assertThat(print(true).lines()).containsExactly(
        "  name     db/orders",
        "  version  4",
        "  fields   user, password",
        "  used by  db/orders.conf, app/env",
        "  updated  2025-01-02T03:04:05Z");
  }

  @Test
  void aPutsAnswer_leavesOutTheUsers_whichItDoesNotKnow() throws Exception {
    assertThat(print(false)).doesNotContain("used by").contains("fields   user, password");
  }

  private static String print(boolean withUsers) throws Exception {
    StringWriter out = new StringWriter();
    SecretView.print(new Output(new PrintWriter(out)), JSON.readTree("""
        {"name":"db/orders","version":4,"fields":["user","password"],"updatedAt":"2025-01-02T03:04:05Z",
         "usedBy":["db/orders.conf","app/env"]}"""), withUsers);
    return out.toString();
  }

  @Test
  void aSecretNoFileUses_saysSo() throws Exception {
    assertThat(SecretView.usedBy(JSON.readTree("{\"usedBy\":[]}"))).isEqualTo("no file");
  }
}
