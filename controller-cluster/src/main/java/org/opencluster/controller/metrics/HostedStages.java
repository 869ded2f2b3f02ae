package org.opencluster.controller.metrics;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.opencluster.controller.node.NodeEntity;

/**
 * The node entities this controller hosts, by stage, counted as they start, change stage and stop
 * here. Per controller: the fleet is the sum over the controllers. Thread-safe.
 */
final class HostedStages {

  private final Map<NodeEntity.Stage, AtomicLong> counts = new EnumMap<>(NodeEntity.Stage.class);

  HostedStages() {
    for (NodeEntity.Stage stage : NodeEntity.Stage.values()) {
      counts.put(stage, new AtomicLong());
    }
  }

  void moved(Optional<NodeEntity.Stage> from, Optional<NodeEntity.Stage> to) {
    from.ifPresent(stage -> counts.get(stage).decrementAndGet());
    to.ifPresent(stage -> counts.get(stage).incrementAndGet());
  }

  /** Every registered stage's name (lower case) and count, zeros included. */
  Map<String, Long> snapshot() {
    Map<String, Long> snapshot = new LinkedHashMap<>();
    for (Map.Entry<NodeEntity.Stage, AtomicLong> entry : counts.entrySet()) {
      if (entry.getKey() != NodeEntity.Stage.UNREGISTERED) {
        snapshot.put(entry.getKey().name().toLowerCase(Locale.ROOT), entry.getValue().get());
      }
    }
    return snapshot;
  }
}
