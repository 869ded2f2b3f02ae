package org.opencluster.controller.rotation;

import org.opencluster.protocol.crypto.SecretBytes;

/**
 * Applies a shared secret's new version to the system the secret guards.
 *
 * <p>The rotation saga of the SecretEntity calls a rotator from the blocking dispatcher, never
 * from an actor thread: {@link #next} when it creates the pending version, {@link #set} and
 * {@link #test} once the consumers hold it, {@link #retire} when the grace period of the
 * previous version ends. Any call may be repeated after a controller crash, so each is
 * idempotent. A failed {@code set} or {@code test} makes the saga roll back: the current version
 * stays current.
 *
 * <p>A version is a map from field name to value. The rotator never closes the maps it is given;
 * the caller owns every {@link SecretBytes} it passes in and every one {@link #next} returns.
 * Implementations are built by {@link Rotators} and are safe to call from several threads.
 */
public interface Rotator {
  /** "none", "postgresql", ... */
  String kind();

  /** The fields a version of this secret has (e.g. username, password); the saga refuses a secret without them. */
  java.util.Set<String> fields();

  /** The pending version made from the current one: pure, no side effect (alternating users: the other role, a new random password). */
  java.util.Map<String, SecretBytes> next(java.util.Map<String, SecretBytes> current);

  /** Applies the pending version on the target system; idempotent. */
  void set(java.util.Map<String, SecretBytes> pending) throws RotationException;

  /** Proves the pending version works (logs in with it); no side effect; idempotent. */
  void test(java.util.Map<String, SecretBytes> pending) throws RotationException;

  /** After the grace period: the previous version stops working (if the strategy wants that); idempotent. */
  void retire(java.util.Map<String, SecretBytes> previous) throws RotationException;

  /**
   * After a rotation that answers a compromise: the previous version must stop working now,
   * whatever the retire strategy (a compromised host may hold it); idempotent. A rotator whose
   * target keeps no password of its own (distribution only) does nothing.
   */
  void revoke(java.util.Map<String, SecretBytes> previous) throws RotationException;
}
