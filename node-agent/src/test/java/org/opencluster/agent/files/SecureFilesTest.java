package org.opencluster.agent.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.opencluster.agent.files.Deliveries.fifo;
import static org.opencluster.agent.files.Deliveries.nobody;
import static org.opencluster.agent.files.Deliveries.nogroup;
import static org.opencluster.agent.files.Deliveries.secret;
import static org.opencluster.agent.files.Deliveries.tmpfs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Secure files on tmpfs: where they may go, how they are written, replaced, kept and removed. */
class SecureFilesTest {

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
  void aTmpfsFile_appearsWithItsOwnerGroupModeAndContent() throws Exception {
    Path path = dir.resolve("db.pem");

    List<FileOutcome> outcomes = files.apply(List.of(tmpfs("db", path, secret("-----BEGIN KEY-----"))), List.of(),
        false);

    assertThat(outcomes).singleElement().satisfies(outcome -> {
      assertThat(outcome.result()).isEqualTo(FileOutcome.Result.APPLIED);
      assertThat(outcome.detail()).contains(path.toString()).contains("0440").doesNotContain("BEGIN KEY");
    });
    PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class, NOFOLLOW_LINKS);
    assertThat(attributes.isRegularFile()).isTrue();
    assertThat(Files.getAttribute(path, "unix:uid", NOFOLLOW_LINKS)).isEqualTo(uidOf(nobody()));
    assertThat(Files.getAttribute(path, "unix:gid", NOFOLLOW_LINKS)).isEqualTo(gidOf(nogroup()));
    assertThat(PosixFilePermissions.toString(attributes.permissions())).isEqualTo("r--r-----");
    assertThat(Files.readString(path)).isEqualTo("-----BEGIN KEY-----");
    assertThat(files.served()).isEqualTo(1);
    assertThat(Files.list(dir)).as("no temporary file left").containsExactly(path);
  }

  @Test
  void numericOwnerAndGroup_areAccepted() throws Exception {
    Path path = dir.resolve("token");
    Delivery delivery = new Delivery("token", 1, path, "65534", "65534", 0400, Delivery.Kind.TMPFS, List.of(),
        secret("t0ken"));

    assertThat(files.apply(List.of(delivery), List.of(), false)).singleElement()
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.APPLIED);
    assertThat(Files.getAttribute(path, "unix:uid", NOFOLLOW_LINKS)).isEqualTo(65534);
    assertThat(Files.getAttribute(path, "unix:gid", NOFOLLOW_LINKS)).isEqualTo(65534);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("r--------");
  }

  @Test
  void replacingAFile_renamesANewInodeIntoPlace_withTheNewContent() throws Exception {
    Path path = dir.resolve("api.key");
    files.apply(List.of(tmpfs("api", path, secret("version one"))), List.of(), false);
    Object firstInode = Files.readAttributes(path, PosixFileAttributes.class).fileKey();

    List<FileOutcome> outcomes = files.apply(List.of(tmpfs("api", path, secret("version two"))), List.of(), false);

    assertThat(outcomes).singleElement().extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.APPLIED);
    assertThat(Files.readAttributes(path, PosixFileAttributes.class).fileKey()).isNotEqualTo(firstInode);
    assertThat(Files.readString(path)).isEqualTo("version two");
    assertThat(files.served()).isEqualTo(1);
  }

  @Test
  void theVersionAFileReplaces_isOverwrittenWithZeros() throws Exception {
    Path path = dir.resolve("api.key");
    files.apply(List.of(tmpfs("api", path, secret("version one"))), List.of(), false);
    try (var oldVersion = Files.newByteChannel(path)) {
      files.apply(List.of(tmpfs("api", path, secret("version two"))), List.of(), false);

      ByteBuffer read = ByteBuffer.allocate(64);
      oldVersion.read(read);
      assertThat(Arrays.copyOf(read.array(), read.position())).hasSize(11).containsOnly(0);
    }
  }

  @Test
  void anIdenticalDelivery_isUnchanged_andKeepsTheInode() throws Exception {
    Path path = dir.resolve("api.key");
    files.apply(List.of(tmpfs("api", path, secret("same"))), List.of(), false);
    Object inode = Files.readAttributes(path, PosixFileAttributes.class).fileKey();
    LockedSecret again = secret("same");

    List<FileOutcome> outcomes = files.apply(List.of(tmpfs("api", path, again)), List.of(), false);

    assertThat(outcomes).singleElement().extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.UNCHANGED);
    assertThat(Files.readAttributes(path, PosixFileAttributes.class).fileKey()).isEqualTo(inode);
    assertThat(again.isClosed()).as("the duplicate content is not kept").isTrue();
  }

  @Test
  void aNewModeForTheSameContent_isApplied() throws Exception {
    Path path = dir.resolve("api.key");
    files.apply(List.of(tmpfs("api", path, 0440, secret("same"), List.of())), List.of(), false);

    List<FileOutcome> outcomes = files.apply(List.of(tmpfs("api", path, 0400, secret("same"), List.of())),
        List.of(), false);

    assertThat(outcomes).singleElement().extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.APPLIED);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("r--------");
  }

  @Test
  void aFileChangedBySomeoneElse_isWrittenAgain_onTheSameDelivery() throws Exception {
    Path path = dir.resolve("api.key");
    files.apply(List.of(tmpfs("api", path, secret("same"))), List.of(), false);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-rw-"));

    List<FileOutcome> outcomes = files.apply(List.of(tmpfs("api", path, secret("same"))), List.of(), false);

    assertThat(outcomes).singleElement().extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.APPLIED);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("r--r-----");
  }

  @Test
  void aDiskBackedTarget_isRefused_namingItsFileSystem_andNothingIsWritten() throws Exception {
    Path disk = Deliveries.freshDiskDirectory();
    try {
      LockedSecret content = secret("never on disk");
      Path path = disk.resolve("secret.pem");

      List<FileOutcome> outcomes = files.apply(List.of(tmpfs("cert", path, content)), List.of(), false);

      FileSystemType type = FileSystemType.of(disk);
      assertThat(outcomes).singleElement().satisfies(outcome -> {
        assertThat(outcome.result()).isEqualTo(FileOutcome.Result.FAILED);
        assertThat(outcome.detail()).contains(path.toString()).contains(type.toString())
            .contains("not tmpfs or ramfs");
      });
      assertThat(Files.list(disk)).isEmpty();
      assertThat(content.isClosed()).isTrue();
      assertThat(content.wasZeroed()).isTrue();
      assertThat(files.served()).isZero();
    } finally {
      Deliveries.deleteRecursively(disk);
    }
  }

  @Test
  void aFailingFile_doesNotStopTheOthers() throws Exception {
    Path disk = Deliveries.freshDiskDirectory();
    try {
      List<FileOutcome> outcomes = files.apply(List.of(tmpfs("bad", disk.resolve("x"), secret("a")),
          tmpfs("good", dir.resolve("y"), secret("b"))), List.of(), false);

      assertThat(outcomes).extracting(FileOutcome::name, FileOutcome::result).containsExactly(
          tuple("bad", FileOutcome.Result.FAILED),
          tuple("good", FileOutcome.Result.APPLIED));
      assertThat(Files.readString(dir.resolve("y"))).isEqualTo("b");
    } finally {
      Deliveries.deleteRecursively(disk);
    }
  }

  @Test
  void aSymlinkInTheTargetsPlace_isRefused_andNotFollowed() throws Exception {
    Path elsewhere = Files.writeString(dir.resolve("elsewhere"), "untouched");
    Path link = Files.createSymbolicLink(dir.resolve("link"), elsewhere);
    LockedSecret content = secret("secret");

    assertThat(files.apply(List.of(tmpfs("f", link, content)), List.of(), false)).singleElement()
        .satisfies(outcome -> assertThat(outcome.detail()).contains("is a symbolic link"))
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.FAILED);
    assertThat(Files.readString(elsewhere)).isEqualTo("untouched");
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(content.isClosed()).isTrue();
  }

  @Test
  void aSymlinkedDirectory_isRefused() throws Exception {
    Path real = Files.createDirectory(dir.resolve("real"));
    Path linked = Files.createSymbolicLink(dir.resolve("linked"), real);

    assertThat(files.apply(List.of(tmpfs("f", linked.resolve("file"), secret("s"))), List.of(), false))
        .singleElement().satisfies(outcome -> assertThat(outcome.detail()).contains("is a symbolic link"))
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.FAILED);
    assertThat(Files.list(real)).isEmpty();
  }

  @Test
  void aPathWithDotDot_isRefused() throws Exception {
    Path sub = Files.createDirectory(dir.resolve("sub"));
    Path sneaky = Path.of(sub + "/../escaped");

    assertThat(files.apply(List.of(tmpfs("f", sneaky, secret("s"))), List.of(), false)).singleElement()
        .satisfies(outcome -> assertThat(outcome.detail()).contains("'..'").contains("normalized"))
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.FAILED);
    assertThat(Files.exists(dir.resolve("escaped"))).isFalse();
  }

  @Test
  void aRelativePath_isRefused() {
    assertThat(files.apply(List.of(tmpfs("f", Path.of("relative/file"), secret("s"))), List.of(), false))
        .singleElement().satisfies(outcome -> assertThat(outcome.detail()).contains("not an absolute path"))
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.FAILED);
  }

  @Test
  void setuidSetgidStickyAndOutOfRangeModes_areRefused() throws Exception {
    List<FileOutcome> outcomes = files.apply(List.of(
        tmpfs("setuid", dir.resolve("a"), 04400, secret("s"), List.of()),
        tmpfs("setgid", dir.resolve("b"), 02440, secret("s"), List.of()),
        tmpfs("sticky", dir.resolve("c"), 01400, secret("s"), List.of()),
        tmpfs("negative", dir.resolve("d"), -1, secret("s"), List.of())), List.of(), false);

    assertThat(outcomes).allSatisfy(outcome -> {
      assertThat(outcome.result()).isEqualTo(FileOutcome.Result.FAILED);
      assertThat(outcome.detail()).contains("never setuid, setgid or sticky");
    });
    assertThat(outcomes.get(0).detail()).contains("mode 04400");
    assertThat(Files.list(dir)).isEmpty();
  }

  @Test
  void aDirectoryInTheTargetsPlace_isRefused() throws Exception {
    Path directory = Files.createDirectory(dir.resolve("conf.d"));

    assertThat(files.apply(List.of(tmpfs("f", directory, secret("s"))), List.of(), false)).singleElement()
        .satisfies(outcome -> assertThat(outcome.detail()).contains("is a directory"))
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.FAILED);
    assertThat(Files.isDirectory(directory)).isTrue();
  }

  @Test
  void aMissingDirectory_isRefused_sayingToCreateIt() {
    assertThat(files.apply(List.of(tmpfs("f", dir.resolve("missing/file"), secret("s"))), List.of(), false))
        .singleElement().satisfies(outcome -> assertThat(outcome.detail()).contains("does not exist"))
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.FAILED);
  }

  @Test
  void anUnknownOwner_isRefused() {
    Delivery delivery = new Delivery("f", 1, dir.resolve("f"), "no-such-user-here", nogroup(), 0400,
        Delivery.Kind.TMPFS, List.of(), secret("s"));

    assertThat(files.apply(List.of(delivery), List.of(), false)).singleElement()
        .satisfies(outcome -> assertThat(outcome.detail()).contains("owner 'no-such-user-here' is not a user"))
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.FAILED);
  }

  @Test
  void twoDeliveriesWithOnePath_theSecondFails() throws Exception {
    Path path = dir.resolve("shared");

    List<FileOutcome> outcomes = files.apply(List.of(tmpfs("first", path, secret("one")),
        tmpfs("second", path, secret("two"))), List.of(), false);

    assertThat(outcomes).extracting(FileOutcome::result)
        .containsExactly(FileOutcome.Result.APPLIED, FileOutcome.Result.FAILED);
    assertThat(outcomes.get(1).detail()).contains("also the path of file first");
    assertThat(Files.readString(path)).isEqualTo("one");
  }

  @Test
  void aPathServedUnderAnotherName_isRefused() throws Exception {
    Path path = dir.resolve("taken");
    files.apply(List.of(tmpfs("owner", path, secret("one"))), List.of(), false);

    assertThat(files.apply(List.of(tmpfs("intruder", path, secret("two"))), List.of(), false)).singleElement()
        .satisfies(outcome -> assertThat(outcome.detail()).contains("already served as file owner"))
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.FAILED);
    assertThat(Files.readString(path)).isEqualTo("one");
  }

  @Test
  void aNameMovedToANewPath_wipesTheOldPath() throws Exception {
    Path old = dir.resolve("old.pem");
    Path moved = dir.resolve("new.pem");
    files.apply(List.of(tmpfs("cert", old, secret("content"))), List.of(), false);

    assertThat(files.apply(List.of(tmpfs("cert", moved, secret("content"))), List.of(), false)).singleElement()
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.APPLIED);
    assertThat(Files.exists(old, NOFOLLOW_LINKS)).isFalse();
    assertThat(Files.readString(moved)).isEqualTo("content");
    assertThat(files.served()).isEqualTo(1);
  }

  @Test
  void aFileBecomingAPipe_atTheSamePath_isReplaced() throws Exception {
    Path path = dir.resolve("cert");
    files.apply(List.of(tmpfs("cert", path, secret("content"))), List.of(), false);

    assertThat(files.apply(List.of(fifo("cert", path, secret("content"))), List.of(), false)).singleElement()
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.APPLIED);
    assertThat(Files.readAttributes(path, PosixFileAttributes.class, NOFOLLOW_LINKS).isOther()).isTrue();
  }

  @Test
  void aCompleteSet_removesTheFilesItDoesNotName() throws Exception {
    files.apply(List.of(tmpfs("a", dir.resolve("a"), secret("a")), tmpfs("b", dir.resolve("b"), secret("b"))),
        List.of(), false);

    files.apply(List.of(tmpfs("a", dir.resolve("a"), secret("a"))), List.of(), true);

    assertThat(Files.exists(dir.resolve("a"))).isTrue();
    assertThat(Files.exists(dir.resolve("b"))).isFalse();
    assertThat(files.served()).isEqualTo(1);
  }

  @Test
  void aPartialSet_keepsTheFilesItDoesNotName() throws Exception {
    files.apply(List.of(tmpfs("a", dir.resolve("a"), secret("a")), tmpfs("b", dir.resolve("b"), secret("b"))),
        List.of(), false);

    files.apply(List.of(tmpfs("a", dir.resolve("a"), secret("a2"))), List.of(), false);

    assertThat(Files.readString(dir.resolve("b"))).isEqualTo("b");
    assertThat(files.served()).isEqualTo(2);
  }

  @Test
  void theRemovedList_removesThoseFiles() throws Exception {
    files.apply(List.of(tmpfs("a", dir.resolve("a"), secret("a")), tmpfs("b", dir.resolve("b"), secret("b"))),
        List.of(), false);

    files.apply(List.of(), List.of("b", "never-served"), false);

    assertThat(Files.exists(dir.resolve("a"))).isTrue();
    assertThat(Files.exists(dir.resolve("b"))).isFalse();
    assertThat(files.served()).isEqualTo(1);
  }

  @Test
  void remove_overwritesAndUnlinksOneFile_andZeroesItsContent() throws Exception {
    LockedSecret content = secret("bye");
    files.apply(List.of(tmpfs("a", dir.resolve("a"), content)), List.of(), false);

    assertThat(files.remove("a")).isTrue();
    assertThat(files.remove("a")).isFalse();

    assertThat(Files.exists(dir.resolve("a"))).isFalse();
    assertThat(content.wasZeroed()).isTrue();
    assertThat(files.served()).isZero();
  }

  @Test
  void afterClose_everyDeliveryIsRefused() throws Exception {
    files.close();
    LockedSecret content = secret("late");

    assertThat(files.apply(List.of(tmpfs("late", dir.resolve("late"), content)), List.of(), false)).singleElement()
        .satisfies(outcome -> assertThat(outcome.detail()).contains("closed"))
        .extracting(FileOutcome::result).isEqualTo(FileOutcome.Result.FAILED);
    assertThat(Files.exists(dir.resolve("late"))).isFalse();
    assertThat(content.isClosed()).isTrue();
  }

  @Test
  void outcomesAndDeliveries_neverShowTheContent() {
    Delivery delivery = tmpfs("a", dir.resolve("a"), secret("p4ssw0rd"));
    assertThat(delivery.toString()).doesNotContain("p4ssw0rd").contains("8 bytes");

    assertThat(files.apply(List.of(delivery), List.of(), false)).singleElement()
        .satisfies(outcome -> assertThat(outcome.toString()).doesNotContain("p4ssw0rd"));
  }

  private static int uidOf(String user) throws Exception {
    return user.chars().allMatch(Character::isDigit) ? Integer.parseInt(user) : idOf("-u", user);
  }

  private static int gidOf(String group) throws Exception {
    if (group.chars().allMatch(Character::isDigit)) {
      return Integer.parseInt(group);
    }
    Process getent = new ProcessBuilder("getent", "group", group).start();
    String line = new String(getent.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    getent.waitFor();
    return Integer.parseInt(line.split(":")[2]);
  }

  private static int idOf(String option, String user) throws Exception {
    Process id = new ProcessBuilder("id", option, user).start();
    String out = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    id.waitFor();
    return Integer.parseInt(out);
  }
}
