package org.opencluster.controller.rotation;

import org.opencluster.protocol.crypto.SecretBytes;

/**
 * Applies new versions of a shared secret to the system that checks it (a database, a directory,
 * a cloud API). The secret entity's rotation saga calls it: {@link #next} to make the pending
 * version, then {@link #set}, {@link #test}, and after the grace period {@link #retire}.
 *
 * <p>{@code set}, {@code test} and {@code retire} block, are called off the actor threads, and may
 * be called again with the same values after a controller crash: each must be idempotent. The
 * caller owns (and wipes) every map it passes and every value it gets back. Messages of a {@link
 * RotationException} are shown to operators: never put a secret in one.
 */
public interface Rotator {
  String kind();

  java.util.Set<String> fields();

  java.util.Map<String, SecretBytes> next(java.util.Map<String, SecretBytes> current);

  void set(java.util.Map<String, SecretBytes> pending) throws RotationException;

  void test(java.util.Map<String, SecretBytes> pending) throws RotationException;

  void retire(java.util.Map<String, SecretBytes> previous) throws RotationException;
}
