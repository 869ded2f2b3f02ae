package org.opencluster.ops.cli;

import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Names of secure files and shared secrets ({@code db/orders.conf}), checked before they go into
 * a URL path as they are; a bad one is a usage error (exit 2).
 *
 * <p>The controller's rule: 1..128 characters of {@code a-z 0-9 . _ - /}, starting with a letter
 * or digit, with no {@code ..}, no {@code //} and no trailing {@code /}. A {@code .} segment
 * ({@code a/./b}) is refused here too: URL normalisation would send another name.
 */
public final class StoreNames {

  /** The rule, as a usage error states it. */
  public static final String RULE = "1..128 characters of a-z, 0-9, '.', '_', '-', '/', starting with a letter or "
      + "digit, with no '..', '//', '/./' or trailing '/' or '/.'";

  private static final Pattern FORM = Pattern.compile("[a-z0-9][a-z0-9._/-]{0,127}");

  private StoreNames() {}

  public static boolean isValid(String name) {
    return name != null && FORM.matcher(name).matches() && !name.contains("..") && !name.contains("//")
        && !name.contains("/./") && !name.endsWith("/") && !name.endsWith("/.");
  }

  /** {@code name} if valid; else a usage error naming {@code kind} ("file", "secret"). */
  public static String require(CommandSpec spec, String kind, String name) {
    if (!isValid(name)) {
      throw new ParameterException(spec.commandLine(), "invalid " + kind + " name '" + name + "': " + RULE);
    }
    return name;
  }
}
