package org.opencluster.bench.scenario;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces for the scenario harness, so that a network cut between controllers is a
 * real one: packets dropped by the kernel on the way, not a process told to ignore its peers.
 *
 * <p>This JVM runs in the <em>hub</em>, a network namespace of its own made by
 * {@code bench/netns/bin/java} (which the scenario tests' JVM is started through when the machine
 * allows it): its loopback is up, it has the address {@value #HUB} and it forwards packets. Each
 * controller process is started in a fresh namespace of its own ({@code unshare --net}), linked to
 * the hub by a veth pair: controller {@code i} is {@code 10.77.i.1}, its hub side {@code
 * 10.77.i.254}, its default route through the hub. PostgreSQL and the simulated agents are in the
 * hub, at {@value #HUB}. A {@linkplain #cut cut} is a pair of blackhole policy rules in the hub for
 * each pair of controllers: their packets to each other are dropped silently, as by a failed
 * switch, while each still reaches the database and the agents. Nothing is added to the machine's
 * own namespace, and every namespace goes with the processes in it.
 */
public final class Netns {

  /** The hub's address (on its loopback): PostgreSQL and the simulated agents listen there. */
  public static final String HUB = "10.77.0.1";

  /** The environment variable {@code bench/netns/bin/java} sets, to the hub's address, once the hub is made. */
  public static final String HUB_VARIABLE = "OPENCLUSTER_NETNS_HUB";

  private static final Duration COMMAND_LIMIT = Duration.ofSeconds(20);
  private static final Duration UNSHARE_LIMIT = Duration.ofSeconds(20);

  private Netns() {}

  /** Whether this JVM runs in a hub made by {@code bench/netns/bin/java}. */
  public static boolean inHub() {
    return HUB.equals(System.getenv(HUB_VARIABLE));
  }

  /** Controller {@code index}'s address (1-based), in its own namespace. */
  public static String controllerHost(int index) {
    if (index < 1 || index > 250) {
      throw new IllegalArgumentException("controller index out of range: " + index);
    }
    return "10.77." + index + ".1";
  }

  /**
   * {@code command} as started in a new network namespace that waits, before it runs the command,
   * for a line on its standard input: {@link #attach} links the namespace and sends it.
   */
  static List<String> wrap(List<String> command) {
    List<String> wrapped = new ArrayList<>(List.of("unshare", "--net", "--", "sh", "-c", "read go && exec \"$0\" \"$@\""));
    wrapped.addAll(command);
    return wrapped;
  }

  /**
   * Links the namespace of {@code process} (started from {@link #wrap}) to the hub as controller
   * {@code index}, then lets it run its command. The process keeps its id through {@code unshare}
   * and {@code exec}, so signals reach the command.
   */
  static void attach(Process process, int index) throws Exception {
    long pid = process.pid();
    Path own = Files.readSymbolicLink(Path.of("/proc/self/ns/net"));
    Path theirs = Path.of("/proc/" + pid + "/ns/net");
    long giveUp = System.nanoTime() + UNSHARE_LIMIT.toNanos();
    // unshare(2) runs in the child before it execs sh; until then the child shares our namespace.
    while (!namespaceOf(theirs).map(ns -> !ns.equals(own)).orElse(false)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("unshare --net exited with " + process.exitValue() + " before its namespace existed");
      }
      if (System.nanoTime() > giveUp) {
        throw new IllegalStateException("process " + pid + " had no network namespace of its own within " + UNSHARE_LIMIT);
      }
      Thread.sleep(20);
    }
    String link = "vh" + index;
    String hubSide = "10.77." + index + ".254";
    runQuietly("ip", "link", "del", link); // a link of an earlier process that has not gone yet
    run("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", Long.toString(pid));
    run("ip", "addr", "add", hubSide + "/24", "dev", link);
    run("ip", "link", "set", link, "up");
    String inside = "--net=" + theirs;
    run("nsenter", inside, "ip", "link", "set", "lo", "up");
    run("nsenter", inside, "ip", "addr", "add", controllerHost(index) + "/24", "dev", "eth0");
    run("nsenter", inside, "ip", "link", "set", "eth0", "up");
    run("nsenter", inside, "ip", "route", "add", "default", "via", hubSide);
    process.getOutputStream().write("go\n".getBytes(StandardCharsets.US_ASCII));
    process.getOutputStream().flush();
  }

  /**
   * Drops, in the hub, every packet between controller {@code index} and each of {@code others},
   * both ways. If a rule cannot be added, those added are removed again before the failure is
   * thrown.
   */
  static void cut(int index, List<Integer> others) throws Exception {
    try {
      for (int other : others) {
        run(rule("add", index, other));
        run(rule("add", other, index));
      }
    } catch (Exception | Error e) {
      heal(index, others);
      throw e;
    }
  }

  /**
   * Undoes {@link #cut}: removes every rule it may have added, whichever are there; safe to call
   * again, or after a partial cut. Returns the hub's blackhole rules still naming controller
   * {@code index} afterwards (empty when healed).
   */
  static List<String> heal(int index, List<Integer> others) throws Exception {
    for (int other : others) {
      for (String[] rule : List.of(rule("del", index, other), rule("del", other, index))) {
        // Deleting a rule that is not there fails: delete until it does (a rule added twice needs two).
        for (int removed = 0; removed < 4 && runQuietly(rule) == null; removed++) {
          // one copy gone
        }
      }
    }
    String prefix = "10.77." + index + ".0/24";
    return output("ip", "rule", "show").lines().filter(line -> line.contains("blackhole") && line.contains(prefix))
        .toList();
  }

  private static String[] rule(String verb, int from, int to) {
    return new String[] {"ip", "rule", verb, "from", "10.77." + from + ".0/24", "to", "10.77." + to + ".0/24",
        "blackhole"};
  }

  private static Optional<Path> namespaceOf(Path link) {
    try {
      return Optional.of(Files.readSymbolicLink(link));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static void run(String... command) throws Exception {
    output(command);
  }

  /** What {@code command} printed; throws unless it succeeded. */
  private static String output(String... command) throws Exception {
    Result result = exec(command);
    if (result.exit() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + result.output().strip()
          + " (exit " + result.exit() + ")");
    }
    return result.output();
  }

  /** Runs {@code command}; null when it succeeded, else its output and exit code. */
  private static String runQuietly(String... command) throws Exception {
    Result result = exec(command);
    return result.exit() == 0 ? null : result.output() + " (exit " + result.exit() + ")";
  }

  /** What a command printed (standard output and error) and its exit code; -1 if it did not exit in time. */
  private record Result(int exit, String output) {}

  private static Result exec(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    if (!process.waitFor(COMMAND_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      return new Result(-1, "no exit within " + COMMAND_LIMIT);
    }
    return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}
