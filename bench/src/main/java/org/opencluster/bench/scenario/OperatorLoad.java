package org.opencluster.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An operator at work during an event: writes secure files ({@code PUT /v1/files/harness/op-N},
 * each with its own path and a selector no node matches), one every {@code interval}, round-robin
 * through the controllers the harness considers serving; at most {@code maxWrites} and never past
 * {@code maxDuration}. Every write answered 2xx is acknowledged and must be there at the end
 * ({@link #lostWrites()}). A write that fails through a controller that stopped serving meanwhile
 * (the one leaving) is counted apart from the errors of controllers that stayed up.
 */
public final class OperatorLoad implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PREFIX = "harness/op-";

  /**
   * What the load saw.
   *
   * @param attempted writes sent
   * @param acknowledged writes answered 2xx
   * @param errorsThroughServing failures (any non-2xx or no answer) through a controller still serving
   * @param errorsThroughLeaving failures through a controller that stopped serving meanwhile
   * @param errors the failures through a serving controller (the first {@value #KEPT_ERRORS}), each
   *     with its time, write and controller
   */
  public record Counts(int attempted, int acknowledged, int errorsThroughServing, int errorsThroughLeaving,
      List<String> errors) {

    /** The last failure kept, or empty. */
    public String lastError() {
      return errors.isEmpty() ? "" : errors.get(errors.size() - 1);
    }
  }

  private static final int KEPT_ERRORS = 20;

  private final ScenarioCluster cluster;
  private final int maxWrites;
  private final long stopAt;
  private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread thread = new Thread(r, "operator-load");
    thread.setDaemon(true);
    return thread;
  });
  private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
  private final AtomicInteger attempted = new AtomicInteger();
  private final AtomicInteger errorsServing = new AtomicInteger();
  private final AtomicInteger errorsLeaving = new AtomicInteger();
  private final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong turn = new AtomicLong();

  private OperatorLoad(ScenarioCluster cluster, int maxWrites, Duration maxDuration) {
    this.cluster = cluster;
    this.maxWrites = maxWrites;
    this.stopAt = System.nanoTime() + maxDuration.toNanos();
  }

  /** Starts writing: one write every {@code interval}, at most {@code maxWrites}, for at most {@code maxDuration}. */
  public static OperatorLoad start(ScenarioCluster cluster, Duration interval, int maxWrites, Duration maxDuration) {
    OperatorLoad load = new OperatorLoad(cluster, maxWrites, maxDuration);
    load.writer.scheduleWithFixedDelay(load::writeOne, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return load;
  }

  private void writeOne() {
    int n = attempted.get();
    if (n >= maxWrites || System.nanoTime() > stopAt) {
      writer.shutdown();
      return;
    }
    List<String> serving = new ArrayList<>(cluster.serving());
    if (serving.isEmpty()) {
      return;
    }
    serving.sort(null);
    String through = serving.get((int) (turn.getAndIncrement() % serving.size()));
    attempted.incrementAndGet();
    String name = String.format(Locale.ROOT, "%s%05d", PREFIX, n);
    String path = "/run/harness/op-" + n;
    String failure;
    try {
      String body = JSON.writeValueAsString(Map.of("path", path, "selector", Map.of("labels", Map.of("harness", "nobody")),
          "source", Map.of("kind", "static", "content", Base64.getEncoder().encodeToString(("write " + n).getBytes()))));
      var reply = cluster.api().put(cluster.controller(through).ports().api(), "/v1/files/" + name, body);
      if (reply.status() / 100 == 2) {
        acknowledged.put(name, path);
        return;
      }
      failure = "HTTP " + reply.status() + " " + reply.body().path("detail").asText();
    } catch (Exception e) {
      failure = e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    if (cluster.serving().contains(through)) {
      if (errorsServing.incrementAndGet() <= KEPT_ERRORS) {
        errors.add(java.time.Instant.now() + " " + name + " through " + through + ": " + failure);
      }
    } else {
      errorsLeaving.incrementAndGet();
    }
  }

  /** Stops writing and waits for the write in flight. */
  @Override
  public void close() throws InterruptedException {
    writer.shutdown();
    writer.awaitTermination(1, TimeUnit.MINUTES);
  }

  public Counts counts() {
    return new Counts(attempted.get(), acknowledged.size(), errorsServing.get(), errorsLeaving.get(), List.copyOf(errors));
  }

  /**
   * The acknowledged writes that are not there, read through {@code through}: each acknowledged
   * file must be listed with the path its write gave it.
   */
  public List<String> lostWrites(String through) throws Exception {
    var reply = cluster.api().get(cluster.controller(through).ports().api(), "/v1/files");
    if (reply.status() != 200) {
      throw new IllegalStateException("GET /v1/files through " + through + ": HTTP " + reply.status());
    }
    Map<String, String> listed = new ConcurrentHashMap<>();
    for (JsonNode file : reply.body().path("files")) {
      listed.put(file.path("name").asText(), file.path("path").asText());
    }
    List<String> lost = new ArrayList<>();
    acknowledged.forEach((name, path) -> {
      if (!path.equals(listed.get(name))) {
        lost.add(name + " (listed as " + listed.get(name) + ")");
      }
    });
    lost.sort(null);
    return lost;
  }
}
