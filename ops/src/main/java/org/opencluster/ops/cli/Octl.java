package org.opencluster.ops.cli;

import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.audit.AuditCommand;
import org.opencluster.ops.cli.ca.CaCommand;
import org.opencluster.ops.cli.cluster.ClusterCommand;
import org.opencluster.ops.cli.dev.DevCommand;
import org.opencluster.ops.cli.file.FileCommand;
import org.opencluster.ops.cli.node.NodeCommand;
import org.opencluster.ops.cli.operator.OperatorCommand;
import org.opencluster.ops.cli.secret.SecretCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code opencluster <noun> <verb>}: the operator's command line. Exit codes: 0 success, 1 the
 * command failed (the message says why and what to do), 2 usage error.
 */
@Command(
    name = "opencluster",
    mixinStandardHelpOptions = true,
    versionProvider = Octl.Version.class,
    description = "Operate an OpenCluster controller cluster.",
    subcommands = {CaCommand.class, NodeCommand.class, FileCommand.class, SecretCommand.class, ClusterCommand.class,
        OperatorCommand.class, AuditCommand.class, DevCommand.class, CommandLine.HelpCommand.class})
public final class Octl extends CommandGroup {

  public static final int FAILURE = 1;

  public static void main(String[] args) {
    System.exit(run(CliContext.system(), args));
  }

  /** Runs one command line against {@code context}; returns the exit code. */
  public static int run(CliContext context, String... args) {
    CommandLine commandLine = new CommandLine(new Octl(), new Factory(context));
    commandLine.setOut(context.out());
    commandLine.setErr(context.err());
    commandLine.setExecutionExceptionHandler((exception, line, parseResult) -> {
      if (exception instanceof OpsException) {
        line.getErr().println("error: " + exception.getMessage());
      } else {
        line.getErr().println("error: unexpected failure (" + exception.getClass().getSimpleName() + "): "
            + exception.getMessage());
      }
      line.getErr().flush();
      return FAILURE;
    });
    int code = commandLine.execute(args);
    context.out().flush();
    context.err().flush();
    return code;
  }

  /** Gives commands that want it the {@link CliContext}. */
  private record Factory(CliContext context) implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> type) throws Exception {
      java.lang.reflect.Constructor<K> constructor;
      try {
        constructor = type.getDeclaredConstructor(CliContext.class);
      } catch (NoSuchMethodException e) {
        return CommandLine.defaultFactory().create(type);
      }
      constructor.setAccessible(true);
      return constructor.newInstance(context);
    }
  }

  /** The build's version, from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Octl.class.getPackage().getImplementationVersion();
      return new String[] {"opencluster " + (version == null ? "(development build)" : version)};
    }
  }
}
