package org.opencluster.ops.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** A noun with verbs below it (`opencluster ca`): run alone, it is a usage error listing them. */
public abstract class CommandGroup implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(),
        "missing a command: one of " + String.join(", ", spec.subcommands().keySet()));
  }
}
