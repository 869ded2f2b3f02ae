package org.opencluster.agent.files;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the agent's memory, and the secrets in it, out of core dumps and away from other processes.
 *
 * <p>{@link #apply()} makes the process non-dumpable ({@code prctl(PR_SET_DUMPABLE, 0)}: no core dump,
 * no ptrace attach by other users, {@code /proc/PID/mem} and friends owned by root), checks it with
 * {@code PR_GET_DUMPABLE}, sets the core size limit to zero (a {@code fs.suid_dumpable = 2} host would
 * otherwise still dump a non-dumpable process), and reads {@code /proc/swaps}: locked memory is never
 * swapped, but an active swap device is worth an operator's attention (tmpfs pages can be swapped).
 * It can be applied again at no cost.
 */
public final class ProcessHardening {

  /**
   * What the hardening achieved; {@link #problems()} lists what falls short, for the caller to log.
   *
   * @param nonDumpable {@code PR_GET_DUMPABLE} answers 0
   * @param coreLimitZero the core size limit (soft and hard) is 0
   * @param activeSwap the swap devices or files in use, as {@code /proc/swaps} names them
   */
  public record Result(boolean nonDumpable, boolean coreLimitZero, List<String> activeSwap, List<String> problems) {

    public Result {
      activeSwap = List.copyOf(activeSwap);
      problems = List.copyOf(problems);
    }

    /** Core dumps are off; swap may still be on (a warning, not a failure). */
    public boolean hardened() {
      return nonDumpable && coreLimitZero;
    }
  }

  private static final Path SWAPS = Path.of("/proc/swaps");

  private ProcessHardening() {}

  /** Makes this process non-dumpable, its core limit zero, and reports on swap. */
  public static Result apply() {
    Libc libc = Libc.get();
    List<String> problems = new ArrayList<>();
    boolean nonDumpable = false;
    try {
      libc.prctl(Libc.PR_SET_DUMPABLE, 0, 0, 0, 0);
      nonDumpable = libc.prctl(Libc.PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
      if (!nonDumpable) {
        problems.add("the process is still dumpable after prctl(PR_SET_DUMPABLE, 0)");
      }
    } catch (LastErrorException e) {
      problems.add("could not make the process non-dumpable: prctl failed with " + e.getMessage());
    }
    boolean coreLimitZero = false;
    try {
      libc.setrlimit(Libc.RLIMIT_CORE, new long[] {0, 0});
      long[] limits = new long[2];
      libc.getrlimit(Libc.RLIMIT_CORE, limits);
      coreLimitZero = limits[0] == 0 && limits[1] == 0;
      if (!coreLimitZero) {
        problems.add("the core size limit is still " + limits[0] + "/" + limits[1]);
      }
    } catch (LastErrorException e) {
      problems.add("could not set the core size limit to 0: " + e.getMessage());
    }
    List<String> swap = activeSwap(problems);
    if (!swap.isEmpty()) {
      problems.add("swap is active (" + String.join(", ", swap) + "): secure-file memory is locked and never "
          + "swapped, but tmpfs pages can be; turn swap off (swapoff -a) or encrypt it");
    }
    return new Result(nonDumpable, coreLimitZero, swap, problems);
  }

  /** Whether this process is non-dumpable now. */
  public static boolean isNonDumpable() {
    return Libc.get().prctl(Libc.PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
  }

  private static List<String> activeSwap(List<String> problems) {
    List<String> swap = new ArrayList<>();
    try {
      List<String> lines = Files.readAllLines(SWAPS);
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        String[] fields = line.trim().split("\\s+");
        if (!fields[0].isEmpty()) {
          swap.add(fields[0]);
        }
      }
    } catch (NoSuchFileException e) {
      problems.add("cannot tell whether swap is active: " + SWAPS + " does not exist (is /proc mounted?)");
    } catch (IOException e) {
      problems.add("cannot tell whether swap is active: " + SWAPS + ": " + e.getMessage());
    }
    return swap;
  }
}
