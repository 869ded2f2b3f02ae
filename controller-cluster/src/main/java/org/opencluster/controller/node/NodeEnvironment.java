package org.opencluster.controller.node;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.function.Supplier;
import org.opencluster.controller.audit.SecurityEvents;
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
 */
public record NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
    Revocations revocations, FileSource files, SecurityEvents audit, NodeMetrics metrics) {

  /** Without an audit log or metrics. */
  public NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
      Revocations revocations, FileSource files) {
    this(settings, clock, controllerKeys, revocations, files, SecurityEvents.NONE, NodeMetrics.NONE);
  }

  /** Without metrics. */
  public NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
      Revocations revocations, FileSource files, SecurityEvents audit) {
    this(settings, clock, controllerKeys, revocations, files, audit, NodeMetrics.NONE);
  }

  /** Without an audit log. */
  public NodeEnvironment(NodeSettings settings, Clock clock, Supplier<KeyMaterial> controllerKeys,
      Revocations revocations, FileSource files, NodeMetrics metrics) {
    this(settings, clock, controllerKeys, revocations, files, SecurityEvents.NONE, metrics);
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
}
