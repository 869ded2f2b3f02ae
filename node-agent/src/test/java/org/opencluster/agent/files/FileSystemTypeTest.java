package org.opencluster.agent.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FileSystemTypeTest {

  @Test
  void devShm_isTmpfs() throws Exception {
    FileSystemType type = FileSystemType.of(Path.of("/dev/shm"));
    assertThat(type.magic()).isEqualTo(FileSystemType.TMPFS_MAGIC);
    assertThat(type.isInMemory()).isTrue();
    assertThat(type).hasToString("tmpfs (0x1021994)");
  }

  @Test
  void theBuildDirectory_isNotInMemory() throws Exception {
    Path disk = Deliveries.freshDiskDirectory();
    FileSystemType type = FileSystemType.of(disk);
    Deliveries.deleteRecursively(disk);
    assertThat(type.isInMemory()).isFalse();
    assertThat(type.toString()).contains("(0x" + Long.toHexString(type.magic()) + ")");
  }

  @Test
  void knownTypes_areNamedWithTheirMagic() {
    assertThat(new FileSystemType(0xEF53)).hasToString("ext4 (0xef53)");
    assertThat(new FileSystemType(0x58465342L)).hasToString("xfs (0x58465342)");
    assertThat(new FileSystemType(0x794c7630L)).hasToString("overlayfs (0x794c7630)");
    assertThat(new FileSystemType(FileSystemType.RAMFS_MAGIC).isInMemory()).isTrue();
    assertThat(new FileSystemType(0x12345678L)).hasToString("an unknown file system (0x12345678)");
  }

  @Test
  void aMissingDirectory_isAnErrorNamingIt() {
    assertThatThrownBy(() -> FileSystemType.of(Path.of("/nonexistent/secure")))
        .isInstanceOf(IOException.class).hasMessageContaining("/nonexistent/secure");
  }
}
