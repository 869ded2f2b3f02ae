package org.opencluster.ops.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
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
 * Writes a set of files so that they appear together or not at all: into a private temporary
 * directory next to the target, flushed to disk, then renamed into place. A target that already
 * holds anything is refused, never overwritten.
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

  /** One file of the set. */
  public record File(String name, Set<PosixFilePermission> permissions, Content content) {}

  private NewDirectory() {}

  /**
   * @throws OpsException if the parent does not exist, or {@code target} exists and is not an
   *     empty directory
   */
  public static void create(Path target, Set<PosixFilePermission> directoryPermissions, List<File> files)
      throws OpsException, IOException {
    checkCanCreate(target);
    Path absolute = target.toAbsolutePath().normalize();
    Path parent = absolute.getParent();
    Path staging = Files.createTempDirectory(parent, "." + absolute.getFileName() + ".tmp-",
        PosixFilePermissions.asFileAttribute(PRIVATE_DIRECTORY));
    try {
      for (File file : files) {
        write(staging.resolve(file.name()), file);
      }
      Files.setPosixFilePermissions(staging, directoryPermissions);
      if (Files.exists(absolute)) {
        Files.delete(absolute);
      }
      try {
        Files.move(staging, absolute, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException | DirectoryNotEmptyException e) {
        throw new OpsException("cannot create " + absolute + ": it appeared while writing; nothing was written", e);
      }
      syncDirectory(parent);
    } catch (IOException | OpsException | RuntimeException e) {
      deleteRecursively(staging);
      throw e;
    }
  }

  /**
   * Fails early, before any slow work, if {@link #create} would refuse {@code target}.
   *
   * @throws OpsException if the parent is missing or {@code target} holds anything
   */
  public static void checkCanCreate(Path target) throws OpsException, IOException {
    Path absolute = target.toAbsolutePath().normalize();
    Path parent = absolute.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new OpsException("cannot create " + absolute + ": the parent directory " + parent + " does not exist");
    }
    requireAbsentOrEmpty(absolute);
  }

  private static void requireAbsentOrEmpty(Path target) throws OpsException, IOException {
    if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!Files.isDirectory(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new OpsException(target + " exists and is not a directory; refusing to overwrite it");
    }
    try (Stream<Path> entries = Files.list(target)) {
      if (entries.findAny().isPresent()) {
        throw new OpsException(target + " is not empty; refusing to overwrite what is there. Choose a new directory");
      }
    }
  }

  private static void write(Path path, File file) throws IOException {
    try (FileChannel channel = FileChannel.open(path, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
        PosixFilePermissions.asFileAttribute(file.permissions()))) {
      OutputStream out = Channels.newOutputStream(channel);
      file.content().writeTo(out);
      out.flush();
      channel.force(true);
    }
    Files.setPosixFilePermissions(path, file.permissions());
  }

  private static void syncDirectory(Path directory) {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory; the rename itself has happened.
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) {
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
