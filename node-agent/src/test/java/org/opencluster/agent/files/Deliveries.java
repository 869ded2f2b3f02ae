package org.opencluster.agent.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.opencluster.protocol.crypto.SecretBytes;

/** What the tests of secure files share: content, directories on tmpfs and on disk, the unprivileged user. */
final class Deliveries {

  static final Path TMPFS = Path.of("/dev/shm");

  private Deliveries() {}

  /** {@code text} in locked memory, the way the agent gets it: from a SecretBytes it then closes. */
  static LockedSecret secret(String text) {
    return secret(text.getBytes(StandardCharsets.UTF_8));
  }

  static LockedSecret secret(byte[] bytes) {
    try (SecretBytes decrypted = SecretBytes.copyOf(bytes)) {
      return LockedSecret.copyOf(decrypted);
    }
  }

  static Delivery tmpfs(String name, Path path, int mode, LockedSecret content, List<String> reload) {
    return new Delivery(name, 1, path, nobody(), nogroup(), mode, Delivery.Kind.TMPFS, reload, content);
  }

  static Delivery tmpfs(String name, Path path, LockedSecret content) {
    return tmpfs(name, path, 0440, content, List.of());
  }

  static Delivery fifo(String name, Path path, LockedSecret content) {
    return new Delivery(name, 1, path, nobody(), nogroup(), 0440, Delivery.Kind.FIFO, List.of(), content);
  }

  /** A fresh directory on tmpfs (/dev/shm). */
  static Path freshTmpfsDirectory() throws IOException {
    return Files.createTempDirectory(TMPFS, "opencluster-files-");
  }

  /** A fresh directory under target/, on the disk the build runs on. */
  static Path freshDiskDirectory() throws IOException {
    Path target = Path.of("target").toAbsolutePath();
    Files.createDirectories(target);
    return Files.createTempDirectory(target, "secure-files-on-disk-");
  }

  /** The unprivileged user, by name when the host has it ({@code getent}), else by number. */
  static String nobody() {
    return exists("passwd", "nobody") ? "nobody" : "65534";
  }

  /** The unprivileged group, by name when the host has it, else by number. */
  static String nogroup() {
    return exists("group", "nogroup") ? "nogroup" : "65534";
  }

  static void deleteRecursively(Path directory) throws IOException {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> {
        try {
          Files.deleteIfExists(path);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }

  private static boolean exists(String database, String key) {
    try {
      Process getent = new ProcessBuilder("getent", database, key).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return getent.waitFor(10, TimeUnit.SECONDS) && getent.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
