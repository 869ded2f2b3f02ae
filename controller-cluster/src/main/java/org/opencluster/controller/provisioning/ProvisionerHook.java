package org.opencluster.controller.provisioning;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * Asks the infrastructure to destroy a quarantined node's host and make a new one: the last step
 * of the compromise response. Configured under {@code opencluster.controller.provisioner}
 * ({@link ProvisionerSettings}): a command or an HTTPS webhook, retried with backoff.
 *
 * <p>A node entity asks once per quarantine and journals the answer, but a controller that stops
 * between the hook's success and that journal write asks again after recovery: the hook itself
 * must be idempotent (recreating a host already recreated does nothing).
 */
public interface ProvisionerHook {

  /**
   * Asks for node {@code nodeId}'s host to be recreated. Never blocks the caller: the work runs on
   * the hook's executor.
   *
   * @param reason why the node was quarantined (lower case, for example {@code heartbeat_missed})
   * @return completes when the hook reported done; fails with {@link ProvisionerHookException}
   *     once every attempt has failed
   */
  CompletionStage<Done> recreate(String nodeId, String reason, Instant quarantinedAt);

  /** False for {@link #NONE}: nothing is asked and nothing is journaled. */
  default boolean configured() {
    return true;
  }

  /** No hook configured: quarantined hosts are left to the operator. */
  ProvisionerHook NONE = new ProvisionerHook() {
    @Override
    public CompletionStage<Done> recreate(String nodeId, String reason, Instant quarantinedAt) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public boolean configured() {
      return false;
    }

    @Override
    public String toString() {
      return "no provisioner hook";
    }
  };
}
