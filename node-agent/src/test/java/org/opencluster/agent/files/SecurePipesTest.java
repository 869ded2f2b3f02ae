package org.opencluster.agent.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.opencluster.agent.files.Deliveries.fifo;
import static org.opencluster.agent.files.Deliveries.secret;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Secure files as named pipes, read by separate processes. */
class SecurePipesTest {

  private Path dir;
  private SecureFiles files;

  @BeforeEach
  void start() throws Exception {
    dir = Deliveries.freshTmpfsDirectory();
    files = SecureFiles.create(new FilesSettings(true, Duration.ofSeconds(10)));
  }

  @AfterEach
  void stop() throws Exception {
    files.close();
    Deliveries.deleteRecursively(dir);
  }

  @Test
  void aPipe_givesEachReaderTheWholeContent_twiceInARow() throws Exception {
    Path pipe = dir.resolve("db.pass");

    assertThat(files.apply(List.of(fifo("db", pipe, secret("s3cret"))), List.of(), false)).singleElement()
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.APPLIED);

    assertThat(cat(pipe)).isEqualTo("s3cret");
    assertThat(cat(pipe)).isEqualTo("s3cret");
  }

  @Test
  void twentyReadersInARow_eachGetTheContentExactlyOnce() throws Exception {
    Path pipe = dir.resolve("db.pass");
    files.apply(List.of(fifo("db", pipe, secret("s3cret"))), List.of(), false);

    for (int i = 0; i < 20; i++) {
      assertThat(cat(pipe)).as("reader %d", i).isEqualTo("s3cret");
    }
  }

  @Test
  void aPipe_hasItsOwnerGroupAndMode() throws Exception {
    Path pipe = dir.resolve("db.pass");

    files.apply(List.of(fifo("db", pipe, secret("s3cret"))), List.of(), false);

    PosixFileAttributes attributes = Files.readAttributes(pipe, PosixFileAttributes.class, NOFOLLOW_LINKS);
    assertThat(attributes.isOther()).as("a FIFO").isTrue();
    assertThat(attributes.owner().getName()).isIn(Deliveries.nobody(), "65534");
    assertThat(PosixFilePermissions.toString(attributes.permissions())).isEqualTo("r--r-----");
    assertThat(Files.list(dir)).as("no temporary pipe left").containsExactly(pipe);
  }

  @Test
  void afterAnUpdate_aNewReaderGetsTheNewContent_fromTheSamePipe() throws Exception {
    Path pipe = dir.resolve("token");
    files.apply(List.of(fifo("token", pipe, secret("old token"))), List.of(), false);
    assertThat(cat(pipe)).isEqualTo("old token");
    Object inode = Files.readAttributes(pipe, PosixFileAttributes.class, NOFOLLOW_LINKS).fileKey();
    LockedSecret old = files.servedFile("token").content();

    assertThat(files.apply(List.of(fifo("token", pipe, secret("new token"))), List.of(), false)).singleElement()
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.APPLIED);

    assertThat(cat(pipe)).isEqualTo("new token");
    assertThat(Files.readAttributes(pipe, PosixFileAttributes.class, NOFOLLOW_LINKS).fileKey()).isEqualTo(inode);
    assertThat(old.wasZeroed()).as("the old content is wiped").isTrue();
  }

  @Test
  void anIdenticalDelivery_isUnchanged() throws Exception {
    Path pipe = dir.resolve("token");
    files.apply(List.of(fifo("token", pipe, secret("same"))), List.of(), false);

    assertThat(files.apply(List.of(fifo("token", pipe, secret("same"))), List.of(), false)).singleElement()
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.UNCHANGED);
    assertThat(cat(pipe)).isEqualTo("same");
  }

  @Test
  void aNewModeForAPipe_makesANewPipe_andEndsTheOldServer() throws Exception {
    Path pipe = dir.resolve("token");
    files.apply(List.of(fifo("token", pipe, secret("same"))), List.of(), false);
    ServedPipe first = (ServedPipe) files.servedFile("token");
    Delivery stricter = new Delivery("token", 2, pipe, Deliveries.nobody(), Deliveries.nogroup(), 0400,
        Delivery.Kind.FIFO, List.of(), secret("same"));

    assertThat(files.apply(List.of(stricter), List.of(), false)).singleElement()
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.APPLIED);

    assertThat(first.hasEnded()).isTrue();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pipe, NOFOLLOW_LINKS)))
        .isEqualTo("r--------");
    assertThat(cat(pipe)).isEqualTo("same");
  }

  @Test
  void aReaderThatClosesEarly_doesNotStopTheServer() throws Exception {
    Path pipe = dir.resolve("big");
    byte[] big = new byte[1 << 20];
    Arrays.fill(big, (byte) 'x');
    big[big.length - 1] = 'y';
    files.apply(List.of(fifo("big", pipe, secret(big))), List.of(), false);

    Process head = new ProcessBuilder("head", "-c", "10", pipe.toString()).start();
    assertThat(head.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(head.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("xxxxxxxxxx");
    // Readers take turns: one that opened while the cut-short copy was still being written would get its rest.
    ServedPipe served = (ServedPipe) files.servedFile("big");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> served.copiesEnded() >= 1);

    Path copy = dir.resolve("copy");
    Process cat = new ProcessBuilder("cat", pipe.toString()).redirectOutput(copy.toFile()).start();
    assertThat(cat.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(Files.readAllBytes(copy)).isEqualTo(big);
    assertThat(((ServedPipe) files.servedFile("big")).hasEnded()).isFalse();
  }

  @Test
  void wipingAPipeNobodyReads_removesIt_andEndsItsServerThread() throws Exception {
    Path pipe = dir.resolve("unread");
    LockedSecret content = secret("never read");
    files.apply(List.of(fifo("unread", pipe, content)), List.of(), false);
    ServedPipe served = (ServedPipe) files.servedFile("unread");
    assertThat(served.thread().isAlive()).isTrue();

    files.wipeAll();

    assertThat(Files.exists(pipe, NOFOLLOW_LINKS)).isFalse();
    assertThat(served.hasEnded()).as("the server thread, blocked in open(), ended").isTrue();
    assertThat(content.wasZeroed()).isTrue();
    assertThat(files.served()).isZero();
  }

  @Test
  void removingAPipeAfterItWasRead_endsItsServerThread() throws Exception {
    Path pipe = dir.resolve("read");
    files.apply(List.of(fifo("read", pipe, secret("once"))), List.of(), false);
    ServedPipe served = (ServedPipe) files.servedFile("read");
    assertThat(cat(pipe)).isEqualTo("once");

    assertThat(files.remove("read")).isTrue();

    assertThat(Files.exists(pipe, NOFOLLOW_LINKS)).isFalse();
    assertThat(served.hasEnded()).isTrue();
  }

  @Test
  void aPipeInADiskDirectory_isRefused() throws Exception {
    Path disk = Deliveries.freshDiskDirectory();
    try {
      assertThat(files.apply(List.of(fifo("p", disk.resolve("p"), secret("s"))), List.of(), false)).singleElement()
          .satisfies(outcome -> assertThat(outcome.detail()).contains("not tmpfs or ramfs"))
          .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.FAILED);
      assertThat(Files.list(disk)).isEmpty();
    } finally {
      Deliveries.deleteRecursively(disk);
    }
  }

  /** What a separate {@code cat} process reads from {@code pipe}. */
  private static String cat(Path pipe) throws Exception {
    Process cat = new ProcessBuilder("cat", pipe.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    assertThat(cat.waitFor(10, TimeUnit.SECONDS)).as("cat ends").isTrue();
    assertThat(cat.exitValue()).isZero();
    return new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }
}
