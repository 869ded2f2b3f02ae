package org.opencluster.ops.cli.operator;

import org.opencluster.protocol.pki.Identity;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Checks a controller name before it goes into a URL path; a bad one is a usage error (exit 2). */
final class ControllerNames {

  private ControllerNames() {}

  static String require(CommandSpec spec, String name) {
    if (!Identity.isValidName(name)) {
      throw new ParameterException(spec.commandLine(), "invalid controller name '" + name
          + "': 1..63 characters of a-z, 0-9, '.', '_', '-'");
    }
    return name;
  }
}
