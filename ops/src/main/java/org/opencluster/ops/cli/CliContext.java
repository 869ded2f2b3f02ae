package org.opencluster.ops.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * What a command may touch of the world: environment variables, the terminal, its output
 * streams and the clock. Tests hand in their own.
 */
public record CliContext(Map<String, String> environment, PassphrasePrompt prompt, PrintWriter out, PrintWriter err,
    Clock clock) {

  /** Reads a passphrase from the terminal without echo; empty when there is no terminal. */
  @FunctionalInterface
  public interface PassphrasePrompt {
    Optional<char[]> ask(String prompt);
  }

  /** The real environment, terminal and clock. */
  public static CliContext system() {
    Console console = System.console();
    PassphrasePrompt prompt = text -> console == null ? Optional.empty() : Optional.ofNullable(console.readPassword("%s", text));
    Charset charset = console == null ? Charset.defaultCharset() : console.charset();
    return new CliContext(System.getenv(), prompt, new PrintWriter(System.out, true, charset),
        new PrintWriter(System.err, true, charset), Clock.systemUTC());
  }

  /** The variable's value; empty when unset or empty. */
  public Optional<String> variable(String name) {
    return Optional.ofNullable(environment.get(name)).filter(v -> !v.isEmpty());
  }
}
