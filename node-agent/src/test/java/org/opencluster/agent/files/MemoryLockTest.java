package org.opencluster.agent.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A process that may not lock memory: RLIMIT_MEMLOCK 0 ({@code prlimit}) and, since the tests run as root,
 * without CAP_IPC_LOCK ({@code setpriv} drops it from the bounding set, so the JVM it starts never has it).
 * Run as a child JVM so that the test JVM keeps its own limits.
 */
class MemoryLockTest {

  private Path dir;

  @BeforeEach
  void start() throws Exception {
    dir = Deliveries.freshTmpfsDirectory();
  }

  @AfterEach
  void stop() throws Exception {
    Deliveries.deleteRecursively(dir);
  }

  @Test
  void memoryThatCannotBeLocked_failsTheFile_sayingHowToFixIt() throws Exception {
    Path path = dir.resolve("file");

    String output = runWithoutMemoryLocking(path, "on");

    assertThat(output).contains("OUTCOME FAILED could not lock 4096 bytes of memory (RLIMIT_MEMLOCK is 0 KiB")
        .contains("raise the limit").contains("opencluster.agent.files.require-locked-memory = off")
        .contains("LOCKED false CLOSED true").contains("SERVED false");
    assertThat(Files.exists(path)).isFalse();
  }

  @Test
  void memoryThatCannotBeLocked_isServedWithAWarning_whenLockingIsNotRequired() throws Exception {
    Path path = dir.resolve("file");

    String output = runWithoutMemoryLocking(path, "off");

    assertThat(output).contains("OUTCOME APPLIED").contains("said once").contains("LOCKED false")
        .contains("SERVED true");
    assertThat(Files.exists(path)).as("wiped when the child closed its secure files").isFalse();
  }

  private static String runWithoutMemoryLocking(Path path, String requireLocked) throws Exception {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process check = new ProcessBuilder("setpriv", "--bounding-set", "-ipc_lock", "true").start();
    assumeThat(check.waitFor(10, TimeUnit.SECONDS) && check.exitValue() == 0)
        .as("setpriv can drop CAP_IPC_LOCK here").isTrue();
    List<String> command = new ArrayList<>(List.of("setpriv", "--bounding-set", "-ipc_lock", "prlimit",
        "--memlock=0:0", Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classpath,
        OneFileProcess.class.getName(), path.toString(), requireLocked));
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = child.getInputStream().readAllBytes();
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String text = new String(output, StandardCharsets.UTF_8);
    assertThat(child.exitValue()).as(text).isZero();
    return text;
  }
}
