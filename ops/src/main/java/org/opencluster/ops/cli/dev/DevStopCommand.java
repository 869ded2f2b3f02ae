package org.opencluster.ops.cli.dev;

import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.CliContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code opencluster dev stop}: stops the dev cluster running on DIR, detached or in another
 * terminal, as Ctrl-C would: SIGTERM to the 'opencluster dev' that supervises it, which stops the
 * agent and the controller (Coordinated Shutdown) and exits. A controller or agent left behind by a
 * supervisor that was killed is stopped directly.
 */
@Command(name = "stop", mixinStandardHelpOptions = true,
    description = "Stop the dev cluster running on the dev directory (detached or not): its agent and controller, "
        + "cleanly. Nothing running is not an error.")
final class DevStopCommand implements Callable<Integer> {

  private static final Duration STOP_WITHIN = Duration.ofMinutes(3);

  private final CliContext context;

  @Option(names = "--dir", defaultValue = ".opencluster-dev", paramLabel = "DIR",
      description = "The dev cluster's directory. Default: ${DEFAULT-VALUE}.")
  Path directory;

  DevStopCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    DevFiles files = new DevFiles(directory.toAbsolutePath().normalize());
    if (!java.nio.file.Files.isDirectory(files.directory(), LinkOption.NOFOLLOW_LINKS)) {
      throw new OpsException("no dev cluster in " + files.directory());
    }
    Optional<ProcessHandle> supervisor = PidFiles.live(files.devPid());
    boolean stopped = false;
    if (supervisor.isPresent()) {
      stop(supervisor.get(), "opencluster dev");
      stopped = true;
    }
    // Left behind only if the supervisor was killed before it could stop them.
    for (Path pid : List.of(files.agentPid(), files.controllerPid())) {
      Optional<ProcessHandle> orphan = PidFiles.live(pid);
      if (orphan.isPresent()) {
        stop(orphan.get(), pid.getFileName().toString().replace(".pid", ""));
        stopped = true;
      }
    }
    PidFiles.remove(files.agentPid(), files.controllerPid(), files.devPid());
    context.out().println(stopped ? "Stopped the dev cluster in " + files.directory() + " (controller and agent)."
        : "No dev cluster is running in " + files.directory() + ".");
    return 0;
  }

  private void stop(ProcessHandle process, String what) throws Exception {
    process.destroy();
    try {
      process.onExit().get(STOP_WITHIN.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new OpsException("the " + what + " process (pid " + process.pid() + ") did not stop within "
          + STOP_WITHIN.toMinutes() + " minutes of SIGTERM; look at it, or kill it");
    }
  }
}
