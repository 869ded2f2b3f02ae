package org.opencluster.ops.cli.file;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.opencluster.ops.cli.OctlRun;
import org.opencluster.ops.cli.Output;

/** The 'file' noun without a controller: its help, its name checks, and how metadata reads. */
class FileCommandsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theHelp_listsTheVerbs_andTheRootHelpListsTheNoun() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("file", "--help")).isEqualTo(0);
    assertThat(octl.out()).contains("put", "list", "show", "rm").contains("64 KiB");

    assertThat(octl.run("--help")).isEqualTo(0);
    assertThat(octl.out()).contains("file", "secret");
  }

  @Test
  void theNounAlone_isAUsageErrorNamingTheVerbs() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("file")).isEqualTo(2);
    assertThat(octl.err()).contains("missing a command: one of put, list, show, rm");
  }

  @Test
  void putHelp_explainsEveryOptionAndTheReloadForm() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("file", "put", "--help")).isEqualTo(0);
    assertThat(octl.out()).contains("--from", "--template", "--generate", "--length", "--encoding", "--dns-name",
        "--ip-address", "--ttl", "tls-certificate", "--path",
        "--owner", "--group", "--mode", "--delivery", "--reload", "--selector", "--node", "--all-nodes", "--json",
        "one argument per --reload", "no shell");
  }

  @Test
  void showAndRm_refuseAnInvalidName_beforeAskingTheController() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("file", "show", "db/../etc/shadow")).isEqualTo(2);
    assertThat(octl.err()).contains("invalid file name 'db/../etc/shadow'").doesNotContain("OPENCLUSTER_CLIENT_CERT");
    assertThat(octl.run("file", "rm", "db/")).isEqualTo(2);
    assertThat(octl.err()).contains("invalid file name 'db/'");
  }

  @Test
  void showAndRm_withAValidName_getAsFarAsTheController() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("file", "show", "db/orders.conf")).isEqualTo(1);
    assertThat(octl.err()).contains("set OPENCLUSTER_CLIENT_CERT");
    assertThat(octl.run("file", "rm", "db/orders.conf")).isEqualTo(1);
    assertThat(octl.run("file", "list")).isEqualTo(1);
  }

  @Test
  void metadata_readsAsOneFactALine() throws Exception {
    String text = print("""
        {"name":"db/orders.conf","version":3,"path":"/run/app/db.conf","owner":"app","group":"web","mode":"0440",
         "delivery":"tmpfs","reload":["sh","-c","kill -HUP $(cat /run/app.pid)"],
         "selector":{"nodes":["web-1"],"labels":{"role":"web"},"all":false},
         "source":{"kind":"template","bytes":81,"secrets":["db/orders"]},"updatedAt":"2025-01-02T03:04:05Z"}""");

    assertThat(text.lines()).containsExactly(
        "  name      db/orders.conf",
        "  version   3",
        "  path      /run/app/db.conf",
        "  owner     app:web",
        "  mode      0440",
        "  delivery  tmpfs",
        "  reload    sh -c 'kill -HUP $(cat /run/app.pid)'",
        "  source    template, 81 bytes, secrets db/orders",
        "  selector  nodes web-1; labels role=web",
        "  updated   2025-01-02T03:04:05Z");
  }

  @Test
  void aTlsCertificate_showsItsNamesAndValidity_aFactALine() throws Exception {
    String text = print("""
        {"name":"web/tls.pem","version":1,"path":"/run/nginx/tls.pem","mode":"0400","delivery":"tmpfs","reload":[],
         "selector":{"nodes":[],"labels":{"role":"web"},"all":false},
         "source":{"kind":"generated","generator":"tls-certificate",
                   "dnsNames":["{{ node.name }}.web.acme.example","web.acme.example"],
                   "ipAddresses":["10.0.0.5"],"ttlSeconds":86400}}""");

    assertThat(text.lines()).containsSequence(
        "  source        generated tls-certificate",
        "  dns names     {{ node.name }}.web.acme.example, web.acme.example",
        "  ip addresses  10.0.0.5",
        "  validity      1d, renewed when two thirds of it have passed",
        "  selector      labels role=web");
  }

  @Test
  void aTlsCertificate_showsOnlyWhatTheAnswerGives() throws Exception {
    String text = print("""
        {"name":"web/tls.pem","source":{"kind":"generated","generator":"tls-certificate","dnsNames":["{{ node.name }}"],
         "ipAddresses":[]}}""");

    assertThat(text).contains("dns names  {{ node.name }}").doesNotContain("ip addresses").doesNotContain("validity")
        .doesNotContain("length");
  }

  @Test
  void eachKindOfSource_andSelector_isDescribed() throws Exception {
    assertThat(FileView.source(JSON.readTree("{\"kind\":\"static\",\"bytes\":123}"))).isEqualTo("static, 123 bytes");
    assertThat(FileView.source(JSON.readTree("{\"kind\":\"template\",\"bytes\":9,\"secrets\":[]}")))
        .isEqualTo("template, 9 bytes, no secrets");
    assertThat(FileView.source(JSON.readTree(
        "{\"kind\":\"generated\",\"generator\":\"random-password\",\"length\":32}")))
        .isEqualTo("generated random-password, length 32");
    assertThat(FileView.source(JSON.readTree(
        "{\"kind\":\"generated\",\"generator\":\"random-key\",\"length\":32,\"encoding\":\"hex\"}")))
        .isEqualTo("generated random-key, length 32, hex");
    assertThat(FileView.source(JSON.readTree("{\"kind\":\"generated\",\"generator\":\"tls-certificate\"}")))
        .isEqualTo("generated tls-certificate");
    assertThat(FileView.selector(JSON.readTree("{\"nodes\":[],\"labels\":{},\"all\":true}"))).isEqualTo("all nodes");
    assertThat(FileView.selector(JSON.readTree("{\"nodes\":[\"a\",\"b\"]}"))).isEqualTo("nodes a, b");
    assertThat(FileView.reload(JSON.readTree("[]"))).isEqualTo("none");
    assertThat(FileView.reload(JSON.readTree("[\"echo\",\"it's\"]"))).isEqualTo("echo 'it'\\''s'");
  }

  private static String print(String metadata) throws Exception {
    StringWriter out = new StringWriter();
    FileView.print(new Output(new PrintWriter(out)), JSON.readTree(metadata));
    return out.toString();
  }
}
