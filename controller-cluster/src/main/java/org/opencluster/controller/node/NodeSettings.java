package org.opencluster.controller.node;

import com.typesafe.config.Config;
import java.time.Duration;

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
 */
public record NodeSettings(Duration heartbeatInterval, int allowedMisses, Duration deadlineGrace, Duration leaseDuration,
    Duration credentialRotationInterval, Duration maxLifetime, int snapshotEvery) {

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
  }

  public static NodeSettings create(Config config) {
    Config node = config.getConfig("opencluster.controller.node");
    return new NodeSettings(node.getDuration("heartbeat-interval"), node.getInt("allowed-misses"),
        node.getDuration("deadline-grace"), node.getDuration("lease-duration"),
        node.getDuration("credential-rotation-interval"), node.getDuration("max-lifetime"), node.getInt("snapshot-every"));
  }

  /** How long a node may stay silent before it is deemed compromised. */
  public Duration heartbeatDeadline() {
    return heartbeatInterval.multipliedBy(allowedMisses).plus(deadlineGrace);
  }
}
