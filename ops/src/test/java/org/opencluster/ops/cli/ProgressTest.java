package org.opencluster.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProgressTest {

  private final StringWriter err = new StringWriter();

  private CliContext context(Map<String, String> environment) {
    return new CliContext(environment, prompt -> Optional.empty(), new PrintWriter(new StringWriter()),
        new PrintWriter(err), Clock.systemUTC());
  }

  @Test
  void aKnownTotal_drawsABarInPlace_andClosingClearsTheLine() {
    try (Progress progress = Progress.start(context(Map.of(Progress.VARIABLE, "always")), "nodes", 200, false)) {
      progress.advance(100);
      assertThat(err.toString()).isEqualTo("\rnodes [###############---------------]  50% (100/200)");
      progress.advance(100);
      assertThat(err.toString()).endsWith("\rnodes [##############################] 100% (200/200)");
    }
    assertThat(err.toString()).endsWith("\r" + " ".repeat("nodes [##############################] 100% (200/200)".length()) + "\r");
  }

  @Test
  void anUnknownTotal_countsWhatIsDone() {
    try (Progress progress = Progress.start(context(Map.of(Progress.VARIABLE, "always")), "nodes read", -1, false)) {
      progress.advance(1000);
      progress.advance(7);
      assertThat(progress.done()).isEqualTo(1007);
    }
    assertThat(err.toString()).contains("\rnodes read: 1000", "\rnodes read: 1007");
  }

  @Test
  void machineOutput_never_orNoTerminal_showNothing() {
    for (Progress progress : new Progress[] {
        Progress.start(context(Map.of(Progress.VARIABLE, "always")), "nodes", 10, true),
        Progress.start(context(Map.of(Progress.VARIABLE, "never")), "nodes", 10, false),
        Progress.start(context(Map.of()), "nodes", 10, false)}) {
      progress.advance(5);
      progress.close();
    }
    assertThat(err.toString()).as("tests run without a terminal, so auto shows nothing").isEmpty();
  }
}
