package org.opencluster.controller;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Callable;
import org.opencluster.persistence.jdbc.StorageException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.logging.LogFormat;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code opencluster controller --config FILE}: runs one controller until it is told to stop
 * (SIGTERM runs Coordinated Shutdown: shards hand off, it leaves the cluster, the process exits).
 * Exit codes: 0 stopped normally (asked to leave; 143, as any JVM, after SIGTERM), 1 could not start, 2 usage, 3
 * refused at join (its configuration or schemas do not fit the cluster's: the log says why), 255
 * downed by the cluster (the Split Brain Resolver or an operator) or could not join.
 */
@Command(
    name = "opencluster controller",
    mixinStandardHelpOptions = true,
    versionProvider = ControllerMain.Version.class,
    description = "Run an OpenCluster controller. It starts sealed; unseal it with 'opencluster operator unseal' "
        + "(or it unseals from a peer controller that is already unsealed).")
public final class ControllerMain implements Callable<Integer> {

  static final int EXIT_INCOMPATIBLE = 3;
  static final int EXIT_DOWNED = 255;
  /** After Coordinated Shutdown's last phase, how long the actor system may take to terminate. */
  private static final Duration EXIT_WATCHDOG = Duration.ofSeconds(30);

  @Option(names = "--config", required = true, paramLabel = "FILE",
      description = "The controller's configuration (HOCON); see docs/controller.example.conf.")
  Path configFile;

  @Option(names = "--dev-unseal-key", paramLabel = "BASE64",
      description = "DEVELOPMENT ONLY, INSECURE: initialize if needed and unseal with this 32-byte key. "
          + "Anyone who sees it decrypts everything the cluster stores. Needs opencluster.controller.dev-mode = on.")
  String devUnsealKey;

  @Option(names = "--dev-unseal-key-file", paramLabel = "FILE",
      description = "DEVELOPMENT ONLY, INSECURE: as --dev-unseal-key, the key read from FILE (base64, mode 0600), "
          + "so it does not show in the process list.")
  Path devUnsealKeyFile;

  public static void main(String[] args) {
    int code = new CommandLine(new ControllerMain()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() throws Exception {
    if (LogFormat.refusal().isPresent()) {
      System.err.println("error: " + LogFormat.refusal().get());
      return 1;
    }
    Config config;
    ControllerSettings settings;
    try {
      if (!Files.isRegularFile(configFile)) {
        System.err.println("error: no configuration file at " + configFile);
        return 1;
      }
      config = ControllerConfig.load(ConfigFactory.parseFile(configFile.toFile()));
      settings = ControllerSettings.create(config);
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("error: " + configFile + ": " + e.getMessage());
      return 1;
    }
    if (devUnsealKey != null && devUnsealKeyFile != null) {
      System.err.println("error: give --dev-unseal-key or --dev-unseal-key-file, not both");
      return 2;
    }
    if (devUnsealKeyFile != null) {
      try {
        devUnsealKey = readKeyFile(devUnsealKeyFile);
      } catch (IOException e) {
        System.err.println("error: --dev-unseal-key-file: " + e.getMessage());
        return 1;
      }
    }
    SecretBytes devKey = null;
    if (devUnsealKey != null && !settings.devMode()) {
      System.err.println("error: --dev-unseal-key is refused unless the configuration says "
          + "opencluster.controller.dev-mode = on (development only, embedded H2 only)");
      return 1;
    }
    if (devUnsealKey != null) {
      try {
        devKey = SecretBytes.adopt(Base64.getDecoder().decode(devUnsealKey.getBytes(StandardCharsets.US_ASCII)));
      } catch (IllegalArgumentException e) {
        System.err.println("error: --dev-unseal-key must be base64");
        return 2;
      }
      System.err.println("WARNING: a development unseal key is for development only. It is INSECURE: "
          + (devUnsealKeyFile != null ? "anyone who can read " + devUnsealKeyFile
              : "anyone who can list this machine's processes") + " can decrypt everything this cluster stores.");
    }
    Controller controller;
    try {
      controller = Controller.start(settings, config, Clock.systemUTC());
    } catch (StorageException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    } catch (IOException | GeneralSecurityException e) {
      System.err.println("error: the controller's TLS files did not load: " + e.getMessage());
      return 1;
    }
    if (devKey != null) {
      try {
        controller.unsealWithDevelopmentKey(devKey);
      } catch (org.opencluster.persistence.keys.SealException | IllegalStateException e) {
        System.err.println("error: --dev-unseal-key refused: " + e.getMessage());
        controller.close();
        return 1;
      } finally {
        devKey.close();
      }
    }
    System.out.println("controller " + settings.name() + " running; operator API https://" + settings.api().host() + ":"
        + controller.apiPort() + ", readiness https://" + settings.health().host() + ":" + controller.healthPort() + "/ready");
    System.out.flush();
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(controller.system());
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "exit-watchdog", () -> {
      Thread watchdog = new Thread(() -> {
        try {
          Thread.sleep(EXIT_WATCHDOG.toMillis());
        } catch (InterruptedException e) {
          return;
        }
        System.err.println("controller " + settings.name() + " left, but its actor system did not terminate within "
            + EXIT_WATCHDOG.toSeconds() + "s (apache/pekko#3247); exiting");
        Runtime.getRuntime().halt(exitCode(shutdown.getShutdownReason()));
      }, "exit-watchdog");
      watchdog.setDaemon(true);
      watchdog.start();
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    controller.system().getWhenTerminated().toCompletableFuture().get();
    int code = exitCode(shutdown.getShutdownReason());
    if (code == EXIT_INCOMPATIBLE) {
      System.err.println("error: controller " + settings.name() + " was refused at join: its configuration or schemas "
          + "do not fit the running cluster's (the controller it tried to join logs which: 'Found incompatible settings'; "
          + "this one's are in its start line); see docs/operations.md, 'Upgrading controllers'");
    } else if (code != 0) {
      System.err.println("controller " + settings.name() + " was downed by the cluster or could not join it "
          + "(see the log); restart it to join again");
    }
    return code;
  }

  /** The process's exit code for why Coordinated Shutdown ran (the reason-overrides of opencluster-controller.conf). */
  static int exitCode(Optional<CoordinatedShutdown.Reason> reason) {
    if (reason.isEmpty()) {
      return 0;
    }
    CoordinatedShutdown.Reason why = reason.get();
    if (why == CoordinatedShutdown.incompatibleConfigurationDetectedReason()) {
      return EXIT_INCOMPATIBLE;
    }
    if (why == CoordinatedShutdown.clusterDowningReason() || why == CoordinatedShutdown.clusterJoinUnsuccessfulReason()) {
      return EXIT_DOWNED;
    }
    return 0;
  }

  /** The key file's one line, refusing a file others may read. */
  private static String readKeyFile(Path file) throws IOException {
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
    mode.retainAll(EnumSet.complementOf(EnumSet.of(
        PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)));
    if (!mode.isEmpty()) {
      throw new IOException(file + " is readable by others than its owner: chmod 600 it");
    }
    return Files.readString(file, StandardCharsets.US_ASCII).strip();
  }

  /** The build's version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"opencluster controller " + BuildInfo.version()};
    }
  }
}
