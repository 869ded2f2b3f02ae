package org.opencluster.protocol.edge;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.remote.artery.tcp.SSLEngineProviderSetup;
import org.opencluster.protocol.tls.ArteryTls;
import org.opencluster.protocol.tls.ReloadingTlsContext;

/**
 * An actor system on the edge link: a controller's edge, an agent, the fleet simulator's agents.
 * Artery {@code tls-tcp} with the given TLS context, untrusted mode, Java serialization off, only
 * the named paths reachable by actor selection ({@link EdgeConfig}), logging through SLF4J.
 */
public final class EdgeSystem {

  private EdgeSystem() {}

  /**
   * Starts one, listening on {@code host:port} (0: any free port).
   *
   * @param trustedSelectionPaths the only paths others may reach by selection (none for an agent)
   * @param stopOnJvmShutdown whether SIGTERM runs its coordinated shutdown (an agent process: yes)
   * @param overrides settings over these (dispatcher sizes, log level; an attacker's, in tests)
   */
  public static ActorSystem start(String name, String host, int port, List<String> trustedSelectionPaths,
      boolean stopOnJvmShutdown, ReloadingTlsContext tls, Config overrides, ClassLoader loader) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("pekko.remote.artery.canonical.hostname", host);
    settings.put("pekko.remote.artery.canonical.port", port);
    settings.put("pekko.remote.artery.trusted-selection-paths", List.copyOf(trustedSelectionPaths));
    settings.put("pekko.coordinated-shutdown.exit-jvm", "off");
    settings.put("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", stopOnJvmShutdown ? "on" : "off");
    settings.put("pekko.loggers", List.of("org.apache.pekko.event.slf4j.Slf4jLogger"));
    settings.put("pekko.logging-filter", "org.apache.pekko.event.slf4j.Slf4jLoggingFilter");
    Config config = overrides.withFallback(EdgeConfig.create(settings, loader));
    return ActorSystem.create(name, ActorSystemSetup.create(BootstrapSetup.create(config),
        SSLEngineProviderSetup.create(system -> new ArteryTls(tls))));
  }

  /** The port it listens on. */
  public static int port(ActorSystem system) {
    return ((ExtendedActorSystem) system).provider().getDefaultAddress().getPort().get().intValue();
  }

  /**
   * Terminates it and waits at most {@code within}; false if it did not finish in time (Artery can
   * stall at shutdown, apache/pekko#3247: the caller goes on regardless).
   */
  public static boolean terminate(ActorSystem system, Duration within) {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(within.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }
}
