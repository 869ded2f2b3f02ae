package org.opencluster.ops.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.ops.OpsException;

class NewFilesTest {

  @TempDir
  Path tmp;

  @Test
  void filesJoinADirectory_withTheirModes_andNothingElseIsLeft() throws Exception {
    Files.writeString(tmp.resolve("other"), "stays");

    NewFiles.write(tmp, files("new"), false);

    assertThat(tmp.resolve("x.key")).hasContent("new");
    assertThat(tmp.resolve("x.pem")).hasContent("new");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("x.key")))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("x.pem")))).isEqualTo("rw-r--r--");
    assertThat(tmp.toFile().list()).containsExactlyInAnyOrder("other", "x.key", "x.pem");
  }

  @Test
  void anExistingFile_isRefusedWithoutReplace_andNothingIsWritten() throws Exception {
    Files.writeString(tmp.resolve("x.pem"), "keep");

    assertThatThrownBy(() -> NewFiles.write(tmp, files("new"), false))
        .isInstanceOf(OpsException.class).hasMessageContaining("x.pem exists; refusing to overwrite it");

    assertThat(tmp.resolve("x.pem")).hasContent("keep");
    assertThat(tmp.toFile().list()).containsExactly("x.pem");
  }

  @Test
  void withReplace_existingFilesAreReplaced() throws Exception {
    NewFiles.write(tmp, files("old"), false);

    NewFiles.write(tmp, files("new"), true);

    assertThat(tmp.resolve("x.key")).hasContent("new");
    assertThat(tmp.resolve("x.pem")).hasContent("new");
    assertThat(tmp.toFile().list()).containsExactlyInAnyOrder("x.key", "x.pem");
  }

  private static List<NewDirectory.File> files(String content) {
    return List.of(
        new NewDirectory.File("x.key", NewDirectory.PRIVATE_FILE, out -> out.write(content.getBytes(StandardCharsets.US_ASCII))),
        new NewDirectory.File("x.pem", NewDirectory.PUBLIC_FILE, out -> out.write(content.getBytes(StandardCharsets.US_ASCII))));
  }
}
