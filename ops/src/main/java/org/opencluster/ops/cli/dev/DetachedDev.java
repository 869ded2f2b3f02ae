package org.opencluster.ops.cli.dev;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Octl;

/**
 * {@code opencluster dev --detach}: the same 'opencluster dev' started in the background, in a
 * session of its own (setsid, so closing the terminal does not stop it), its output in DIR/dev.out.
 * Returns once it says the dev cluster is ready, which it says once the demo agent serves its files.
 */
final class DetachedDev {

  /** What the foreground dev prints when the controller is ready and the demo agent has served its files. */
  static final String READY_LINE = "dev cluster is ready";
  private static final Duration READY_WITHIN = Duration.ofMinutes(7);
  private static final Path SETSID = Path.of("/usr/bin/setsid");

  private final CliContext context;
  private final DevFiles files;

  DetachedDev(CliContext context, DevFiles files) {
    this.context = context;
    this.files = files;
  }

  int start(Path home, List<String> devArguments) throws IOException, InterruptedException, OpsException {
    Optional<ProcessHandle> running = PidFiles.live(files.devPid());
    if (running.isPresent()) {
      throw new OpsException("a dev cluster is already running in " + files.directory() + " (pid "
          + running.get().pid() + "); 'opencluster dev stop --dir " + files.directory() + "' stops it");
    }
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(SETSID)) {
      command.add(SETSID.toString());
    }
    command.add(home.resolve("bin/opencluster").toString());
    command.addAll(devArguments);
    Path out = files.detachedOut();
    Files.deleteIfExists(out);
    DevCommand.writePrivate(out, "");
    Process dev = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
        .start();
    context.out().println("Starting the dev cluster in the background (output: " + out + ") ...");
    context.out().flush();
    Instant giveUp = context.clock().instant().plus(READY_WITHIN);
    while (context.clock().instant().isBefore(giveUp)) {
      if (dev.waitFor(500, TimeUnit.MILLISECONDS)) {
        context.err().println("error: the background 'opencluster dev' stopped (exit code " + dev.exitValue() + "):");
        Files.readAllLines(out, StandardCharsets.UTF_8).forEach(line -> context.err().println("  " + line));
        return Octl.FAILURE;
      }
      String printed = Files.readString(out, StandardCharsets.UTF_8);
      int ready = printed.indexOf(READY_LINE);
      if (ready >= 0 && printed.contains("Ctrl-C")) {
        context.out().println(printed.substring(printed.lastIndexOf('\n', ready) + 1).strip());
        context.out().println();
        context.out().println("It runs in the background (pid " + dev.pid() + "); stop it with: bin/opencluster dev stop"
            + " --dir " + files.directory());
        context.out().flush();
        return 0;
      }
    }
    context.err().println("error: the dev cluster did not become ready within " + READY_WITHIN.toMinutes()
        + " minutes; stopping it. See " + out + " and " + files.log());
    dev.destroy();
    dev.waitFor(2, TimeUnit.MINUTES);
    return Octl.FAILURE;
  }
}
