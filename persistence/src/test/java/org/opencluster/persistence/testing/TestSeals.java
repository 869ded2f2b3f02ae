package org.opencluster.persistence.testing;

import java.time.Clock;
import java.time.Duration;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.keys.SealException;
import org.opencluster.protocol.crypto.SecretBytes;

/** Seals for tests, initialized and unsealed with a key made at run time. */
public final class TestSeals {

  private TestSeals() {}

  /** Initializes {@code storage} with a fresh random key and unseals with it. */
  public static Seal unsealed(Storage storage) {
    Seal seal = new Seal(storage.keyRingStore(), Clock.systemUTC(), Duration.ofMinutes(15));
    try (SecretBytes key = SecretBytes.random(32)) {
      seal.initializeWithKey(key);
      seal.unsealWithKey(key);
    } catch (SealException e) {
      throw new IllegalStateException(e);
    }
    return seal;
  }
}
