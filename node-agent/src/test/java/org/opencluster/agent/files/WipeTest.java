package org.opencluster.agent.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.opencluster.agent.files.Deliveries.fifo;
import static org.opencluster.agent.files.Deliveries.secret;
import static org.opencluster.agent.files.Deliveries.tmpfs;

import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** wipeAll: every file overwritten and gone, every pipe gone, all memory zeroed, within a second. */
class WipeTest {

  private Path dir;
  private SecureFiles files;

  @BeforeEach
  void start() throws Exception {
    dir = Deliveries.freshTmpfsDirectory();
    files = SecureFiles.create(new FilesSettings(true, Duration.ofSeconds(5)));
  }

  @AfterEach
  void stop() throws Exception {
    files.close();
    Deliveries.deleteRecursively(dir);
  }

  @Test
  void wipeAll_overwritesAndRemovesDozensOfFilesAndPipes_zeroesTheirMemory_withinOneSecond() throws Exception {
    List<Delivery> deliveries = new ArrayList<>();
    List<LockedSecret> contents = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      LockedSecret content = secret("file secret " + i + " " + "z".repeat(4096));
      contents.add(content);
      deliveries.add(tmpfs("file-" + i, dir.resolve("file-" + i), content));
    }
    for (int i = 0; i < 10; i++) {
      LockedSecret content = secret("pipe secret " + i);
      contents.add(content);
      deliveries.add(fifo("pipe-" + i, dir.resolve("pipe-" + i), content));
    }
    assertThat(files.apply(deliveries, List.of(), false)).allMatch(o -> o.result() == FileOutcome.Result.APPLIED);
    List<ServedPipe> pipes = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      pipes.add((ServedPipe) files.servedFile("pipe-" + i));
    }
    long size = Files.size(dir.resolve("file-0"));

    try (SeekableByteChannel heldOpen = Files.newByteChannel(dir.resolve("file-0"))) {
      long started = System.nanoTime();
      files.wipeAll();
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      assertThat(took).isLessThan(Duration.ofSeconds(1));
      ByteBuffer read = ByteBuffer.allocate((int) size);
      while (read.hasRemaining() && heldOpen.read(read) > 0) {
        // read what a process holding the file open would still see
      }
      assertThat(read.position()).isEqualTo(size);
      assertThat(read.array()).as("overwritten with zeros").containsOnly(0);
    }
    try (var left = Files.list(dir)) {
      assertThat(left).isEmpty();
    }
    assertThat(files.served()).isZero();
    assertThat(contents).allSatisfy(content -> assertThat(content.wasZeroed()).isTrue());
    assertThat(pipes).allSatisfy(pipe -> assertThat(pipe.hasEnded()).isTrue());
  }

  @Test
  void wipeAll_isIdempotent() throws Exception {
    files.apply(List.of(tmpfs("a", dir.resolve("a"), secret("a"))), List.of(), false);

    files.wipeAll();
    files.wipeAll();

    assertThat(Files.exists(dir.resolve("a"))).isFalse();
    assertThat(files.served()).isZero();
  }

  @Test
  void wipeAll_fromManyThreadsAtOnce_wipesOnce_andCleanly() throws Exception {
    for (int i = 0; i < 10; i++) {
      files.apply(List.of(tmpfs("f" + i, dir.resolve("f" + i), secret("s" + i)),
          fifo("p" + i, dir.resolve("p" + i), secret("p" + i))), List.of(), false);
    }
    List<CompletableFuture<Void>> wipes = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      wipes.add(CompletableFuture.runAsync(files::wipeAll));
    }
    CompletableFuture.allOf(wipes.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);

    try (var left = Files.list(dir)) {
      assertThat(left).isEmpty();
    }
    assertThat(files.served()).isZero();
  }

  @Test
  void wipeAll_doesNotWaitForARunningReload() throws Exception {
    Path started = dir.resolve("reload-started");
    Path file = dir.resolve("a");
    List<String> slowReload = List.of("/bin/sh", "-c", "touch " + started + "; sleep 30");
    CompletableFuture<List<FileOutcome>> applying = CompletableFuture.supplyAsync(() -> files.apply(
        List.of(tmpfs("a", file, 0400, secret("a"), slowReload)), List.of(), false));
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(started));

    long wipeStarted = System.nanoTime();
    files.wipeAll();

    assertThat(Duration.ofNanos(System.nanoTime() - wipeStarted)).isLessThan(Duration.ofSeconds(1));
    assertThat(Files.exists(file, NOFOLLOW_LINKS)).isFalse();
    assertThat(applying.get(20, TimeUnit.SECONDS)).singleElement()
        .satisfies(outcome -> assertThat(outcome.detail()).contains("timed out"))
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.RELOAD_FAILED);
  }
}
