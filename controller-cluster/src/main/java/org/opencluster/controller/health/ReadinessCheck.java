package org.opencluster.controller.health;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * Pekko Management's readiness check ({@code /ready}), configured in reference.conf: true only
 * when {@link Readiness} says so. A sealed controller is alive but never ready.
 */
public final class ReadinessCheck implements Supplier<CompletionStage<Boolean>> {

  private static final Duration DATABASE_TIMEOUT = Duration.ofSeconds(1);

  private final org.apache.pekko.actor.typed.ActorSystem<?> system;
  private final Readiness readiness;
  private final Executor blocking;

  public ReadinessCheck(ActorSystem system) {
    this.system = Adapter.toTyped(system);
    this.readiness = system.settings().setup().get(Readiness.class)
        .orElseThrow(() -> new IllegalStateException("no Readiness in this actor system's setup"));
    this.blocking = system.dispatchers().lookup("pekko.actor.default-blocking-io-dispatcher");
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.supplyAsync(() -> readiness.isReady(system, DATABASE_TIMEOUT), blocking);
  }
}
