package org.opencluster.ops.cli.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.ops.cli.OctlRun;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.testing.FreePorts;

/**
 * What 'opencluster dev' does to its directory before any controller answers: here the
 * "controller" is a script that exits at once, so each run stops after the files are made. (With a
 * real controller it runs in DevCommandIT.)
 */
class DevCommandTest {

  private static final String SERVICE_VARIABLE = "OPENCLUSTER_SERVICE_CA_PASSPHRASE";

  @TempDir
  Path tmp;

  @Test
  void theFirstRun_makesAServiceCa_underAPassphraseKeptWithTheOthers() throws Exception {
    Path dev = tmp.resolve("dev");

    OctlRun octl = runDev(dev);

    assertThat(octl.err()).contains("stopped with exit code 3");
    Map<String, String> passphrases = passphrases(dev);
    assertThat(passphrases).containsKeys("OPENCLUSTER_CA_PASSPHRASE", "OPENCLUSTER_AGENT_CA_PASSPHRASE", SERVICE_VARIABLE);
    assertThat(passphrases.values()).doesNotHaveDuplicates();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dev.resolve("ca-passphrases.env"))))
        .isEqualTo("rw-------");
    assertServiceKeyOpensWith(dev, passphrases.get(SERVICE_VARIABLE));
  }

  @Test
  void aDevClusterMadeBeforeTheServiceCa_getsOneAtItsNextRun_andKeepsItAfterwards() throws Exception {
    Path dev = tmp.resolve("dev");
    runDev(dev);
    Files.delete(dev.resolve("ca/service-ca.pem"));
    Files.delete(dev.resolve("ca/service-ca.key"));
    Path passphrasesFile = dev.resolve("ca-passphrases.env");
    Files.write(passphrasesFile, Files.readAllLines(passphrasesFile).stream()
        .filter(line -> !line.startsWith(SERVICE_VARIABLE)).toList());

    runDev(dev);

    String passphrase = passphrases(dev).get(SERVICE_VARIABLE);
    assertThat(passphrase).isNotNull();
    assertServiceKeyOpensWith(dev, passphrase);
    byte[] certificate = Files.readAllBytes(dev.resolve("ca/service-ca.pem"));

    runDev(dev);

    assertThat(Files.readAllBytes(dev.resolve("ca/service-ca.pem"))).as("the same service CA").isEqualTo(certificate);
    assertThat(passphrases(dev).get(SERVICE_VARIABLE)).isEqualTo(passphrase);
  }

  @Test
  void aServiceKeyLeftByARunCutShort_isReplaced() throws Exception {
    Path dev = tmp.resolve("dev");
    runDev(dev);
    Files.delete(dev.resolve("ca/service-ca.pem"));

    runDev(dev);

    assertServiceKeyOpensWith(dev, passphrases(dev).get(SERVICE_VARIABLE));
  }

  /** Runs 'dev' on {@code dev} with a launcher whose controller exits at once with code 3. */
  private OctlRun runDev(Path dev) throws IOException {
    Path home = tmp.resolve("home");
    if (!Files.exists(home)) {
      Files.createDirectories(home.resolve("bin"));
      Files.writeString(home.resolve("bin/opencluster"), "#!/bin/sh\nexit 3\n");
      Files.setPosixFilePermissions(home.resolve("bin/opencluster"), PosixFilePermissions.fromString("rwx------"));
    }
    OctlRun octl = OctlRun.withoutPassphrase().variable("OPENCLUSTER_HOME", home.toString());
    List<String> args = List.of("dev", "--dir", dev.toString(), "--api-port", freePort(), "--health-port", freePort(),
        "--cluster-port", freePort(), "--edge-port", freePort());
    assertThat(octl.run(args.toArray(String[]::new))).as(octl::err).isEqualTo(1);
    return octl;
  }

  private static Map<String, String> passphrases(Path dev) throws IOException {
    return Files.readAllLines(dev.resolve("ca-passphrases.env"), StandardCharsets.UTF_8).stream()
        .filter(line -> !line.startsWith("#") && line.contains("="))
        .collect(Collectors.toMap(line -> line.substring(0, line.indexOf('=')),
            line -> line.substring(line.indexOf('=') + 1)));
  }

  private static void assertServiceKeyOpensWith(Path dev, String passphrase) throws Exception {
    assertThat(Pem.decodeEncryptedPrivateKey(Files.readString(dev.resolve("ca/service-ca.key")),
        passphrase.toCharArray())).isNotNull();
    assertThat(OctlRun.withoutPassphrase().run("ca", "show", "--dir", dev.resolve("ca").toString())).isZero();
  }

  private static String freePort() {
    return Integer.toString(FreePorts.loopback());
  }
}
