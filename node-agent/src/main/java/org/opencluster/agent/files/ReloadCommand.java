package org.opencluster.agent.files;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command that makes a service read its secure files again: an argv, run without a shell, with a
 * timeout after which it (and what it started) is killed. Its output goes to this logger at debug level;
 * it never sees a file's content other than by reading the file as its service would.
 *
 * @param argv the program and its arguments
 */
record ReloadCommand(List<String> argv) {

  private static final Logger LOG = LoggerFactory.getLogger(ReloadCommand.class);

  ReloadCommand {
    argv = List.copyOf(argv);
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("a reload command needs at least a program");
    }
  }

  /**
   * Runs the command and waits for it, {@code timeout} at most.
   *
   * @return null if it exited with 0, else what went wrong (e.g. {@code exit 3}, {@code timed out after 30s})
   */
  String run(Duration timeout) {
    Process process;
    try {
      process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    } catch (IOException | RuntimeException e) {
      return "reload command " + argv + " could not start: " + e.getMessage();
    }
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      LOG.debug("Closing the input of reload command {}: {}", argv, e.getMessage());
    }
    Thread output = new Thread(() -> log(process), "reload-output-" + process.pid());
    output.setDaemon(true);
    output.start();
    try {
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        kill(process);
        return "reload command " + argv + " timed out after " + seconds(timeout) + " and was killed";
      }
    } catch (InterruptedException e) {
      kill(process);
      Thread.currentThread().interrupt();
      return "reload command " + argv + " was interrupted and killed";
    }
    int exit = process.exitValue();
    return exit == 0 ? null : "reload command " + argv + " failed: exit " + exit;
  }

  @Override
  public String toString() {
    return argv.toString();
  }

  private void log(Process process) {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        LOG.debug("{} ({}): {}", argv.get(0), process.pid(), line);
      }
    } catch (IOException e) {
      LOG.debug("Reading the output of reload command {}: {}", argv, e.getMessage());
    }
  }

  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  private static String seconds(Duration timeout) {
    return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + "s" : timeout.toMillis() + "ms";
  }
}
