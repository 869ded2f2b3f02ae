package org.opencluster.ops.cli.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.ops.cli.OctlRun;
import org.opencluster.protocol.testing.FreePorts;

/**
 * The operator verbs' refusals that need no controller: each says what to set or do. (Against a
 * real controller they run in ControllerProcessIT.)
 */
class OperatorCommandsTest {

  @TempDir
  Path tmp;

  @Test
  void withoutAnOperatorCertificate_saysWhichVariableToSet() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("operator", "seal-status")).isEqualTo(1);
    assertThat(octl.err()).contains("set OPENCLUSTER_CLIENT_CERT").contains("opencluster ca issue operator");
  }

  @Test
  void aPlainHttpAddress_isRefused() throws Exception {
    OctlRun octl = operator();
    assertThat(octl.run("operator", "seal-status", "--address", "http://127.0.0.1:8443")).isEqualTo(1);
    assertThat(octl.err()).contains("must be an https:// URL");
  }

  @Test
  void anAbsentController_isReportedAsUnreachable() throws Exception {
    int port = closedPort();
    OctlRun octl = operator();
    assertThat(octl.run("operator", "seal-status", "--address", "https://127.0.0.1:" + port)).isEqualTo(1);
    assertThat(octl.err()).contains("cannot reach the controller");
  }

  @Test
  void init_refusesAnOutputDirectoryThatHoldsAnything_beforeAskingTheController() throws Exception {
    Path out = Files.createDirectory(tmp.resolve("shares"));
    Files.writeString(out.resolve("keep"), "x");
    OctlRun octl = operator();
    assertThat(octl.run("operator", "init", "--out", out.toString(), "--address", "https://127.0.0.1:1")).isEqualTo(1);
    assertThat(octl.err()).contains("is not empty").doesNotContain("cannot reach");
  }

  @Test
  void unseal_withoutAShareFileOrTerminal_saysHowToGiveOne() throws Exception {
    OctlRun octl = operator();
    assertThat(octl.run("operator", "unseal", "--address", "https://127.0.0.1:1")).isEqualTo(1);
    assertThat(octl.err()).contains("--share-file");
  }

  @Test
  void importServiceCa_fromACaDirectoryWithoutOne_saysHowToMakeIt() throws Exception {
    OctlRun octl = operator().variable("OPENCLUSTER_SERVICE_CA_PASSPHRASE", OctlRun.SERVICE_PASSPHRASE);
    assertThat(octl.run("operator", "import-service-ca", "--dir", tmp.resolve("ca").toString(), "--address",
        "https://127.0.0.1:1")).isEqualTo(1);
    assertThat(octl.err()).contains("holds no service CA; create one with 'opencluster ca create-service-ca --dir")
        .doesNotContain("cannot reach");
  }

  @Test
  void importServiceCa_withTheWrongPassphrase_failsBeforeAskingTheController() throws Exception {
    OctlRun octl = operator().variable("OPENCLUSTER_SERVICE_CA_PASSPHRASE", "not the right passphrase");
    createServiceCa(tmp.resolve("ca"));
    assertThat(octl.run("operator", "import-service-ca", "--dir", tmp.resolve("ca").toString(), "--address",
        "https://127.0.0.1:1")).isEqualTo(1);
    assertThat(octl.err()).contains("wrong passphrase").doesNotContain("cannot reach");
  }

  @Test
  void importServiceCa_withoutAPassphraseOrTerminal_saysHowToGiveOne() throws Exception {
    OctlRun octl = operator();
    createServiceCa(tmp.resolve("ca"));
    assertThat(octl.run("operator", "import-service-ca", "--dir", tmp.resolve("ca").toString())).isEqualTo(1);
    assertThat(octl.err()).contains("set OPENCLUSTER_SERVICE_CA_PASSPHRASE or run in a terminal");
  }

  @Test
  void importServiceCa_ofAKeyThatIsNotTheCertificates_isRefused() throws Exception {
    OctlRun octl = operator().variable("OPENCLUSTER_SERVICE_CA_PASSPHRASE", OctlRun.SERVICE_PASSPHRASE);
    Path ca = tmp.resolve("ca");
    createServiceCa(ca);
    Path other = tmp.resolve("other");
    OctlRun.withPassphrase().run("ca", "init", "--dir", other.toString());
    createServiceCa(other);
    Files.copy(other.resolve("service-ca.key"), ca.resolve("service-ca.key"), StandardCopyOption.REPLACE_EXISTING);
    assertThat(octl.run("operator", "import-service-ca", "--dir", ca.toString(), "--address", "https://127.0.0.1:1"))
        .isEqualTo(1);
    assertThat(octl.err()).contains("service-ca.key is not the key of").contains("--replace")
        .doesNotContain("cannot reach");
  }

  @Test
  void importServiceCa_withItsCaAndPassphrase_getsAsFarAsTheController() throws Exception {
    int port = closedPort();
    OctlRun octl = operator().variable("OPENCLUSTER_SERVICE_CA_PASSPHRASE", OctlRun.SERVICE_PASSPHRASE);
    createServiceCa(tmp.resolve("ca"));
    assertThat(octl.run("operator", "import-service-ca", "--dir", tmp.resolve("ca").toString(), "--address",
        "https://127.0.0.1:" + port)).isEqualTo(1);
    assertThat(octl.err()).contains("cannot reach the controller");
  }

  @Test
  void theHelp_namesBothCaImports() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("operator", "--help")).isZero();
    assertThat(octl.out()).contains("import-agent-ca", "import-service-ca");
  }

  /** A port nothing listens on (it was free a moment ago). */
  private static int closedPort() {
    return FreePorts.loopback();
  }

  private static void createServiceCa(Path ca) {
    assertThat(OctlRun.withPassphrase().run("ca", "create-service-ca", "--dir", ca.toString())).isZero();
  }

  /** An operator identity from a CA made here, through the real ca verbs. */
  private OctlRun operator() {
    Path ca = tmp.resolve("ca");
    OctlRun.withPassphrase().run("ca", "init", "--dir", ca.toString());
    OctlRun.withPassphrase().run("ca", "issue", "operator", "alice", "--role", "admin", "--dir", ca.toString(),
        "--out", tmp.resolve("alice").toString());
    return OctlRun.withoutPassphrase()
        .variable("OPENCLUSTER_CLIENT_CERT", tmp.resolve("alice/cert.pem").toString())
        .variable("OPENCLUSTER_CLIENT_KEY", tmp.resolve("alice/key.pem").toString())
        .variable("OPENCLUSTER_CACERT", tmp.resolve("alice/ca.pem").toString());
  }
}
