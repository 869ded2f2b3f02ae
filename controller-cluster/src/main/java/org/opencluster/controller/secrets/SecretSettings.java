package org.opencluster.controller.secrets;

import com.typesafe.config.Config;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;

/**
 * How shared secrets rotate ({@code opencluster.controller.secrets}, see reference.conf).
 *
 * @param distributeTimeout how long a rotation waits for its consumers to acknowledge the pending
 *     version before it goes on and reports who is behind
 * @param gracePeriod how long the previous version stays valid after a rotation finished
 * @param compromiseGracePeriod the same after a rotation that answers a compromise, whose previous
 *     version is then revoked: long enough for the consumers to switch (a heartbeat and a catalog
 *     refresh), short because the compromised node may hold it
 * @param scheduleJitter the most a scheduled rotation is moved later, so secrets on the same
 *     schedule never rotate together
 * @param maxAttempts tries of one rotator step that fails retryably before the rotation fails
 * @param retryBackoff the wait after the first retryable failure; it doubles with each one
 * @param maxRetryBackoff the longest wait between tries
 * @param snapshotEvery events between snapshots of a secret entity
 * @param maxConcurrentRotatorCalls rotator calls (set, test, retire) running at once on one
 *     controller, across all secrets; more wait their turn
 */
public record SecretSettings(Duration distributeTimeout, Duration gracePeriod, Duration compromiseGracePeriod,
    Duration scheduleJitter, int maxAttempts, Duration retryBackoff, Duration maxRetryBackoff, int snapshotEvery,
    int maxConcurrentRotatorCalls) {

  public SecretSettings {
    if (!positive(distributeTimeout) || gracePeriod.isNegative() || scheduleJitter.isNegative()
        || compromiseGracePeriod.isNegative() || compromiseGracePeriod.compareTo(gracePeriod) > 0) {
      throw new IllegalArgumentException("opencluster.controller.secrets: distribute-timeout must be positive, "
          + "grace-period and schedule-jitter not negative, compromise-grace-period from 0 to grace-period");
    }
    if (maxConcurrentRotatorCalls < 1) {
      throw new IllegalArgumentException("opencluster.controller.secrets.max-concurrent-rotator-calls must be at least 1");
    }
    if (maxAttempts < 1 || !positive(retryBackoff) || maxRetryBackoff.compareTo(retryBackoff) < 0) {
      throw new IllegalArgumentException("opencluster.controller.secrets: max-attempts must be at least 1, retry-backoff "
          + "positive and max-retry-backoff no shorter than it");
    }
    if (snapshotEvery < 1) {
      throw new IllegalArgumentException("opencluster.controller.secrets.snapshot-every must be at least 1");
    }
  }

  public static SecretSettings create(Config config) {
    Config secrets = config.getConfig("opencluster.controller.secrets");
    return new SecretSettings(secrets.getDuration("distribute-timeout"), secrets.getDuration("grace-period"),
        secrets.getDuration("compromise-grace-period"), secrets.getDuration("schedule-jitter"),
        secrets.getInt("max-attempts"), secrets.getDuration("retry-backoff"), secrets.getDuration("max-retry-backoff"),
        secrets.getInt("snapshot-every"), secrets.getInt("max-concurrent-rotator-calls"));
  }

  /** The wait before try {@code attempt + 1}, after {@code attempt} retryable failures (1, 2, ...). */
  public Duration backoffAfter(int attempt) {
    Duration wait = retryBackoff;
    for (int i = 1; i < attempt && wait.compareTo(maxRetryBackoff) < 0; i++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(maxRetryBackoff) > 0 ? maxRetryBackoff : wait;
  }

  /**
   * When secret {@code name}, on a schedule of {@code every}, rotates next after {@code from}:
   * {@code every} later, plus a jitter in [0, schedule-jitter] that depends only on the name and
   * {@code from} (the same inputs give the same instant on every controller and in tests).
   */
  public Instant nextRotation(String name, Instant from, Duration every) {
    return from.plus(every).plus(jitter(name, from));
  }

  private static boolean positive(Duration duration) {
    return !duration.isNegative() && !duration.isZero();
  }

  Duration jitter(String name, Instant from) {
    long bound = scheduleJitter.toMillis();
    if (bound == 0) {
      return Duration.ZERO;
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest((name + "|" + from.toEpochMilli()).getBytes(StandardCharsets.UTF_8));
      return Duration.ofMillis(Math.floorMod(ByteBuffer.wrap(digest).getLong(), bound + 1));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
