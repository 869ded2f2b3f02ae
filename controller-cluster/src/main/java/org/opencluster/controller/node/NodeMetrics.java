package org.opencluster.controller.node;

import java.time.Duration;
import java.util.Optional;

/**
 * What node entities tell this controller's metrics. Called on the entity's thread: an
 * implementation only counts, cheaply and without blocking.
 */
public interface NodeMetrics {

  /** An agent's heartbeat reached its entity. */
  void heartbeat();

  /** A node was quarantined, for {@code reason}. */
  void quarantined(NodeEntity.QuarantineReason reason);

  /** An entity's journal write completed, {@code took} after the command that made it. */
  void journalWritten(Duration took);

  /**
   * An entity on this controller changed the stage it is hosted in: empty {@code from} when it
   * started here (recovered, created, moved in), empty {@code to} when it stopped here (moved out,
   * passivated, retired). Unregistered entities are never hosted.
   */
  void hosted(Optional<NodeEntity.Stage> from, Optional<NodeEntity.Stage> to);

  /** For tests and tools that run entities without metrics. */
  NodeMetrics NONE = new NodeMetrics() {
    @Override
    public void heartbeat() { }

    @Override
    public void quarantined(NodeEntity.QuarantineReason reason) { }

    @Override
    public void journalWritten(Duration took) { }

    @Override
    public void hosted(Optional<NodeEntity.Stage> from, Optional<NodeEntity.Stage> to) { }
  };
}
