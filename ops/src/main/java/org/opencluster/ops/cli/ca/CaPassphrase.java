package org.opencluster.ops.cli.ca;

import java.util.Arrays;
import java.util.Optional;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.CliContext;

/**
 * The passphrase that encrypts the CA keys: from {@value #VARIABLE}, or asked on the terminal.
 * Never a command-line argument, where it would show in the process list and shell history.
 */
final class CaPassphrase {

  static final String VARIABLE = "OPENCLUSTER_CA_PASSPHRASE";
  static final int MIN_LENGTH = 12;

  private CaPassphrase() {}

  /** For a new CA: at least {@value #MIN_LENGTH} characters, typed twice when asked on the terminal. */
  static char[] forNewCa(CliContext context) throws OpsException {
    Optional<String> fromEnvironment = context.variable(VARIABLE);
    char[] passphrase;
    if (fromEnvironment.isPresent()) {
      passphrase = fromEnvironment.get().toCharArray();
    } else {
      passphrase = ask(context, "New CA passphrase: ");
      char[] again = ask(context, "Repeat the CA passphrase: ");
      boolean same = Arrays.equals(passphrase, again);
      Arrays.fill(again, '\0');
      if (!same) {
        Arrays.fill(passphrase, '\0');
        throw new OpsException("the passphrases do not match; nothing was written");
      }
    }
    if (passphrase.length < MIN_LENGTH) {
      Arrays.fill(passphrase, '\0');
      throw new OpsException("the CA passphrase must be at least " + MIN_LENGTH + " characters; nothing was written");
    }
    return passphrase;
  }

  /** For an existing CA. */
  static char[] forExistingCa(CliContext context) throws OpsException {
    Optional<String> fromEnvironment = context.variable(VARIABLE);
    return fromEnvironment.isPresent() ? fromEnvironment.get().toCharArray() : ask(context, "CA passphrase: ");
  }

  private static char[] ask(CliContext context, String prompt) throws OpsException {
    char[] answer = context.prompt().ask(prompt)
        .orElseThrow(() -> new OpsException("no CA passphrase: set " + VARIABLE + " or run in a terminal"));
    if (answer.length == 0) {
      throw new OpsException("empty CA passphrase");
    }
    return answer;
  }
}
