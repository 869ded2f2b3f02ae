package org.opencluster.ops.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Runs {@link Octl} in process with a scripted environment and terminal; keeps what it printed. */
public final class OctlRun {

  public static final String PASSPHRASE = "correct horse battery staple";
  public static final String AGENT_PASSPHRASE = "another long agent passphrase";
  public static final String SERVICE_PASSPHRASE = "a third passphrase, for the service CA";

  private final Map<String, String> environment = new HashMap<>();
  private final Deque<String> terminalAnswers = new ArrayDeque<>();
  private boolean terminal;
  private Clock clock = Clock.systemUTC();
  private String out = "";
  private String err = "";

  public static OctlRun withPassphrase() {
    OctlRun run = new OctlRun();
    run.environment.put("OPENCLUSTER_CA_PASSPHRASE", PASSPHRASE);
    run.environment.put("OPENCLUSTER_AGENT_CA_PASSPHRASE", AGENT_PASSPHRASE);
    run.environment.put("OPENCLUSTER_SERVICE_CA_PASSPHRASE", SERVICE_PASSPHRASE);
    return run;
  }

  public static OctlRun withoutPassphrase() {
    return new OctlRun();
  }

  /** A terminal that answers prompts with {@code answers}, in order. */
  public OctlRun terminal(String... answers) {
    terminal = true;
    terminalAnswers.addAll(java.util.List.of(answers));
    return this;
  }

  public OctlRun clock(Clock clock) {
    this.clock = clock;
    return this;
  }

  public OctlRun variable(String name, String value) {
    environment.put(name, value);
    return this;
  }

  /** Sets the root CA passphrase. */
  public OctlRun passphrase(String passphrase) {
    environment.put("OPENCLUSTER_CA_PASSPHRASE", passphrase);
    return this;
  }

  /** Sets the agent CA passphrase. */
  public OctlRun agentPassphrase(String passphrase) {
    environment.put("OPENCLUSTER_AGENT_CA_PASSPHRASE", passphrase);
    return this;
  }

  /** Sets the service CA passphrase. */
  public OctlRun servicePassphrase(String passphrase) {
    environment.put("OPENCLUSTER_SERVICE_CA_PASSPHRASE", passphrase);
    return this;
  }

  /** Unsets a variable. */
  public OctlRun without(String name) {
    environment.remove(name);
    return this;
  }

  public int run(String... args) {
    StringWriter outBuffer = new StringWriter();
    StringWriter errBuffer = new StringWriter();
    CliContext.PassphrasePrompt prompt = text -> terminal && !terminalAnswers.isEmpty()
        ? Optional.of(terminalAnswers.removeFirst().toCharArray()) : Optional.empty();
    int code = Octl.run(new CliContext(environment, prompt, new PrintWriter(outBuffer), new PrintWriter(errBuffer), clock), args);
    out = outBuffer.toString();
    err = errBuffer.toString();
    return code;
  }

  public String out() {
    return out;
  }

  public String err() {
    return err;
  }
}
