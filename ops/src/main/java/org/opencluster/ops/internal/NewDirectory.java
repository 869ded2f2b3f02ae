package org.opencluster.ops.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.opencluster.ops.OpsException;

/**
 * Writes a set of files so that they appear together or not at all: into a private staging
 * directory next to the target, flushed to disk, then renamed into place with one {@code
 * rename(2)}, which succeeds only if the target is absent or an empty directory. Nothing already
 * at the target is ever deleted or overwritten.
 *
 * <p>A crash between writing and renaming leaves a {@code .NAME.tmp-*} directory (mode 0700) next
 * to the target; it holds what was being written, private keys included. Delete it by hand.
 */
public final class NewDirectory {

  public static final Set<PosixFilePermission> PRIVATE_DIRECTORY = PosixFilePermissions.fromString("rwx------");
  public static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
  public static final Set<PosixFilePermission> PUBLIC_FILE = PosixFilePermissions.fromString("rw-r--r--");

  /** How a file's bytes get written, so secret content goes straight from its buffer to the file. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  /** Text, as UTF-8. */
  public static Content text(String text) {
    return out -> out.write(text.getBytes(StandardCharsets.UTF_8));
  }

  /** One file of the set. */
  public record File(String name, Set<PosixFilePermission> permissions, Content content) {}

  private NewDirectory() {}

  /**
   * Fails early, before any slow work, if {@link #create} would refuse {@code target}.
   *
   * @throws OpsException if the parent is missing, or {@code target} is anything but an empty
   *     directory or nothing
   */
  public static void checkCanCreate(Path target) throws OpsException, IOException {
    Path resolved = resolve(target);
    if (!Files.exists(resolved, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!Files.isDirectory(resolved, LinkOption.NOFOLLOW_LINKS)) {
      throw new OpsException(resolved + " exists and is not a directory; refusing to overwrite it");
    }
    try (Stream<Path> entries = Files.list(resolved)) {
      if (entries.findAny().isPresent()) {
        throw new OpsException(resolved + " is not empty; refusing to overwrite what is there. Choose a new directory");
      }
    }
  }

  /** Writes {@code files} into {@code target}, which must be absent or an empty directory. */
  public static void create(Path target, Set<PosixFilePermission> directoryPermissions, List<File> files)
      throws OpsException, IOException {
    checkCanCreate(target);
    Path resolved = resolve(target);
    Path staging = Files.createTempDirectory(resolved.getParent(), "." + resolved.getFileName() + ".tmp-",
        PosixFilePermissions.asFileAttribute(PRIVATE_DIRECTORY));
    try {
      for (File file : files) {
        write(staging.resolve(file.name()), file);
      }
      Files.setPosixFilePermissions(staging, directoryPermissions);
      sync(staging);
      try {
        Files.move(staging, resolved, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileSystemException e) {
        throw new OpsException("cannot create " + resolved + ": something appeared there while writing ("
            + e.getReason() + "); nothing was written", e);
      }
      sync(resolved.getParent());
    } catch (IOException | OpsException | RuntimeException e) {
      deleteRecursively(staging);
      throw e;
    }
  }

  /** The target with its parent resolved through symbolic links, as the kernel will see it. */
  private static Path resolve(Path target) throws OpsException, IOException {
    Path absolute = target.toAbsolutePath();
    Path name = absolute.getFileName();
    Path parent = absolute.getParent();
    if (name == null || parent == null || name.toString().equals(".") || name.toString().equals("..")) {
      throw new OpsException("cannot create " + target + ": give a directory name, not '" + target + "'");
    }
    if (!Files.isDirectory(parent)) {
      throw new OpsException("cannot create " + absolute + ": the parent directory " + parent + " does not exist");
    }
    return parent.toRealPath().resolve(name);
  }

  /** Writes {@code file} at {@code path}, which must not exist, with its permissions, flushed to disk. */
  static void write(Path path, File file) throws IOException {
    try (FileChannel channel = FileChannel.open(path, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
        PosixFilePermissions.asFileAttribute(file.permissions()))) {
      OutputStream out = Channels.newOutputStream(channel);
      file.content().writeTo(out);
      out.flush();
      channel.force(true);
    }
    Files.setPosixFilePermissions(path, file.permissions());
  }

  /** Flushes a directory's entries to disk, where the file system can. */
  static void sync(Path directory) {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory; the data itself was forced above.
    }
  }

  /** Deletes a directory and everything in it (symbolic links themselves, never what they point to). */
  public static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
