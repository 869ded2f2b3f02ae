package org.opencluster.controller.secrets;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.StatusReply;
import org.opencluster.controller.node.NodeEnvironment;

/**
 * How node entities reach the rotating secrets' entities, through sharding: what a node holds is
 * told (fire and forget: the node tells again with its next set, and the secret ignores repeats);
 * a compromise is asked, and answered once the secret noted it.
 */
public final class ShardedSecretConsumers implements NodeEnvironment.SecretConsumers {

  private final ActorSystem<?> system;
  private final Duration askTimeout;

  public ShardedSecretConsumers(ActorSystem<?> system, Duration askTimeout) {
    this.system = system;
    this.askTimeout = askTimeout;
  }

  @Override
  public void holds(String secret, long version, String nodeId, boolean live) {
    SecretEntity.ref(system, secret).tell(new SecretEntity.ConsumerAcked(nodeId, version, live));
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
