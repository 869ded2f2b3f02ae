package org.opencluster.agent;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.opencluster.protocol.logging.LogFormat;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code opencluster agent --bundle DIR [--config FILE]} or {@code opencluster agent --config FILE}
 * (the file naming the bundle in {@code opencluster.agent.bundle}): runs a node's agent until it is
 * told to stop. Exit codes: 1 could not start, 2 usage, 10 quarantined, 11 lease lapsed, 12 refused by the
 * controllers, 13 lifetime ended; SIGTERM ends it with the signal's 143. On 10 to 13 the agent has
 * wiped what it held: the host should be wiped and provisioned anew.
 */
@Command(
    name = "opencluster agent",
    mixinStandardHelpOptions = true,
    description = "Run a node's agent: enrol with the controllers, heartbeat, renew the lease, fail over between "
        + "their edges. Exit codes: 1 could not start, 2 usage, 10 quarantined, 11 lease lapsed, 12 refused, "
        + "13 lifetime ended; 143 after SIGTERM.")
public final class AgentMain implements Callable<Integer> {

  @Option(names = "--bundle", paramLabel = "DIR",
      description = "The node's bootstrap bundle from 'opencluster node register' (or opencluster.agent.bundle in "
          + "the --config file).")
  Path bundle;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Settings over the bundle's agent.conf (opencluster.agent.*: bundle, listen address, timeouts).")
  Path configFile;

  /** The exit code of a usage error. */
  static final int USAGE = 2;

  private static final String BUNDLE_SETTING = "opencluster.agent.bundle";

  public static void main(String[] args) {
    System.exit(new CommandLine(new AgentMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (LogFormat.refusal().isPresent()) {
      System.err.println("error: " + LogFormat.refusal().get());
      return 1;
    }
    AgentSettings settings;
    try {
      Config overrides = ConfigFactory.empty();
      if (configFile != null) {
        if (!Files.isRegularFile(configFile)) {
          System.err.println("error: no configuration file at " + configFile);
          return 1;
        }
        overrides = ConfigFactory.parseFile(configFile.toFile());
      }
      if (bundle == null) {
        String named = overrides.hasPath(BUNDLE_SETTING) ? overrides.getString(BUNDLE_SETTING) : "";
        if (named.isBlank()) {
          System.err.println("error: name the node's bundle: --bundle DIR, or " + BUNDLE_SETTING
              + " in the --config file");
          return USAGE;
        }
        bundle = Path.of(named);
      }
      settings = AgentSettings.load(overrides, bundle);
    } catch (IllegalArgumentException | ConfigException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    Agent agent;
    try {
      agent = Agent.start(settings, Clock.systemUTC());
    } catch (IOException | GeneralSecurityException e) {
      System.err.println("error: the bundle in " + bundle + " is not usable: " + e.getMessage());
      return 1;
    }
    Agent.Outcome outcome = agent.outcome().toCompletableFuture().get();
    agent.close();
    return outcome.exitCode();
  }
}
