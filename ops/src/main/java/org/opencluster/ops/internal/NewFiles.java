package org.opencluster.ops.internal;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.internal.NewDirectory.File;

/**
 * Adds files to a directory that already exists: each is written in full beside its target
 * ({@code .NAME.tmp-*}, flushed to disk) and then put in place with one system call, so no reader
 * ever sees half a file. Without {@code replace}, that call is {@code link(2)}, which fails if the
 * target exists, so nothing is overwritten; with it, {@code rename(2)}, which replaces the target.
 *
 * <p>The files appear one after the other, in the order given: a crash in between leaves the
 * first ones new and the others as they were. Put the one that says the set is complete last.
 */
public final class NewFiles {

  private static final SecureRandom RANDOM = new SecureRandom();

  private NewFiles() {}

  /**
   * Writes {@code files} into {@code directory}.
   *
   * @throws OpsException if {@code replace} is false and one of the files exists (checked before
   *     anything is written)
   */
  public static void write(Path directory, List<File> files, boolean replace) throws OpsException, IOException {
    if (!replace) {
      for (File file : files) {
        if (Files.exists(directory.resolve(file.name()), LinkOption.NOFOLLOW_LINKS)) {
          throw new OpsException(directory.resolve(file.name()) + " exists; refusing to overwrite it");
        }
      }
    }
    List<Path> staged = new ArrayList<>();
    try {
      for (File file : files) {
        byte[] suffix = new byte[8];
        RANDOM.nextBytes(suffix);
        Path temporary = directory.resolve("." + file.name() + ".tmp-" + HexFormat.of().formatHex(suffix));
        staged.add(temporary);
        NewDirectory.write(temporary, file);
      }
      for (int i = 0; i < files.size(); i++) {
        put(staged.get(i), directory.resolve(files.get(i).name()), replace);
      }
      NewDirectory.sync(directory);
    } finally {
      for (Path temporary : staged) {
        Files.deleteIfExists(temporary);
      }
    }
  }

  private static void put(Path temporary, Path target, boolean replace) throws OpsException, IOException {
    if (replace) {
      Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
      return;
    }
    try {
      Files.createLink(target, temporary);
    } catch (FileAlreadyExistsException e) {
      throw new OpsException(target + " appeared while writing; refusing to overwrite it", e);
    }
    Files.delete(temporary);
  }
}
