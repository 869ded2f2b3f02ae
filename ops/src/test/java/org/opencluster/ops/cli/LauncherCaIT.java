package org.opencluster.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/opencluster ca ...} as an operator runs it: real processes, the built jar, the
 * passphrase from the environment; what it issues is checked by OpenSSL, not by the project.
 */
class LauncherCaIT {

  private static final String PASSPHRASE = "correct horse battery staple";
  private static final String AGENT_PASSPHRASE = "another long agent passphrase";
  private static final Path LAUNCHER = Path.of(System.getProperty("opencluster.home", "..")).toAbsolutePath().normalize()
      .resolve("bin/opencluster");

  @TempDir
  static Path tmp;

  private static Path ca;

  @BeforeAll
  static void initCa() throws Exception {
    assertThat(LAUNCHER).isExecutable();
    ca = tmp.resolve("ca");
    Result init = opencluster("ca", "init", "--dir", ca.toString(), "--cluster-name", "it-cluster");
    assertThat(init.code()).as(init.err()).isZero();
  }

  @Test
  void issuedControllerCertificate_isAcceptedByOpensslVerify() throws Exception {
    Path out = tmp.resolve("ctl-1");
    Result issue = opencluster("ca", "issue", "controller", "ctl-1", "--dir", ca.toString(), "--out", out.toString(),
        "--san-dns", "localhost", "--san-ip", "127.0.0.1");
    assertThat(issue.code()).as(issue.err()).isZero();
    Result verify = run(Map.of(), "openssl", "verify", "-CAfile", ca.resolve("root-ca.pem").toString(),
        out.resolve("cert.pem").toString());
    assertThat(verify.out()).contains(out.resolve("cert.pem") + ": OK");
    Result purpose = run(Map.of(), "openssl", "verify", "-purpose", "sslserver", "-CAfile", out.resolve("ca.pem").toString(),
        out.resolve("cert.pem").toString());
    assertThat(purpose.code()).as(purpose.out() + purpose.err()).isZero();
  }

  @Test
  void issuedOperatorCertificate_isAcceptedByOpensslForClientsOnly() throws Exception {
    Path out = tmp.resolve("alice");
    Result issue = opencluster("ca", "issue", "operator", "alice", "--role", "admin", "--dir", ca.toString(), "--out", out.toString());
    assertThat(issue.code()).as(issue.err()).isZero();
    String caFile = out.resolve("ca.pem").toString();
    String cert = out.resolve("cert.pem").toString();
    assertThat(run(Map.of(), "openssl", "verify", "-purpose", "sslclient", "-CAfile", caFile, cert).code()).isZero();
    assertThat(run(Map.of(), "openssl", "verify", "-purpose", "sslserver", "-CAfile", caFile, cert).code()).isNotZero();
  }

  @Test
  void agentCa_isAcceptedByOpensslUnderTheRoot() throws Exception {
    Result verify = run(Map.of(), "openssl", "verify", "-CAfile", ca.resolve("root-ca.pem").toString(),
        ca.resolve("agent-ca.pem").toString());
    assertThat(verify.code()).as(verify.out() + verify.err()).isZero();
  }

  @Test
  void encryptedCaKey_opensWithOpensslAndThePassphraseOnly() throws Exception {
    String key = ca.resolve("root-ca.key").toString();
    Result right = run(Map.of("PASS", PASSPHRASE), "openssl", "pkey", "-in", key, "-passin", "env:PASS", "-noout");
    assertThat(right.code()).as(right.err()).isZero();
    Result wrong = run(Map.of("PASS", "not the passphrase"), "openssl", "pkey", "-in", key, "-passin", "env:PASS", "-noout");
    assertThat(wrong.code()).isNotZero();
  }

  @Test
  void issuedKey_matchesItsCertificate() throws Exception {
    Path out = tmp.resolve("ctl-2");
    assertThat(opencluster("ca", "issue", "controller", "ctl-2", "--dir", ca.toString(), "--out", out.toString(),
        "--san-ip", "127.0.0.1").code()).isZero();
    String fromKey = run(Map.of(), "openssl", "pkey", "-in", out.resolve("key.pem").toString(), "-pubout").out();
    String fromCert = run(Map.of(), "openssl", "x509", "-in", out.resolve("cert.pem").toString(), "-pubkey", "-noout").out();
    assertThat(fromKey).startsWith("-----BEGIN PUBLIC KEY-----").isEqualTo(fromCert);
  }

  @Test
  void show_printsTheCaThroughTheLauncher() throws Exception {
    Result show = opencluster("ca", "show", "--dir", ca.toString());
    assertThat(show.code()).isZero();
    assertThat(show.out()).contains("opencluster://ca/root", "CN=OpenCluster root CA,O=it-cluster");
  }

  @Test
  void exitCodes_areZeroOneTwo() throws Exception {
    assertThat(opencluster("--help").code()).isZero();
    assertThat(opencluster().code()).isEqualTo(2);
    assertThat(opencluster("ca", "issue", "controller", "UPPER", "--dir", ca.toString(), "--out", tmp.resolve("x").toString())
        .code()).isEqualTo(2);
    Result wrongPassphrase = run(Map.of("OPENCLUSTER_CA_PASSPHRASE", "wrong passphrase!!"), LAUNCHER.toString(),
        "ca", "issue", "controller", "c", "--dir", ca.toString(), "--out", tmp.resolve("y").toString());
    assertThat(wrongPassphrase.code()).isEqualTo(1);
    assertThat(wrongPassphrase.err()).contains("wrong passphrase");
    assertThat(tmp.resolve("y")).doesNotExist();
  }

  private static Result opencluster(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(LAUNCHER.toString());
    command.addAll(List.of(args));
    return run(Map.of("OPENCLUSTER_CA_PASSPHRASE", PASSPHRASE, "OPENCLUSTER_AGENT_CA_PASSPHRASE", AGENT_PASSPHRASE),
        command.toArray(String[]::new));
  }

  private static Result run(Map<String, String> environment, String... command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(tmp.toFile());
    builder.environment().remove("OPENCLUSTER_CA_PASSPHRASE");
    builder.environment().remove("OPENCLUSTER_AGENT_CA_PASSPHRASE");
    builder.environment().putAll(environment);
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("timed out: " + String.join(" ", command));
    }
    return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }

  private record Result(int code, String out, String err) {}
}
