package org.opencluster.controller.provisioning;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs one kind of attempt on the executor, retrying with exponential backoff up to the bound. */
final class RetryingHook implements ProvisionerHook {

  private static final Logger LOG = LoggerFactory.getLogger(ProvisionerHook.class);

  /** One blocking try; throws with a message that holds no secret. */
  interface Attempt {
    void run(String nodeId, String reason, Instant quarantinedAt) throws ProvisionerHookException;
  }

  private final Attempt attempt;
  private final ProvisionerSettings settings;
  private final Executor executor;

  RetryingHook(Attempt attempt, ProvisionerSettings settings, Executor executor) {
    this.attempt = attempt;
    this.settings = settings;
    this.executor = executor;
  }

  @Override
  public CompletionStage<Done> recreate(String nodeId, String reason, Instant quarantinedAt) {
    CompletableFuture<Done> result = new CompletableFuture<>();
    executor.execute(() -> tryOnce(1, nodeId, reason, quarantinedAt, result));
    return result;
  }

  private void tryOnce(int number, String nodeId, String reason, Instant quarantinedAt, CompletableFuture<Done> result) {
    try {
      attempt.run(nodeId, reason, quarantinedAt);
      LOG.info("Node {}: the provisioner hook ({}) reported done", nodeId, attempt);
      result.complete(Done.getInstance());
    } catch (ProvisionerHookException | RuntimeException e) {
      int attempts = settings.retries() + 1;
      if (number >= attempts) {
        LOG.error("Node {}: the provisioner hook ({}) failed {} of {} attempts, giving up until the node recovers: {}",
            nodeId, attempt, number, attempts, e.getMessage());
        result.completeExceptionally(new ProvisionerHookException(
            "failed after " + attempts + " attempt" + (attempts == 1 ? "" : "s") + ": " + e.getMessage()));
        return;
      }
      long wait = settings.backoffBefore(number + 1).toMillis();
      LOG.warn("Node {}: the provisioner hook ({}) failed attempt {} of {}, retrying in {} ms: {}",
          nodeId, attempt, number, attempts, wait, e.getMessage());
      CompletableFuture.delayedExecutor(wait, TimeUnit.MILLISECONDS, executor)
          .execute(() -> tryOnce(number + 1, nodeId, reason, quarantinedAt, result));
    }
  }

  @Override
  public String toString() {
    return attempt.toString();
  }
}
