package org.opencluster.ops.cli.ca;

import java.util.Arrays;
import java.util.Optional;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.CliContext;

/**
 * A passphrase that encrypts a CA key: from an environment variable, or asked on the terminal.
 * Never a command-line argument, where it would show in the process list and shell history. The
 * root key, the agent CA key and the service CA key have separate passphrases, because the agent
 * and service CA keys are handed to the controllers and the root key is not.
 */
public enum CaPassphrase {
  ROOT("OPENCLUSTER_CA_PASSPHRASE", "root CA"),
  AGENT("OPENCLUSTER_AGENT_CA_PASSPHRASE", "agent CA"),
  SERVICE("OPENCLUSTER_SERVICE_CA_PASSPHRASE", "service CA");

  static final int MIN_LENGTH = 12;

  private final String variable;
  private final String key;

  CaPassphrase(String variable, String key) {
    this.variable = variable;
    this.key = key;
  }

  /** The environment variable that gives it. */
  public String variable() {
    return variable;
  }

  /** For a new key: at least {@value #MIN_LENGTH} characters, typed twice when asked on the terminal. */
  char[] forNewKey(CliContext context) throws OpsException {
    Optional<String> fromEnvironment = context.variable(variable);
    char[] passphrase;
    if (fromEnvironment.isPresent()) {
      passphrase = fromEnvironment.get().toCharArray();
    } else {
      passphrase = ask(context, "New " + key + " passphrase: ");
      char[] again = ask(context, "Repeat the " + key + " passphrase: ");
      boolean same = Arrays.equals(passphrase, again);
      Arrays.fill(again, '\0');
      if (!same) {
        Arrays.fill(passphrase, '\0');
        throw new OpsException("the passphrases do not match; nothing was written");
      }
    }
    if (passphrase.length < MIN_LENGTH) {
      Arrays.fill(passphrase, '\0');
      throw new OpsException("the " + key + " passphrase must be at least " + MIN_LENGTH + " characters; nothing was written");
    }
    return passphrase;
  }

  /** Refuses this key's new {@code passphrase} if it is the root's, which must not go where this one goes. */
  void requireNotRoot(char[] passphrase, char[] rootPassphrase) throws OpsException {
    if (Arrays.equals(passphrase, rootPassphrase)) {
      throw new OpsException("the root CA and " + key + " passphrases must differ: the " + key + "'s is given to the "
          + "controllers, the root's is not; nothing was written");
    }
  }

  /** For an existing key. */
  public char[] forExistingKey(CliContext context) throws OpsException {
    Optional<String> fromEnvironment = context.variable(variable);
    return fromEnvironment.isPresent() ? fromEnvironment.get().toCharArray() : ask(context, key + " passphrase: ");
  }

  private char[] ask(CliContext context, String prompt) throws OpsException {
    char[] answer = context.prompt().ask(prompt)
        .orElseThrow(() -> new OpsException("no " + key + " passphrase: set " + variable + " or run in a terminal"));
    if (answer.length == 0) {
      throw new OpsException("empty " + key + " passphrase");
    }
    return answer;
  }
}
