package org.opencluster.controller.provisioning;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the configured program directly (no shell) with the node id and the reason appended, and
 * the same in {@code OPENCLUSTER_NODE_ID} and {@code OPENCLUSTER_QUARANTINE_REASON}. Exit 0 is
 * done; the process and its descendants are killed after the timeout. Its output is discarded, so
 * nothing it prints reaches the controller's log.
 */
final class CommandAttempt implements RetryingHook.Attempt {

  private final List<String> argv;
  private final Duration timeout;

  CommandAttempt(List<String> argv, Duration timeout) {
    this.argv = List.copyOf(argv);
    this.timeout = timeout;
  }

  @Override
  public void run(String nodeId, String reason, Instant quarantinedAt) throws ProvisionerHookException {
    List<String> command = new ArrayList<>(argv);
    command.add(nodeId);
    command.add(reason);
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("OPENCLUSTER_NODE_ID", nodeId);
    builder.environment().put("OPENCLUSTER_QUARANTINE_REASON", reason);
    builder.environment().put("OPENCLUSTER_QUARANTINED_AT", quarantinedAt.toString());
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new ProvisionerHookException("could not start " + argv.get(0) + ": " + e.getMessage());
    }
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new ProvisionerHookException(argv.get(0) + " did not finish within " + timeout + ": killed");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new ProvisionerHookException(argv.get(0) + " interrupted");
    }
    if (process.exitValue() != 0) {
      throw new ProvisionerHookException(argv.get(0) + " exited with status " + process.exitValue());
    }
  }

  @Override
  public String toString() {
    return "command " + argv.get(0);
  }
}
