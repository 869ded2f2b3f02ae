package org.opencluster.protocol.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import javax.security.auth.Destroyable;

/**
 * Secret material: key bytes, passwords, decrypted file content.
 *
 * <p>It never prints itself ({@link #toString()} is {@code [secret]}), compares in constant time,
 * and zeroes its buffer on {@link #close()}. After close every accessor throws, so a use after
 * wipe is a loud bug, not a silent read of zeros.
 *
 * <p>Hand it to the primitives of this package rather than extracting bytes. Where bytes must
 * leave (writing a file the agent serves), use {@link #writeTo(OutputStream)} or {@link
 * #copyBytes()} and zero the copy.
 *
 * <p>Thread-safe: a reader holds a read lock while it uses the buffer and {@link #close()} waits
 * for it, so a concurrent close can never make a primitive run on a half-zeroed key.
 */
public final class SecretBytes implements AutoCloseable, Destroyable {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] bytes;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean destroyed;

  private SecretBytes(byte[] owned) {
    this.bytes = owned;
  }

  /** A copy of {@code source}; the caller still owns (and should zero) {@code source}. */
  public static SecretBytes copyOf(byte[] source) {
    return new SecretBytes(source.clone());
  }

  /** A copy of {@code length} bytes of {@code source} from {@code offset}. */
  public static SecretBytes copyOf(byte[] source, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, source.length);
    return new SecretBytes(Arrays.copyOfRange(source, offset, offset + length));
  }

  /**
   * Takes ownership of {@code source} without copying: the caller must not use the array
   * afterwards; it is zeroed when this object is closed.
   */
  public static SecretBytes adopt(byte[] source) {
    return new SecretBytes(source);
  }

  /** {@code length} bytes from a {@link SecureRandom}. */
  public static SecretBytes random(int length) {
    if (length <= 0) {
      throw new IllegalArgumentException("length must be positive: " + length);
    }
    byte[] b = new byte[length];
    RANDOM.nextBytes(b);
    return new SecretBytes(b);
  }

  /** An independent copy, to be closed on its own. */
  public SecretBytes copy() {
    return read(b -> new SecretBytes(b.clone()));
  }

  public int length() {
    return read(b -> b.length);
  }

  /** A copy of the secret; the caller must zero it ({@code Arrays.fill(copy, (byte) 0)}). */
  public byte[] copyBytes() {
    return read(byte[]::clone);
  }

  /** Writes the secret to {@code out} without making a copy on the heap. */
  public void writeTo(OutputStream out) throws IOException {
    lock.readLock().lock();
    try {
      checkLive();
      out.write(bytes);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Something done with the live buffer while it cannot be destroyed. */
  @FunctionalInterface
  interface Reader<T, E extends Exception> {
    T apply(byte[] bytes) throws E;
  }

  /**
   * Runs {@code reader} on the live buffer under the read lock, for the primitives of this
   * package only: the reader must not keep the array.
   */
  <T, E extends Exception> T read(Reader<T, E> reader) throws E {
    lock.readLock().lock();
    try {
      checkLive();
      return reader.apply(bytes);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Constant-time comparison (the length is not secret). */
  public boolean equalsConstantTime(SecretBytes other) {
    return read(mine -> other.read(theirs -> MessageDigest.isEqual(mine, theirs)));
  }

  /** Zeroes the buffer, after any reader in progress has finished. Idempotent. */
  @Override
  public void close() {
    destroy();
  }

  @Override
  public void destroy() {
    lock.writeLock().lock();
    try {
      if (!destroyed) {
        Arrays.fill(bytes, (byte) 0);
        destroyed = true;
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public boolean isDestroyed() {
    lock.readLock().lock();
    try {
      return destroyed;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Constant-time equality of content; see {@link #equalsConstantTime(SecretBytes)}. */
  @Override
  public boolean equals(Object o) {
    return o instanceof SecretBytes other && equalsConstantTime(other);
  }

  /** Depends only on the length, so a hash table reveals nothing of the content. */
  @Override
  public int hashCode() {
    return bytes.length;
  }

  @Override
  public String toString() {
    return "[secret]";
  }

  private void checkLive() {
    if (destroyed) {
      throw new IllegalStateException("secret bytes used after they were destroyed");
    }
  }
}
