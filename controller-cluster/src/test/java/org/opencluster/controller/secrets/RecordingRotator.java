package org.opencluster.controller.secrets;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.opencluster.controller.rotation.RotationException;
import org.opencluster.controller.rotation.Rotator;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * A real, in-process rotator for tests: makes passwords {@code secret-value-1, -2, ...}, records
 * every call with the value it was given, and can be told to fail a step (retryably or not) or to
 * hold a call until the test releases it.
 */
final class RecordingRotator implements Rotator {

  static final String KIND = "recording";
  static final String VALUE_PREFIX = "secret-value-";
  private static final Duration LONGEST_HOLD = Duration.ofSeconds(30);

  private final AtomicInteger made = new AtomicInteger();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Map<String, Deque<RotationException>> failures = new ConcurrentHashMap<>();
  private final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
  private final BlockingQueue<String> entered = new LinkedBlockingQueue<>();
  /** "step:value" for each call, in order. */
  final List<String> seen = new CopyOnWriteArrayList<>();

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public Set<String> fields() {
    return Set.of("password");
  }

  @Override
  public Map<String, SecretBytes> next(Map<String, SecretBytes> current) {
    return Map.of("password", SecretBytes.copyOf((VALUE_PREFIX + made.incrementAndGet()).getBytes(StandardCharsets.UTF_8)));
  }

  @Override
  public void set(Map<String, SecretBytes> pending) throws RotationException {
    call("set", pending);
  }

  @Override
  public void test(Map<String, SecretBytes> pending) throws RotationException {
    call("test", pending);
  }

  @Override
  public void retire(Map<String, SecretBytes> previous) throws RotationException {
    call("retire", previous);
  }

  @Override
  public void revoke(Map<String, SecretBytes> previous) throws RotationException {
    call("revoke", previous);
  }

  /** The next {@code times} calls of {@code step} fail. */
  void failNext(String step, int times, boolean retryable, String message) {
    Deque<RotationException> queue = failures.computeIfAbsent(step, s -> new ArrayDeque<>());
    synchronized (queue) {
      for (int i = 0; i < times; i++) {
        queue.add(new RotationException(message, retryable));
      }
    }
  }

  /** Calls of {@code step} wait until the returned latch is counted down. */
  CountDownLatch hold(String step) {
    CountDownLatch latch = new CountDownLatch(1);
    holds.put(step, latch);
    return latch;
  }

  /** Waits (bounded) until a call of {@code step} has begun. */
  void awaitEntered(String step) throws InterruptedException {
    while (true) {
      String next = entered.poll(10, TimeUnit.SECONDS);
      if (next == null) {
        throw new AssertionError("the rotator's " + step + " was not called");
      }
      if (next.equals(step)) {
        return;
      }
    }
  }

  int calls(String step) {
    return calls.getOrDefault(step, new AtomicInteger()).get();
  }

  private void call(String step, Map<String, SecretBytes> values) throws RotationException {
    calls.computeIfAbsent(step, s -> new AtomicInteger()).incrementAndGet();
    seen.add(step + ":" + new String(values.get("password").copyBytes(), StandardCharsets.UTF_8));
    entered.add(step);
    CountDownLatch hold = holds.get(step);
    try {
      if (hold != null && !hold.await(LONGEST_HOLD.toSeconds(), TimeUnit.SECONDS)) {
        throw new RotationException("the test never released " + step, false);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RotationException("interrupted", false);
    }
    Deque<RotationException> queue = failures.get(step);
    if (queue != null) {
      RotationException failure;
      synchronized (queue) {
        failure = queue.poll();
      }
      if (failure != null) {
        throw failure;
      }
    }
  }
}
