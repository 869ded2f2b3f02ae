package org.opencluster.ops.cli.ca;

import java.time.Duration;
import java.util.concurrent.Callable;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Converters.DurationConverter;
import org.opencluster.ops.cli.Converters.RoleConverter;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Role;
import org.opencluster.protocol.pki.SubjectAltNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description = "Issue an operator certificate (TLS client, identity opencluster://operator/NAME?role=ROLE). "
        + "The role decides what the management API lets its holder do.")
final class CaIssueOperatorCommand implements Callable<Integer> {

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "Operator name: a-z, 0-9, '.', '_', '-'.")
  String name;

  @Option(names = "--role", required = true, converter = RoleConverter.class, paramLabel = "ROLE",
      description = "admin, operator or auditor.")
  Role role;

  @Mixin
  CaIssueCommand.Options options;

  @Option(names = "--ttl", converter = DurationConverter.class, defaultValue = "30d", paramLabel = "DURATION",
      description = "Validity. Default: ${DEFAULT-VALUE}.")
  Duration validity;

  CaIssueOperatorCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    Identity identity;
    try {
      identity = Identity.operator(name, role);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    return CaIssueCommand.issue(context, options, identity, validity, SubjectAltNames.NONE);
  }
}
