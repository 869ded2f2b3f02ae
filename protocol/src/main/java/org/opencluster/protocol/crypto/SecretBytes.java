package org.opencluster.protocol.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
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
 */
public final class SecretBytes implements AutoCloseable, Destroyable {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] bytes;
  private volatile boolean destroyed;

  private SecretBytes(byte[] owned) {
    this.bytes = owned;
  }

  /** A copy of {@code source}; the caller still owns (and should zero) {@code source}. */
  public static SecretBytes copyOf(byte[] source) {
    return new SecretBytes(source.clone());
  }

  /** A copy of {@code length} bytes of {@code source} from {@code offset}. */
  public static SecretBytes copyOf(byte[] source, int offset, int length) {
    return new SecretBytes(Arrays.copyOfRange(source, offset, Math.addExact(offset, length)));
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

  public int length() {
    checkLive();
    return bytes.length;
  }

  /** A copy of the secret; the caller must zero it ({@code Arrays.fill(copy, (byte) 0)}). */
  public byte[] copyBytes() {
    checkLive();
    return bytes.clone();
  }

  /** Writes the secret to {@code out} without making a copy on the heap. */
  public void writeTo(OutputStream out) throws IOException {
    checkLive();
    out.write(bytes);
  }

  /** The live buffer, for the primitives of this package only. Never hand it out. */
  byte[] unsafeArray() {
    checkLive();
    return bytes;
  }

  /** Constant-time comparison (the length is not secret). */
  public boolean equalsConstantTime(SecretBytes other) {
    return MessageDigest.isEqual(unsafeArray(), other.unsafeArray());
  }

  /** Zeroes the buffer. Idempotent. */
  @Override
  public void close() {
    destroy();
  }

  @Override
  public void destroy() {
    if (!destroyed) {
      Arrays.fill(bytes, (byte) 0);
      destroyed = true;
    }
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  /** Constant-time equality of content; see {@link #equalsConstantTime(SecretBytes)}. */
  @Override
  public boolean equals(Object o) {
    return o instanceof SecretBytes other && equalsConstantTime(other);
  }

  /** Depends only on the length, so a hash table reveals nothing of the content. */
  @Override
  public int hashCode() {
    return destroyed ? 0 : bytes.length;
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
