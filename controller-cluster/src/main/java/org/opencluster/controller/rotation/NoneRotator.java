package org.opencluster.controller.rotation;

import java.util.Map;
import java.util.Set;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * {@code none}: distribution only. Each version gets a new random password; nothing outside the
 * controller is told, so {@code set}, {@code test} and {@code retire} do nothing. For secrets the
 * consumers use among themselves (a shared token between services on the fleet).
 *
 * <p>Parameter: {@code password-length} (letters and digits; default 32, 16 to 1024).
 */
final class NoneRotator implements Rotator {

  static final String KIND = "none";
  static final String PASSWORD = "password";

  private final int passwordLength;

  private NoneRotator(int passwordLength) {
    this.passwordLength = passwordLength;
  }

  static Rotator create(RotatorSpec spec, Map<String, SecretBytes> admin) {
    spec.allowOnly(Set.of("password-length"));
    if (spec.adminSecret().isPresent()) {
      throw new IllegalArgumentException("rotator 'none' uses no admin secret");
    }
    return new NoneRotator(spec.integer("password-length", 32, 16, 1024));
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public Set<String> fields() {
    return Set.of(PASSWORD);
  }

  /** A new password; every other field (a username, a host) is kept as it is. */
  @Override
  public Map<String, SecretBytes> next(Map<String, SecretBytes> current) {
    return Passwords.copyWith(current, Map.of(PASSWORD, Passwords.random(passwordLength)));
  }

  @Override
  public void set(Map<String, SecretBytes> pending) {}

  @Override
  public void test(Map<String, SecretBytes> pending) {}

  @Override
  public void retire(Map<String, SecretBytes> previous) {}

  @Override
  public void revoke(Map<String, SecretBytes> previous) {}

  @Override
  public String toString() {
    return "NoneRotator[password-length=" + passwordLength + "]";
  }
}
