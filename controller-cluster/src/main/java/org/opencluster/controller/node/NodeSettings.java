package org.opencluster.controller.node;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;

/**
 * How the controllers keep nodes on a short leash ({@code opencluster.controller.node}, see
 * reference.conf).
 *
 * @param heartbeatInterval how often agents heartbeat
 * @param allowedMisses heartbeats a node may miss in a row
 * @param deadlineGrace slack on top, for network and GC pauses
 * @param leaseDuration how long a config lease lasts after a heartbeat
 * @param credentialRotationInterval how often the node's own credentials rotate
 * @param maxLifetime the longest lifetime a node may be registered with
 * @param snapshotEvery events between snapshots
 * @param sessionSilence how long a session must have been silent before a reusable node may enrol
 *     again; a new enrolment from another boot while the session is live is a clone
 * @param helloMaxSkew how far an agent's clock may be from the controller's (its Hello is refused
 *     otherwise; after a fail-over, frames made longer ago than this are refused)
 * @param maxFramePayloadBytes the largest frame payload accepted from an agent
 * @param heartbeatBucket the read model's resolution of a node's last heartbeat: a node's first
 *     heartbeat in a new bucket updates its row of {@code node_view} (through
 *     {@code view.HeartbeatBucketWriter}, never the journal), others do not
 */
public record NodeSettings(Duration heartbeatInterval, int allowedMisses, Duration deadlineGrace, Duration leaseDuration,
    Duration credentialRotationInterval, Duration maxLifetime, int snapshotEvery, Duration sessionSilence,
    Duration helloMaxSkew, int maxFramePayloadBytes, Duration heartbeatBucket) {

  public NodeSettings {
    if (allowedMisses < 1) {
      throw new IllegalArgumentException("opencluster.controller.node.allowed-misses must be at least 1");
    }
    if (leaseDuration.compareTo(heartbeatInterval) <= 0) {
      throw new IllegalArgumentException("opencluster.controller.node.lease-duration must be longer than the heartbeat interval");
    }
    if (snapshotEvery < 1) {
      throw new IllegalArgumentException("opencluster.controller.node.snapshot-every must be at least 1");
    }
    if (sessionSilence.compareTo(heartbeatInterval) <= 0
        || sessionSilence.compareTo(heartbeatInterval.multipliedBy(allowedMisses).plus(deadlineGrace)) >= 0) {
      throw new IllegalArgumentException("opencluster.controller.node.session-silence must be longer than the heartbeat "
          + "interval and shorter than the heartbeat deadline (interval x allowed-misses + deadline-grace)");
    }
    if (helloMaxSkew.isNegative() || helloMaxSkew.isZero()) {
      throw new IllegalArgumentException("opencluster.controller.node.hello-max-skew must be positive");
    }
    if (maxFramePayloadBytes < 1024) {
      throw new IllegalArgumentException("opencluster.controller.node.max-frame-payload must be at least 1 KiB");
    }
    if (heartbeatBucket.compareTo(heartbeatInterval) < 0 || heartbeatBucket.toMillis() < 1000) {
      throw new IllegalArgumentException("opencluster.controller.node.heartbeat-bucket must be at least a second and "
          + "no shorter than the heartbeat interval (each bucket a node heartbeats in is one write to the read model)");
    }
  }

  /** With the edge's defaults: silence of two heartbeats, 60 s of skew, 64 KiB frames, 1 h heartbeat buckets. */
  public NodeSettings(Duration heartbeatInterval, int allowedMisses, Duration deadlineGrace, Duration leaseDuration,
      Duration credentialRotationInterval, Duration maxLifetime, int snapshotEvery) {
    this(heartbeatInterval, allowedMisses, deadlineGrace, leaseDuration, credentialRotationInterval, maxLifetime,
        snapshotEvery, defaultSilence(heartbeatInterval, heartbeatInterval.multipliedBy(allowedMisses).plus(deadlineGrace)),
        Duration.ofSeconds(60), 64 * 1024, Duration.ofHours(1));
  }

  /** Two heartbeats, or half way from one heartbeat to the deadline if that is sooner. */
  private static Duration defaultSilence(Duration interval, Duration deadline) {
    Duration twice = interval.multipliedBy(2);
    return twice.compareTo(deadline) < 0 ? twice : interval.plus(deadline.minus(interval).dividedBy(2));
  }

  public static NodeSettings create(Config config) {
    Config node = config.getConfig("opencluster.controller.node");
    Duration interval = node.getDuration("heartbeat-interval");
    Duration deadline = interval.multipliedBy(node.getInt("allowed-misses")).plus(node.getDuration("deadline-grace"));
    Duration silence = "auto".equals(node.getString("session-silence"))
        ? defaultSilence(interval, deadline) : node.getDuration("session-silence");
    return new NodeSettings(interval, node.getInt("allowed-misses"),
        node.getDuration("deadline-grace"), node.getDuration("lease-duration"),
        node.getDuration("credential-rotation-interval"), node.getDuration("max-lifetime"), node.getInt("snapshot-every"),
        silence, node.getDuration("hello-max-skew"), Math.toIntExact(node.getBytes("max-frame-payload")),
        node.getDuration("heartbeat-bucket"));
  }

  /** Where the heartbeat bucket holding {@code at} starts: a multiple of the bucket size since the epoch. */
  public Instant heartbeatBucketOf(Instant at) {
    long size = heartbeatBucket.toMillis();
    return Instant.ofEpochMilli(Math.floorDiv(at.toEpochMilli(), size) * size);
  }

  /** How long a node may stay silent before it is deemed compromised. */
  public Duration heartbeatDeadline() {
    return heartbeatInterval.multipliedBy(allowedMisses).plus(deadlineGrace);
  }
}
