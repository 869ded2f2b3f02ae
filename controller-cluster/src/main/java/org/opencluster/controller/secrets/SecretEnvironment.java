package org.opencluster.controller.secrets;

import java.time.Clock;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.opencluster.controller.files.ContentCipher;
import org.opencluster.controller.files.FileDefinition.Selector;
import org.opencluster.controller.files.SharedSecret;

/**
 * What a secret entity needs from the controller it runs on.
 *
 * @param cipher every field of every version is encrypted with it before it is kept
 * @param rotators the rotator a definition names
 * @param consumers the nodes a rotation expects to acknowledge
 * @param catalog where the versions consumers read are published
 * @param rotatorCalls runs the rotators' blocking calls; its bound is the controller's bound on
 *     rotator calls at once, across all secrets
 * @param metrics how rotations end, for this controller's metrics
 */
public record SecretEnvironment(SecretSettings settings, Clock clock, ContentCipher cipher, RotatorSource rotators,
    ConsumerDirectory consumers, CatalogPublisher catalog, Executor rotatorCalls, SecretMetrics metrics) {

  /** Without metrics. */
  public SecretEnvironment(SecretSettings settings, Clock clock, ContentCipher cipher, RotatorSource rotators,
      ConsumerDirectory consumers, CatalogPublisher catalog, Executor rotatorCalls) {
    this(settings, clock, cipher, rotators, consumers, catalog, rotatorCalls, SecretMetrics.NONE);
  }

  /** How rotations end. Called on an entity's thread: must return at once. */
  public interface SecretMetrics {
    /** A rotation made its pending version current, {@code took} after it started. */
    void rotationFinished(boolean urgent, java.time.Duration took);

    /** A rotation was rolled back at {@code step}. */
    void rotationFailed(boolean urgent, SecretEntity.Step step);

    SecretMetrics NONE = new SecretMetrics() {
      @Override
      public void rotationFinished(boolean urgent, java.time.Duration took) {}

      @Override
      public void rotationFailed(boolean urgent, SecretEntity.Step step) {}
    };
  }

  /** The nodes that consume a secret. */
  @FunctionalInterface
  public interface ConsumerDirectory {
    /** The ids of the live (not quarantined, retired or expired) nodes {@code selector} matches. */
    CompletionStage<Set<String>> liveNodes(Selector selector);
  }

  /** The file catalog, as a secret entity writes to it. */
  @FunctionalInterface
  public interface CatalogPublisher {
    /** Puts the rotating secret's current (and pending) version where node entities render files from. */
    CompletionStage<Done> publish(SharedSecret secret);
  }
}
