package org.opencluster.agent;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.opencluster.agent.files.SecureFiles;
import org.opencluster.protocol.edge.EdgeSystem;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.pki.Certificates;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.tls.KeyMaterial;
import org.opencluster.protocol.tls.ReloadingTlsContext;
import org.opencluster.protocol.tls.TlsPolicy;
import org.opencluster.protocol.tls.TlsRefusals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node agent: its own actor system (not a cluster member; Artery over TLS 1.3 with its node
 * certificate; untrusted mode), and the {@link Link} to the controllers' edges. The bundle's files
 * are the only thing it reads from disk; everything it receives stays in memory.
 */
public final class Agent implements AutoCloseable {

  /** Why an agent stopped. */
  public enum Outcome {
    /** Stopped by its operator (SIGTERM). */
    STOPPED(0),
    /** It could not run: bad bundle, unusable key. */
    FAILED(1),
    /** The controllers deemed the node compromised. */
    QUARANTINED(10),
    /** The config lease lapsed without renewal: no controller answered in time. */
    LEASE_LAPSED(11),
    /** The controllers refuse this node (retired, not registered, quarantined earlier). */
    REFUSED(12),
    /** The node's lifetime ended. */
    LIFETIME_ENDED(13);

    private final int exitCode;

    Outcome(int exitCode) {
      this.exitCode = exitCode;
    }

    /** The process exit code {@code opencluster agent} ends with. */
    public int exitCode() {
      return exitCode;
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

  private final ActorSystem system;
  private final CompletableFuture<Outcome> outcome;
  private final AgentState state;
  private final int port;

  private Agent(ActorSystem system, CompletableFuture<Outcome> outcome, AgentState state, int port) {
    this.system = system;
    this.outcome = outcome;
    this.state = state;
    this.port = port;
  }

  /**
   * Starts the agent: loads the bundle, listens, and enrols.
   *
   * @throws IOException if a bundle file cannot be read
   * @throws GeneralSecurityException if the bundle's key or certificates are unusable (a key file
   *     others may read included)
   */
  public static Agent start(AgentSettings settings, Clock clock) throws IOException, GeneralSecurityException {
    TlsRefusals refusals = new TlsRefusals(refusal -> LOG.warn("Refused a peer at the TLS handshake ({}): {}",
        refusal.reason(), refusal.getMessage()));
    // One load of the bundle: TLS and the Hello's signature use the same key and certificate.
    ReloadingTlsContext tls = ReloadingTlsContext.load(settings.certificateFile(), settings.keyFile(),
        settings.caFile(), TlsPolicy.clientOfControllers(refusals, clock), Duration.ofMinutes(1),
        failure -> LOG.warn("The bundle's files changed but do not load; keeping the previous: {}", failure.getMessage()));
    KeyMaterial material = tls.keyMaterial();
    Identity identity;
    try {
      identity = Certificates.identityOf(material.chain().get(0));
    } catch (CertificateException e) {
      throw new GeneralSecurityException(settings.certificateFile() + " names no OpenCluster identity", e);
    }
    if (identity.kind() != Identity.Kind.NODE || !identity.name().equals(settings.nodeId())) {
      throw new GeneralSecurityException(settings.certificateFile() + " is for " + identity + ", not node "
          + settings.nodeId());
    }
    String bootId = bootId(settings);
    SecureFiles files = SecureFiles.create(settings.files());

    ActorSystem system = EdgeSystem.start("opencluster-agent", settings.listenHost(), settings.listenPort(), List.of(),
        true, tls, ConfigFactory.empty(), Agent.class.getClassLoader());
    // Loaded now, so its JVM shutdown hook is in place: SIGTERM stops the agent (and its link wipes).
    CoordinatedShutdown.get(system);
    int port = EdgeSystem.port(system);
    CompletableFuture<Outcome> outcome = new CompletableFuture<>();
    AgentState state = new AgentState();
    system.actorOf(Link.props(settings, material.key(), CertificateValidator.trusting(material.trustAnchors()), bootId,
        clock, outcome, state, files), "link");
    system.getWhenTerminated().thenRun(() -> outcome.complete(Outcome.STOPPED));
    LOG.info("Agent of node {} listening on {}:{}, edges {}", settings.nodeId(), settings.listenHost(), port,
        settings.edges());
    return new Agent(system, outcome, state, port);
  }

  /** Completes when the agent stops, with why. */
  public CompletionStage<Outcome> outcome() {
    return outcome;
  }

  public AgentState state() {
    return state;
  }

  /** The port the agent listens on for its controllers. */
  public int port() {
    return port;
  }

  /** The agent's actor system, for tests. */
  public ActorSystem system() {
    return system;
  }

  @Override
  public void close() {
    if (!EdgeSystem.terminate(system, Duration.ofSeconds(10))) {
      LOG.warn("The agent's actor system did not terminate in time (apache/pekko#3247); continuing");
    }
  }

  private static String bootId(AgentSettings settings) throws IOException {
    try {
      String id = Files.readString(settings.bootIdFile(), StandardCharsets.US_ASCII).strip();
      if (id.isEmpty() || id.length() > 64) {
        throw new IOException(settings.bootIdFile() + " holds no boot id");
      }
      return id;
    } catch (NoSuchFileException e) {
      throw new IOException("no boot id at " + settings.bootIdFile() + " (opencluster.agent.boot-id-file)", e);
    }
  }
}
