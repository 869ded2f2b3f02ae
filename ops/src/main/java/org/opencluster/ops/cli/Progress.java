package org.opencluster.ops.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A progress line on standard error for operations that take a while (following thousands of
 * nodes page by page), redrawn in place. Shown only on a terminal, so scripts and {@code --json}
 * output never see it: {@code OPENCLUSTER_PROGRESS} = {@code auto} (the default: when there is a
 * terminal), {@code always} or {@code never}.
 */
public final class Progress implements AutoCloseable {

  public static final String VARIABLE = "OPENCLUSTER_PROGRESS";
  private static final int WIDTH = 30;

  private final PrintWriter err;
  private final boolean shown;
  private final String what;
  private final long total;
  private long done;
  private int drawn;

  private Progress(PrintWriter err, boolean shown, String what, long total) {
    this.err = err;
    this.shown = shown;
    this.what = what;
    this.total = total;
  }

  /**
   * @param total how many there will be, or -1 when unknown (a count is shown instead of a bar)
   * @param machineOutput true for {@code --json}: never shown
   */
  public static Progress start(CliContext context, String what, long total, boolean machineOutput) {
    String mode = context.variable(VARIABLE).orElse("auto").toLowerCase(Locale.ROOT);
    boolean shown = !machineOutput && switch (mode) {
      case "always" -> true;
      case "never" -> false;
      default -> System.console() != null;
    };
    return new Progress(context.err(), shown, what, total);
  }

  /** {@code count} more done. */
  public void advance(long count) {
    done += count;
    if (!shown) {
      return;
    }
    String line;
    if (total > 0) {
      long percent = Math.min(100, done * 100 / total);
      int filled = (int) (WIDTH * percent / 100);
      line = String.format(Locale.ROOT, "%s [%s%s] %3d%% (%d/%d)", what, "#".repeat(filled), "-".repeat(WIDTH - filled),
          percent, done, total);
    } else {
      line = what + ": " + done;
    }
    err.print("\r" + line + " ".repeat(Math.max(0, drawn - line.length())));
    err.flush();
    drawn = line.length();
  }

  public long done() {
    return done;
  }

  /** Clears the line, so what the command prints next starts clean. */
  @Override
  public void close() {
    if (shown && drawn > 0) {
      err.print("\r" + " ".repeat(drawn) + "\r");
      err.flush();
    }
  }
}
