package org.opencluster.protocol.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No private key is committed: every key a test or the dev mode uses is made at run time. Reads
 * every file git tracks in this checkout (not a developer's local bundles or build output) for a
 * PEM private-key header line.
 */
class NoCommittedPrivateKeyTest {

  /** Assembled, so this file does not hold the line it looks for. */
  private static final Pattern ARMOUR = Pattern.compile("-----" + "BEGIN ([A-Z0-9 ]+ )?PRIVATE" + " KEY-----");

  @Test
  void noTrackedFile_holdsAPrivateKey() throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent();
    Process git = new ProcessBuilder("git", "ls-files", "-z").directory(root.toFile()).start();
    byte[] listing = git.getInputStream().readAllBytes();
    assertThat(git.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(git.exitValue()).as("git ls-files in " + root).isZero();
    List<Path> holding = new ArrayList<>();
    int tracked = 0;
    for (String name : new String(listing, StandardCharsets.UTF_8).split("\0")) {
      Path file = root.resolve(name);
      if (!name.isEmpty() && Files.isRegularFile(file)) {
        tracked++;
        if (ARMOUR.matcher(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)).find()) {
          holding.add(Path.of(name));
        }
      }
    }
    assertThat(tracked).as("the checkout's tracked files were read").isGreaterThan(100);
    assertThat(holding).as("tracked files holding a private key; make keys at run time instead").isEmpty();
  }
}
