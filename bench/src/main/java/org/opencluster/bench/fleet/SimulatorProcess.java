package org.opencluster.bench.fleet;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The fleet simulator ({@link FleetSimulator}) in a JVM of its own, driven line by line: its
 * answers are read on a thread of their own, so the bench can poll the controller while it waits
 * for one; every other line it prints is echoed, indented.
 */
public final class SimulatorProcess implements AutoCloseable {

  private static final String END = "\u0000end";

  private final Process process;
  private final Writer in;
  private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();

  private SimulatorProcess(Process process) {
    this.process = process;
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::read, "fleet-simulator-output");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts N agents against the controller whose operator API is on {@code apiPort}, over
   * {@code systems} TLS links; they settle {@code settleSeconds} before {@code MEASURED}.
   */
  public static SimulatorProcess start(int apiPort, Path operator, int agents, int systems, int settleSeconds,
      Path directory) throws Exception {
    return start(List.of(apiPort), operator, agents, systems, settleSeconds, directory, false, "4g");
  }

  /**
   * As {@link #start(int, Path, int, int, int, Path)}, registering round-robin through every port
   * of {@code apiPorts}; with {@code failover} every agent knows all edges and fails over as the
   * real agent does; {@code maxHeap} as for {@code -Xmx}.
   */
  public static SimulatorProcess start(List<Integer> apiPorts, Path operator, int agents, int systems, int settleSeconds,
      Path directory, boolean failover, String maxHeap) throws Exception {
    return start(apiPorts.stream().map(String::valueOf).toList(), "127.0.0.1", operator, agents, systems, settleSeconds,
        directory, failover, maxHeap);
  }

  /**
   * As {@link #start(List, Path, int, int, int, Path, boolean, String)}, the operator APIs given as
   * {@code HOST:PORT} and the agents' links bound to {@code bindHost}: for controllers in network
   * namespaces of their own, which reach the simulator there.
   */
  public static SimulatorProcess start(List<String> apiAddresses, String bindHost, Path operator, int agents, int systems,
      int settleSeconds, Path directory, boolean failover, String maxHeap) throws Exception {
    Path work = Files.createDirectory(directory.resolve("fleet"));
    List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + maxHeap, "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
        "-D" + FleetSimulator.BIND_HOST + "=" + bindHost,
        "-cp", classPath(), FleetSimulator.class.getName(),
        String.join(",", apiAddresses), operator.toString(),
        Integer.toString(agents), Integer.toString(systems), Integer.toString(settleSeconds), "1", "64", work.toString(), directory.resolve("fleet-result.json").toString()));
    if (failover) {
      command.add("failover");
    }
    return new SimulatorProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
  }

  /**
   * This JVM's class path, for a child JVM: under Maven's surefire or failsafe the real one (their
   * own {@code java.class.path} may be a manifest-only jar), else {@code java.class.path}.
   */
  public static String classPath() {
    String tests = System.getProperty("surefire.test.class.path");
    return tests != null && !tests.isBlank() ? tests : System.getProperty("java.class.path");
  }

  public void send(String line) throws Exception {
    in.write(line + "\n");
    in.flush();
  }

  /** The next answer starting with {@code prefix}; earlier answers are dropped. */
  public String await(String prefix, Duration limit) throws Exception {
    long giveUp = System.nanoTime() + limit.toNanos();
    while (true) {
      String line = answers.poll(Math.max(1, giveUp - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new IllegalStateException("the fleet simulator did not answer " + prefix + " within " + limit);
      }
      if (line.equals(END)) {
        throw new IllegalStateException("the fleet simulator ended before answering " + prefix + " (its output is above)");
      }
      if (line.startsWith(prefix)) {
        return line;
      }
    }
  }

  /** An answer starting with {@code prefix} if one has arrived, else null. */
  public String poll(String prefix) {
    String line;
    while ((line = answers.poll()) != null) {
      if (line.equals(END)) {
        throw new IllegalStateException("the fleet simulator ended (its output is above)");
      }
      if (line.startsWith(prefix)) {
        return line;
      }
    }
    return null;
  }

  private void read() {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (FleetSimulator.ANSWERS.contains(line.split(" ", 2)[0])) {
          answers.add(line);
        } else {
          System.out.println("  " + line);
        }
      }
    } catch (Exception e) {
      System.out.println("  (fleet simulator output: " + e.getClass().getSimpleName() + ")");
    } finally {
      answers.add(END);
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Tells the simulator to stop and waits for it; forcibly after two minutes. */
  @Override
  public void close() throws Exception {
    close(Duration.ofMinutes(2));
  }

  /** Tells the simulator to stop and waits for it; forcibly after {@code limit}. */
  public void close(Duration limit) throws Exception {
    try {
      send("stop");
    } catch (Exception e) {
      // it ended already
    }
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
