package org.opencluster.agent.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Checked in this JVM rather than in a child process: making the test JVM non-dumpable only stops its core
 * dumps and ptrace attach by other users (the tests run as root, whose tools still attach), and a zero core
 * limit only stops core files. Nothing a test needs. Every SecureFiles.create in these tests does it anyway.
 */
class ProcessHardeningTest {

  @Test
  void apply_makesTheProcessNonDumpable_withNoCoreFile() throws Exception {
    ProcessHardening.Result result = ProcessHardening.apply();
    assertThat(result.nonDumpable()).isTrue();
    assertThat(ProcessHardening.isNonDumpable()).as("PR_GET_DUMPABLE").isTrue();
    assertThat(result.coreLimitZero()).isTrue();
    assertThat(Files.readAllLines(Path.of("/proc/self/limits")))
        .anySatisfy(line -> assertThat(line).matches("Max core file size\\s+0\\s+0\\s+bytes\\s*"));
    assertThat(result.hardened()).isTrue();
  }

  @Test
  void apply_reportsEverySwapInProcSwaps_asAProblem() throws Exception {
    List<String> lines = Files.readAllLines(Path.of("/proc/swaps"));
    ProcessHardening.Result result = ProcessHardening.apply();
    assertThat(result.activeSwap()).hasSize(lines.size() - 1);
    if (result.activeSwap().isEmpty()) {
      assertThat(result.problems()).noneMatch(problem -> problem.contains("swap"));
    } else {
      assertThat(result.problems()).anyMatch(problem -> problem.startsWith("swap is active"));
    }
  }

  @Test
  void apply_canBeRepeated() {
    assertThat(ProcessHardening.apply().hardened()).isTrue();
    assertThat(ProcessHardening.apply().hardened()).isTrue();
  }
}
