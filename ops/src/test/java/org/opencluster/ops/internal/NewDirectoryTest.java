package org.opencluster.ops.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.ops.OpsException;

class NewDirectoryTest {

  @TempDir
  Path tmp;

  private static final List<NewDirectory.File> FILES = List.of(
      new NewDirectory.File("a.pem", NewDirectory.PUBLIC_FILE, out -> out.write("a".getBytes(StandardCharsets.US_ASCII))),
      new NewDirectory.File("b.key", NewDirectory.PRIVATE_FILE, out -> out.write("b".getBytes(StandardCharsets.US_ASCII))));

  @Test
  void allFilesAppearTogether() throws Exception {
    Path target = tmp.resolve("out");
    NewDirectory.create(target, NewDirectory.PRIVATE_DIRECTORY, FILES);
    assertThat(target.resolve("a.pem")).hasContent("a");
    assertThat(target.resolve("b.key")).hasContent("b");
    assertThat(tmp.toFile().list()).containsExactly("out");
  }

  @Test
  void aFileAtTheTarget_isRefusedAndKept() throws Exception {
    Path target = Files.writeString(tmp.resolve("out"), "keep");
    assertThatThrownBy(() -> NewDirectory.create(target, NewDirectory.PRIVATE_DIRECTORY, FILES))
        .isInstanceOf(OpsException.class).hasMessageContaining("not a directory");
    assertThat(target).hasContent("keep");
  }

  @Test
  void aSymlinkAtTheTarget_isRefusedEvenToAnEmptyDirectory() throws Exception {
    Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
    Path link = Files.createSymbolicLink(tmp.resolve("out"), elsewhere);
    assertThatThrownBy(() -> NewDirectory.create(link, NewDirectory.PRIVATE_DIRECTORY, FILES)).isInstanceOf(OpsException.class);
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(elsewhere.toFile().list()).isEmpty();
  }

  @Test
  void aDanglingSymlinkAtTheTarget_isRefused() throws Exception {
    Path link = Files.createSymbolicLink(tmp.resolve("out"), tmp.resolve("nowhere"));
    assertThatThrownBy(() -> NewDirectory.create(link, NewDirectory.PRIVATE_DIRECTORY, FILES)).isInstanceOf(OpsException.class);
    assertThat(tmp.resolve("nowhere")).doesNotExist();
  }

  @Test
  void aWriterThatFails_leavesNothingBehind() {
    Path target = tmp.resolve("out");
    List<NewDirectory.File> failing = List.of(FILES.get(0),
        new NewDirectory.File("c", NewDirectory.PRIVATE_FILE, out -> {
          throw new IOException("disk full");
        }));
    assertThatThrownBy(() -> NewDirectory.create(target, NewDirectory.PRIVATE_DIRECTORY, failing))
        .isInstanceOf(IOException.class).hasMessage("disk full");
    assertThat(tmp.toFile().list()).isEmpty();
  }

  @Test
  void dotAndDotDot_areNotDirectoryNames() {
    assertThatThrownBy(() -> NewDirectory.create(tmp.resolve(".."), NewDirectory.PRIVATE_DIRECTORY, FILES))
        .isInstanceOf(OpsException.class).hasMessageContaining("give a directory name");
  }
}
