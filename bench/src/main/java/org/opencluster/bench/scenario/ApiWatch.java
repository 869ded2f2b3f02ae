package org.opencluster.bench.scenario;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The management API during an event: {@code GET /v1/cluster} through every controller, one
 * request every {@code interval} each, while the harness considers it serving; for at most
 * {@code maxDuration}. A failure (non-200 or no answer) counts against a controller still serving
 * when it completes; through a controller that stopped serving meanwhile (the one leaving) it is
 * counted apart.
 */
public final class ApiWatch implements AutoCloseable {

  /** Per controller: answered 200, failed while serving, failed while leaving, the last failure seen serving. */
  public record Counts(int ok, int errorsWhileServing, int errorsWhileLeaving, String lastError) {}

  private final ScenarioCluster cluster;
  private final long stopAt;
  private final ScheduledExecutorService pollers;
  private final Map<String, AtomicInteger> ok = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> leaving = new ConcurrentHashMap<>();
  private final Map<String, String> lastError = new ConcurrentHashMap<>();

  private ApiWatch(ScenarioCluster cluster, Duration maxDuration) {
    this.cluster = cluster;
    this.stopAt = System.nanoTime() + maxDuration.toNanos();
    List<String> names = cluster.names();
    this.pollers = Executors.newScheduledThreadPool(names.size(), r -> {
      Thread thread = new Thread(r, "api-watch");
      thread.setDaemon(true);
      return thread;
    });
    for (String name : names) {
      ok.put(name, new AtomicInteger());
      errors.put(name, new AtomicInteger());
      leaving.put(name, new AtomicInteger());
    }
  }

  public static ApiWatch start(ScenarioCluster cluster, Duration interval, Duration maxDuration) {
    ApiWatch watch = new ApiWatch(cluster, maxDuration);
    for (String name : cluster.names()) {
      watch.pollers.scheduleWithFixedDelay(() -> watch.probe(name), 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }
    return watch;
  }

  private void probe(String name) {
    if (System.nanoTime() > stopAt) {
      pollers.shutdown();
      return;
    }
    if (!cluster.serving().contains(name)) {
      return;
    }
    String failure;
    java.time.LocalTime asked = java.time.LocalTime.now();
    try {
      var reply = cluster.api().get(cluster.controller(name).ports().api(), "/v1/cluster");
      if (reply.status() == 200) {
        ok.get(name).incrementAndGet();
        return;
      }
      failure = "HTTP " + reply.status() + " " + reply.body().path("detail").asText();
    } catch (Exception e) {
      failure = e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    if (cluster.serving().contains(name)) {
      errors.get(name).incrementAndGet();
      // When it was asked and failed, to find it in the controllers' logs (their lines carry the time of day).
      lastError.put(name, "asked " + asked + ", failed " + java.time.LocalTime.now() + ": " + failure);
    } else {
      leaving.get(name).incrementAndGet();
    }
  }

  /** Per controller, by name. */
  public Map<String, Counts> counts() {
    Map<String, Counts> counts = new TreeMap<>();
    for (String name : ok.keySet()) {
      counts.put(name, new Counts(ok.get(name).get(), errors.get(name).get(), leaving.get(name).get(),
          lastError.getOrDefault(name, "")));
    }
    return counts;
  }

  /** Failures through controllers while they were serving, all controllers together. */
  public int errorsWhileServing() {
    return errors.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  /** Requests answered 200, all controllers together. */
  public int answered() {
    return ok.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  @Override
  public void close() throws InterruptedException {
    pollers.shutdown();
    pollers.awaitTermination(1, TimeUnit.MINUTES);
  }
}
