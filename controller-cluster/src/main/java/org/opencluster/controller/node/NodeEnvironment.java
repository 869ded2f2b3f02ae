package org.opencluster.controller.node;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.function.Supplier;
import org.opencluster.controller.audit.SecurityEvents;
import org.opencluster.controller.provisioning.ProvisionerHook;
import org.opencluster.protocol.tls.KeyMaterial;

/**
 * What a node entity needs from the controller it runs on.
 *
 * @param controllerKeys this controller's certificate and key: Welcomes are signed with it
 * @param revocations where a quarantined or retired node's certificate goes, so every edge refuses
 *     it at the TLS handshake
 * @param files the secure files to deliver to agents
 * @param audit where a quarantine is recorded
 * @param metrics heartbeats, quarantines, journal writes and hosted stages, for this controller's
 *     metrics
 * @param heartbeatBuckets where a heartbeat in a new heartbeat bucket is reported, for the read
 *     model; never the journal
 * @param provisioner asked to recreate the host of a node once it is quarantined;
 *     {@link ProvisionerHook#NONE} when none is configured
 * @param secrets the rotating secrets' entities: told which versions the node holds, and asked to
 *     rotate when a node that could read them is quarantined
 * @param clusterChanges when the controller cluster last changed, as this controller saw it: a
 *     node silent across such a change gets its heartbeat deadline restarted from it, up to twice
 *     the deadline after its last heartbeat
 */
public record NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
    Revocations revocations, FileSource files, SecurityEvents audit, NodeMetrics metrics,
    HeartbeatBuckets heartbeatBuckets, ProvisionerHook provisioner, SecretConsumers secrets,
    ClusterChanges clusterChanges) {

  public NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
      Revocations revocations, FileSource files, SecurityEvents audit, NodeMetrics metrics,
      HeartbeatBuckets heartbeatBuckets, ProvisionerHook provisioner, SecretConsumers secrets) {
    this(settings, clock, controllerKeys, revocations, files, audit, metrics, heartbeatBuckets, provisioner, secrets,
        ClusterChanges.NONE);
  }

  public NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
      Revocations revocations, FileSource files, SecurityEvents audit, NodeMetrics metrics,
      HeartbeatBuckets heartbeatBuckets, ProvisionerHook provisioner) {
    this(settings, clock, controllerKeys, revocations, files, audit, metrics, heartbeatBuckets, provisioner,
        SecretConsumers.NONE);
  }

  /** Without a provisioner hook. */
  public NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
      Revocations revocations, FileSource files, SecurityEvents audit, NodeMetrics metrics,
      HeartbeatBuckets heartbeatBuckets) {
    this(settings, clock, controllerKeys, revocations, files, audit, metrics, heartbeatBuckets, ProvisionerHook.NONE);
  }

  /** This environment, with {@code hook} asked to recreate quarantined nodes' hosts. */
  public NodeEnvironment withProvisioner(ProvisionerHook hook) {
    return new NodeEnvironment(settings, clock, controllerKeys, revocations, files, audit, metrics, heartbeatBuckets, hook,
        secrets, clusterChanges);
  }

  /** This environment, with the rotating secrets' entities reached through {@code consumers}. */
  public NodeEnvironment withSecrets(SecretConsumers consumers) {
    return new NodeEnvironment(settings, clock, controllerKeys, revocations, files, audit, metrics, heartbeatBuckets,
        provisioner, consumers, clusterChanges);
  }

  /** This environment, with the controller cluster's changes seen through {@code changes}. */
  public NodeEnvironment withClusterChanges(ClusterChanges changes) {
    return new NodeEnvironment(settings, clock, controllerKeys, revocations, files, audit, metrics, heartbeatBuckets,
        provisioner, secrets, changes);
  }

  /** Without an audit log, metrics or a read model. */
  public NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
      Revocations revocations, FileSource files) {
    this(settings, clock, controllerKeys, revocations, files, SecurityEvents.NONE, NodeMetrics.NONE,
        HeartbeatBuckets.NONE);
  }

  /** Without metrics or a read model. */
  public NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
      Revocations revocations, FileSource files, SecurityEvents audit) {
    this(settings, clock, controllerKeys, revocations, files, audit, NodeMetrics.NONE, HeartbeatBuckets.NONE);
  }

  /** Without metrics. */
  public NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
      Revocations revocations, FileSource files, SecurityEvents audit, HeartbeatBuckets heartbeatBuckets) {
    this(settings, clock, controllerKeys, revocations, files, audit, NodeMetrics.NONE, heartbeatBuckets);
  }

  /** Without a read model. */
  public NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
      Revocations revocations, FileSource files, SecurityEvents audit, NodeMetrics metrics) {
    this(settings, clock, controllerKeys, revocations, files, audit, metrics, HeartbeatBuckets.NONE);
  }

  /** Without an audit log. */
  public NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
      Revocations revocations, FileSource files, NodeMetrics metrics) {
    this(settings, clock, controllerKeys, revocations, files, SecurityEvents.NONE, metrics, HeartbeatBuckets.NONE);
  }

  /** Without secure files. */
  public NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
      Revocations revocations) {
    this(settings, clock, controllerKeys, revocations, FileSource.NONE);
  }

  /** Puts certificates on the cluster's deny list. */
  @FunctionalInterface
  public interface Revocations {
    void revoke(X509Certificate certificate);

    /** For tests and tools that run entities without a cluster. */
    Revocations NONE = certificate -> { };
  }

  /** The rotating secrets (SecretEntity), as a node entity reaches them. */
  public interface SecretConsumers {
    /**
     * Node {@code nodeId} holds version {@code version} of rotating secret {@code secret}: staged, or
     * {@code live} in the files it serves; returns at once.
     */
    void holds(String secret, long version, String nodeId, boolean live);

    /**
     * Node {@code nodeId}, which could read rotating secret {@code secret}, is deemed compromised; done
     * once the secret's entity noted it (and will rotate without the node).
     */
    java.util.concurrent.CompletionStage<org.apache.pekko.Done> compromised(String secret, String nodeId);

    /** For tests and tools that run entities without rotating secrets. */
    SecretConsumers NONE = new SecretConsumers() {
      @Override
      public void holds(String secret, long version, String nodeId, boolean live) {}

      @Override
      public java.util.concurrent.CompletionStage<org.apache.pekko.Done> compromised(String secret, String nodeId) {
        return java.util.concurrent.CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
      }
    };
  }

  /**
   * When the controller cluster last changed as this controller saw it: a controller joined,
   * left, was removed, or became unreachable or reachable again. Agents move between controllers
   * then, and shards with them. Read on the entity's thread: must return at once.
   */
  @FunctionalInterface
  public interface ClusterChanges {
    /** The last change seen, or empty if none since this controller started. */
    java.util.Optional<Instant> lastChange();

    /** For tests and tools that run entities without a cluster: nothing ever changes. */
    ClusterChanges NONE = java.util.Optional::empty;
  }

  /**
   * Takes the heartbeat buckets nodes enter, for the read model ({@code view.HeartbeatBucketWriter}).
   * Called on the entity's thread: must return at once, never block.
   */
  @FunctionalInterface
  public interface HeartbeatBuckets {
    /** Node {@code nodeId} heartbeat in the bucket that starts at {@code bucket}, which it had not been seen in. */
    void entered(String nodeId, Instant bucket);

    /** For tests and tools that run entities without a read model. */
    HeartbeatBuckets NONE = (nodeId, bucket) -> { };
  }
}
