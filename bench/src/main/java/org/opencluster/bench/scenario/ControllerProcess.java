package org.opencluster.bench.scenario;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.opencluster.bench.fleet.SimulatorProcess;
import org.opencluster.controller.ControllerMain;

/**
 * One controller as an operating-system process ({@code ControllerMain --config FILE} in a JVM of
 * its own, this JVM's class path), its standard output and error appended to one log file across
 * restarts. Its ports stay the same across restarts (they are in its configuration file); only the
 * announced app-version changes.
 */
public final class ControllerProcess {

  /** The line ControllerMain prints once its listeners are bound. */
  private static final String RUNNING = "running; operator API";

  private final String name;
  private final Ports ports;
  private final Path log;
  private final ConfigWriter config;
  /**
   * System property: more JVM options for every controller process, whitespace-separated; {@code
   * {name}} becomes the controller's name and start count (ctl-1-2), e.g. {@code
   * -XX:StartFlightRecording=filename=/tmp/{name}.jfr}.
   */
  static final String EXTRA_JVM_OPTIONS = "opencluster.bench.controller-jvm-options";

  private final String maxHeap;
  private int starts;
  private final int namespace;
  private Process process;
  private String appVersion;
  private long logOffset;

  /** The address and ports of one controller, fixed for its life. */
  public record Ports(String host, int cluster, int api, int health, int edge) {}

  /** Writes the controller's configuration file for an app-version. */
  @FunctionalInterface
  interface ConfigWriter {
    Path write(String appVersion) throws Exception;
  }

  /**
   * @param namespace 0: the process shares this JVM's network; else the index of its own network
   *     namespace ({@link Netns}), made afresh at each start
   */
  ControllerProcess(String name, Ports ports, Path log, ConfigWriter config, String maxHeap, int namespace) {
    this.name = name;
    this.namespace = namespace;
    this.ports = ports;
    this.log = log;
    this.config = config;
    this.maxHeap = maxHeap;
  }

  public String name() {
    return name;
  }

  public Ports ports() {
    return ports;
  }

  /** The app-version it was last started with. */
  public synchronized String appVersion() {
    return appVersion;
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The operating-system process id, or -1 when not started. */
  public synchronized long pid() {
    return process == null ? -1 : process.pid();
  }

  /**
   * Starts the process announcing {@code appVersion} and waits until its listeners are bound (it
   * is sealed then). Refuses to start a second one while the first is alive.
   */
  synchronized void start(String appVersion, Path logbackFile, Duration limit) throws Exception {
    if (isAlive()) {
      throw new IllegalStateException(name + " is running already");
    }
    Path file = config.write(appVersion);
    Files.writeString(log, "==== harness: starting " + name + " (app-version " + appVersion + ") at " + Instant.now() + "\n",
        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    logOffset = Files.size(log);
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + maxHeap, "-XX:+UseSerialGC", "-Dlogback.configurationFile=" + logbackFile,
        // Every pause, for reading a run afterwards (a file per start, next to the log).
        "-Xlog:gc:file=" + log.resolveSibling(name + "-gc-" + (++starts) + ".log") + ":uptime,time"));
    // More JVM options for a diagnostic run (a flight recording, say): whitespace-separated.
    String extra = System.getProperty(EXTRA_JVM_OPTIONS, "").strip();
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.replace("{name}", name + "-" + starts).split("\\s+")));
    }
    command.addAll(List.of("-cp", SimulatorProcess.classPath(), ControllerMain.class.getName(), "--config",
        file.toString()));
    process = new ProcessBuilder(namespace == 0 ? command : Netns.wrap(command)).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    if (namespace != 0) {
      try {
        Netns.attach(process, namespace);
      } catch (Exception | Error e) {
        process.destroyForcibly();
        throw e;
      }
    }
    this.appVersion = appVersion;
    long giveUp = System.nanoTime() + limit.toNanos();
    while (!logSinceStart().contains(RUNNING)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + " while starting; log:\n" + tail(40));
      }
      if (System.nanoTime() > giveUp) {
        throw new IllegalStateException(name + " did not bind its listeners within " + limit + "; log:\n" + tail(40));
      }
      Thread.sleep(100);
    }
  }

  /** SIGTERM (Coordinated Shutdown: the edge unbinds, shards hand off, it leaves) and waits for the exit code. */
  synchronized int terminate(Duration limit) throws Exception {
    return stop(false, limit);
  }

  /** The index of its network namespace ({@link Netns}), or 0 when it shares this JVM's network. */
  int namespace() {
    return namespace;
  }

  /** Waits for the process to end by itself (a controller downed by the cluster); its exit code, or -1 on time-out. */
  int awaitExit(Duration limit) throws Exception {
    Process running;
    synchronized (this) {
      running = process;
    }
    return running.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS) ? running.exitValue() : -1;
  }

  /** SIGKILL: nothing runs in the process any more; the cluster finds out by its failure detector. */
  synchronized int kill(Duration limit) throws Exception {
    return stop(true, limit);
  }

  private int stop(boolean forcibly, Duration limit) throws Exception {
    if (process == null) {
      throw new IllegalStateException(name + " was never started");
    }
    if (forcibly) {
      process.destroyForcibly();
    } else {
      process.destroy();
    }
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
      throw new IllegalStateException(name + " did not exit within " + limit + " of " + (forcibly ? "SIGKILL" : "SIGTERM")
          + "; log:\n" + tail(40));
    }
    return process.exitValue();
  }

  /** Kills the process if it runs (at the end of a scenario, whatever happened). */
  synchronized void destroy() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** The log file (every start of this controller, each after a marker line). */
  public Path log() {
    return log;
  }

  /** Lines of its log containing each of {@code needles}: of every start, or ({@code sinceStart}) of the last one. */
  public long linesContaining(boolean sinceStart, String... needles) {
    try {
      String text = sinceStart ? logSinceStart() : Files.readString(log, StandardCharsets.UTF_8);
      return text.lines().filter(line -> java.util.Arrays.stream(needles).allMatch(line::contains)).count();
    } catch (IOException e) {
      return 0;
    }
  }

  /** Lines of its whole log (every start) containing each of {@code needles}. */
  public long linesContaining(String... needles) {
    return linesContaining(false, needles);
  }

  /** The last {@code lines} lines of its log. */
  public String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private String logSinceStart() throws IOException {
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      long length = file.length();
      if (length <= logOffset) {
        return "";
      }
      byte[] bytes = new byte[(int) Math.min(64 << 20, length - logOffset)];
      file.seek(logOffset);
      file.readFully(bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  @Override
  public String toString() {
    return "ControllerProcess[" + name + ", pid " + pid() + ", " + ports.host() + ", api " + ports.api() + ", edge "
        + ports.edge() + "]";
  }
}
