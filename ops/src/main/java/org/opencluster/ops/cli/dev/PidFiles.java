package org.opencluster.ops.cli.dev;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/** The dev cluster's pid files (DIR/dev.pid, controller.pid, agent.pid): one decimal pid a file, mode 0600. */
final class PidFiles {

  private PidFiles() {}

  static void write(Path file, long pid) throws IOException {
    Path staged = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.deleteIfExists(staged);
    DevCommand.writePrivate(staged, pid + "\n");
    Files.move(staged, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * The live process {@code file} names; empty if there is no file, no number in it, no such
   * process, or (a stale file whose pid was reused) a process whose command line, when the system
   * shows it, is not OpenCluster's.
   */
  static Optional<ProcessHandle> live(Path file) {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    try {
      long pid = Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).strip());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
          .filter(process -> process.info().commandLine().map(line -> line.contains("opencluster")).orElse(true));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  static void remove(Path... files) {
    for (Path file : files) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // A pid file left behind names a process that is gone: 'dev stop' and the next run treat it so.
      }
    }
  }

  /** {@code value} in single quotes for a POSIX shell. */
  static String shellQuoted(String value) {
    return "'" + value.replace("'", "'\\''") + "'";
  }
}
