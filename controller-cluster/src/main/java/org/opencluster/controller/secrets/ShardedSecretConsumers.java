package org.opencluster.controller.secrets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.StatusReply;
import org.opencluster.controller.node.NodeEnvironment;

/**
 * How node entities reach the rotating secrets' entities, through sharding. What nodes hold is
 * gathered on this controller and sent every {@link #GATHER} as one {@link SecretEntity.ConsumersAcked}
 * per secret and version: a fleet's acknowledgements arrive together, and one message each would
 * fill the secret entity's stash while it journals. Fire and forget: a node reports again during a
 * distribution, and the secret ignores repeats. A compromise is asked, and answered once the secret
 * noted it.
 */
public final class ShardedSecretConsumers implements NodeEnvironment.SecretConsumers {

  static final Duration GATHER = Duration.ofMillis(200);

  private record Key(String secret, long version, boolean live) {}

  private final ActorSystem<?> system;
  private final Duration askTimeout;
  private Map<Key, List<String>> gathered = new HashMap<>();

  public ShardedSecretConsumers(ActorSystem<?> system, Duration askTimeout) {
    this.system = system;
    this.askTimeout = askTimeout;
    system.scheduler().scheduleWithFixedDelay(GATHER, GATHER, this::send, system.executionContext());
  }

  @Override
  public void holds(String secret, long version, String nodeId, boolean live) {
    synchronized (this) {
      gathered.computeIfAbsent(new Key(secret, version, live), key -> new ArrayList<>()).add(nodeId);
    }
  }

  /** Sends what was gathered since the last time, one message per secret and version. */
  private void send() {
    Map<Key, List<String>> batch;
    synchronized (this) {
      if (gathered.isEmpty()) {
        return;
      }
      batch = gathered;
      gathered = new HashMap<>();
    }
    batch.forEach((key, nodes) -> SecretEntity.ref(system, key.secret())
        .tell(new SecretEntity.ConsumersAcked(nodes, key.version(), key.live())));
  }

  @Override
  public CompletionStage<Done> compromised(String secret, String nodeId) {
    return SecretEntity.ref(system, secret).<StatusReply<Done>>ask(
        replyTo -> new SecretEntity.Compromised(nodeId, replyTo), askTimeout).thenApply(reply -> {
          if (reply.isError() && reply.getError().getMessage().startsWith(SecretEntity.NOT_FOUND)) {
            return Done.getInstance(); // no such secret: nothing to rotate (it never existed or was never created)
          }
          return reply.getValue();
        });
  }
}
