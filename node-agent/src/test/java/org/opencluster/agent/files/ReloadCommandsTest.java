package org.opencluster.agent.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.opencluster.agent.files.Deliveries.secret;
import static org.opencluster.agent.files.Deliveries.tmpfs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Reload commands: run once per change, never for an unchanged file, failures and hangs reported. */
class ReloadCommandsTest {

  private Path dir;
  private Path log;
  private SecureFiles files;

  @BeforeEach
  void start() throws Exception {
    dir = Deliveries.freshTmpfsDirectory();
    log = dir.resolve("reload.log");
    files = SecureFiles.create(new FilesSettings(true, Duration.ofSeconds(2)));
  }

  @AfterEach
  void stop() throws Exception {
    files.close();
    Deliveries.deleteRecursively(dir);
  }

  @Test
  void aReload_runsAfterAChange_andNotAfterAnUnchangedDelivery() throws Exception {
    List<String> reload = List.of("/bin/sh", "-c", "echo ran >> " + log);

    assertThat(files.apply(List.of(tmpfs("a", dir.resolve("a"), 0400, secret("v1"), reload)), List.of(), false))
        .singleElement().extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.APPLIED);
    assertThat(Files.readAllLines(log)).containsExactly("ran");

    assertThat(files.apply(List.of(tmpfs("a", dir.resolve("a"), 0400, secret("v1"), reload)), List.of(), false))
        .singleElement().extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.UNCHANGED);
    assertThat(Files.readAllLines(log)).containsExactly("ran");

    files.apply(List.of(tmpfs("a", dir.resolve("a"), 0400, secret("v2"), reload)), List.of(), false);
    assertThat(Files.readAllLines(log)).containsExactly("ran", "ran");
  }

  @Test
  void aReload_seesTheNewFileInPlace() throws Exception {
    Path path = dir.resolve("a");
    List<String> reload = List.of("/bin/sh", "-c", "cat " + path + " > " + log);

    files.apply(List.of(tmpfs("a", path, 0400, secret("new content"), reload)), List.of(), false);

    assertThat(Files.readString(log)).isEqualTo("new content");
  }

  @Test
  void oneCommandSharedByTwoChangedFiles_runsOnce() throws Exception {
    List<String> reload = List.of("/bin/sh", "-c", "echo ran >> " + log);

    files.apply(List.of(tmpfs("a", dir.resolve("a"), 0400, secret("a"), reload),
        tmpfs("b", dir.resolve("b"), 0400, secret("b"), reload)), List.of(), false);

    assertThat(Files.readAllLines(log)).containsExactly("ran");
  }

  @Test
  void aReloadExitingThree_isReloadFailed_withItsExitCode() {
    List<FileOutcome> outcomes = files.apply(List.of(
        tmpfs("a", dir.resolve("a"), 0400, secret("a"), List.of("/bin/sh", "-c", "exit 3"))), List.of(), false);

    assertThat(outcomes).singleElement().satisfies(outcome -> {
      assertThat(outcome.result()).isEqualTo(FileOutcome.Result.RELOAD_FAILED);
      assertThat(outcome.detail()).contains("exit 3");
    });
    assertThat(Files.exists(dir.resolve("a"))).as("the file stays served").isTrue();
  }

  @Test
  void aReloadHangingPastTheTimeout_isKilled_andReported() throws Exception {
    Path pid = dir.resolve("sleep.pid");
    List<String> hang = List.of("/bin/sh", "-c", "sleep 60 & echo $! > " + pid + "; wait");

    long started = System.nanoTime();
    List<FileOutcome> outcomes = files.apply(List.of(tmpfs("a", dir.resolve("a"), 0400, secret("a"), hang)),
        List.of(), false);

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    assertThat(outcomes).singleElement().satisfies(outcome -> {
      assertThat(outcome.result()).isEqualTo(FileOutcome.Result.RELOAD_FAILED);
      assertThat(outcome.detail()).contains("timed out after 2s").contains("killed");
    });
    long sleeper = Long.parseLong(Files.readString(pid).trim());
    await().atMost(Duration.ofSeconds(5))
        .until(() -> ProcessHandle.of(sleeper).map(p -> !p.isAlive()).orElse(true));
  }

  @Test
  void aReloadThatCannotStart_isReloadFailed_sayingWhy() {
    List<FileOutcome> outcomes = files.apply(List.of(
        tmpfs("a", dir.resolve("a"), 0400, secret("a"), List.of("/no/such/program"))), List.of(), false);

    assertThat(outcomes).singleElement().satisfies(outcome -> {
      assertThat(outcome.result()).isEqualTo(FileOutcome.Result.RELOAD_FAILED);
      assertThat(outcome.detail()).contains("/no/such/program").contains("could not start");
    });
  }

  @Test
  void aReloadCommandNamedWithoutAnAbsolutePath_isRefused_andNothingRuns() throws Exception {
    Path log = dir.resolve("searched.log");
    List<FileOutcome> outcomes = files.apply(List.of(
        tmpfs("a", dir.resolve("a"), 0400, secret("a"), List.of("sh", "-c", "echo ran >> " + log))), List.of(), false);

    assertThat(outcomes.get(0).result()).isEqualTo(FileOutcome.Result.FAILED);
    assertThat(outcomes.get(0).detail()).contains("absolute path");
    assertThat(dir.resolve("a")).doesNotExist();
    assertThat(log).doesNotExist();
  }
}
