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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code opencluster agent --bundle DIR [--config FILE]}: runs a node's agent until it is told to
 * stop. Exit codes: 1 could not start, 2 usage, 10 quarantined, 11 lease lapsed, 12 refused by the
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

  @Option(names = "--bundle", required = true, paramLabel = "DIR",
      description = "The node's bootstrap bundle from 'opencluster node register'.")
  Path bundle;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Settings over the bundle's agent.conf (opencluster.agent.*: listen address, timeouts).")
  Path configFile;

  public static void main(String[] args) {
    System.exit(new CommandLine(new AgentMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
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
