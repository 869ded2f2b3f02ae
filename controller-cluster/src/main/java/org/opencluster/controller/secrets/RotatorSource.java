package org.opencluster.controller.secrets;

import org.opencluster.controller.rotation.RotatorSpec;
import org.opencluster.controller.rotation.Rotator;

/**
 * Where a secret entity gets the rotator its definition names: the kind and parameters of a
 * {@link RotatorSpec}, and the admin credential of the secret the spec names, opened for as long
 * as the lease is held and wiped when it is closed.
 */
@FunctionalInterface
public interface RotatorSource {

  /**
   * The rotator {@code spec} describes.
   *
   * @throws IllegalArgumentException for an unknown kind, parameters the kind refuses, or an admin
   *     secret that does not exist or lacks a field (the message names them, never a value)
   */
  Lease open(RotatorSpec spec);

  /** A rotator and what it holds open. */
  interface Lease extends AutoCloseable {
    Rotator rotator();

    /** Wipes the admin credential the rotator used. */
    @Override
    void close();
  }

  /** A lease of a rotator that holds nothing open. */
  static Lease lease(Rotator rotator) {
    return new Lease() {
      @Override
      public Rotator rotator() {
        return rotator;
      }

      @Override
      public void close() {}
    };
  }
}
