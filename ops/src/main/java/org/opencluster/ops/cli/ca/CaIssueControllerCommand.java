package org.opencluster.ops.cli.ca;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Converters.DurationConverter;
import org.opencluster.ops.cli.Converters.IpAddressConverter;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.SubjectAltNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "controller",
    mixinStandardHelpOptions = true,
    description = "Issue a controller certificate (TLS server and client, identity opencluster://controller/NAME). "
        + "Give every host name and address clients use to reach it with --san-dns and --san-ip.")
final class CaIssueControllerCommand implements Callable<Integer> {

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "Controller name: a-z, 0-9, '.', '_', '-'.")
  String name;

  @Mixin
  CaIssueCommand.Options options;

  @Option(names = "--ttl", converter = DurationConverter.class, defaultValue = "365d",
      paramLabel = "DURATION", description = "Validity. Default: ${DEFAULT-VALUE}.")
  Duration validity;

  @Option(names = "--san-dns", paramLabel = "HOST", description = "A DNS name of the controller (repeatable).")
  List<String> dnsNames = new ArrayList<>();

  @Option(names = "--san-ip", paramLabel = "ADDRESS", converter = IpAddressConverter.class,
      description = "An IP address of the controller (repeatable).")
  List<InetAddress> ipAddresses = new ArrayList<>();

  CaIssueControllerCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    Identity identity;
    SubjectAltNames altNames;
    try {
      identity = Identity.controller(name);
      altNames = new SubjectAltNames(dnsNames, ipAddresses);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    int code = CaIssueCommand.issue(context, options, identity, validity, altNames);
    if (altNames.isEmpty()) {
      context.err().println("warning: no --san-dns or --san-ip: clients that check host names will refuse this certificate");
    }
    return code;
  }
}
