package org.opencluster.controller.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A provisioner hook command for tests: a real shell script in {@code directory} that appends its
 * arguments and the node id from its environment to {@code calls}, one line per run, then (if
 * given a gate) waits for the gate file before it exits with {@code exitStatus}.
 */
public final class HookScript {
  private final Path program;
  private final Path calls;
  private final Path gate;

  private HookScript(Path program, Path calls, Path gate) {
    this.program = program;
    this.calls = calls;
    this.gate = gate;
  }

  /** Records its arguments and exits 0. */
  public static HookScript succeeding(Path directory) {
    return write(directory, 0, false);
  }

  /** Records its arguments and exits with {@code status}. */
  public static HookScript exitingWith(Path directory, int status) {
    return write(directory, status, false);
  }

  /** Records its arguments, then exits 0 only once {@link #open()} was called. */
  public static HookScript gated(Path directory) {
    return write(directory, 0, true);
  }

  private static HookScript write(Path directory, int status, boolean gated) {
    Path program = directory.resolve("recreate-host.sh");
    Path calls = directory.resolve("calls");
    Path gate = directory.resolve("gate");
    String script = "#!/bin/sh\n"
        + "echo \"$1 $2 env=$OPENCLUSTER_NODE_ID\" >> '" + calls + "'\n"
        + (gated ? "while [ ! -e '" + gate + "' ]; do sleep 0.05; done\n" : "")
        + "exit " + status + "\n";
    try {
      Files.writeString(program, script);
      Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new HookScript(program, calls, gate);
  }

  /** The absolute path of the script. */
  public String program() {
    return program.toAbsolutePath().toString();
  }

  /** One line per run: {@code NODE REASON env=NODE}. */
  public List<String> calls() {
    try {
      return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Lets every waiting and later run of a gated script finish. */
  public void open() {
    try {
      Files.writeString(gate, "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
