package org.opencluster.agent.files;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;
import org.opencluster.protocol.crypto.SecretBytes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The content of a secure file, held outside the Java heap in memory the kernel may not swap out.
 *
 * <p>The bytes live in native memory (JNA {@link Memory}) on pages of their own, locked with {@code
 * mlock(2)} so they never reach a swap device; the garbage collector never copies them and a heap dump
 * never shows them. {@link #close()} zeroes them at once, then unlocks and frees the pages. It never
 * prints itself: {@link #toString()} is {@code LockedSecret[n bytes]}.
 *
 * <p>When the memory cannot be locked (the process is over {@code RLIMIT_MEMLOCK} and lacks {@code
 * CAP_IPC_LOCK}), the secret is still made but {@link #isLocked()} is false: {@link SecureFiles} then
 * refuses the file or, if told so, serves it with a warning.
 *
 * <p>Thread-safe. A write in progress keeps the pages mapped: {@link #close()} zeroes them at once (a
 * reader being served gets zeros from there on) and frees them when the write returns.
 */
public final class LockedSecret implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LockedSecret.class);
  private static final Cleaner CLEANER = Cleaner.create();

  private final Pages pages;
  private final Cleaner.Cleanable cleanable;
  private final int length;
  private final String lockFailure;
  private int users;
  private boolean closed;
  private boolean retiring;
  private boolean zeroed;

  private LockedSecret(Pages pages, int length, String lockFailure) {
    this.pages = pages;
    this.length = length;
    this.lockFailure = lockFailure;
    this.cleanable = CLEANER.register(this, pages);
  }

  /**
   * A copy of {@code secret} in locked native memory. The bytes go from {@code secret}'s buffer straight
   * to native memory: no other copy is made on the heap. The caller still owns (and closes) {@code
   * secret}.
   *
   * @throws IllegalStateException if {@code secret} was destroyed
   */
  public static LockedSecret copyOf(SecretBytes secret) {
    Objects.requireNonNull(secret, "secret");
    int length = secret.length();
    if (length == 0) {
      return new LockedSecret(Pages.NONE, 0, null);
    }
    Libc libc = Libc.get();
    long page = libc.getpagesize();
    long size = (length + page - 1) / page * page;
    Memory block = new Memory(size + page);
    long offset = (page - Pointer.nativeValue(block) % page) % page;
    Pointer region = block.share(offset, size);
    String lockFailure = null;
    try {
      libc.mlock(region, size);
    } catch (LastErrorException e) {
      lockFailure = "could not lock " + size + " bytes of memory (RLIMIT_MEMLOCK " + memlockLimit(libc) + ", mlock "
          + "failed with " + e.getMessage() + ")";
    }
    Pages pages = new Pages(block, offset, size, lockFailure == null);
    LockedSecret locked = new LockedSecret(pages, length, lockFailure);
    try {
      NativeOutput output = new NativeOutput(block, offset, length);
      secret.writeTo(output);
      output.checkComplete();
    } catch (IOException | RuntimeException e) {
      locked.close();
      throw new IllegalStateException("could not copy a secret into native memory: " + e.getMessage(), e);
    }
    return locked;
  }

  /** The number of bytes. */
  public int length() {
    return length;
  }

  /** Whether the pages are locked in memory (never swapped out). */
  public boolean isLocked() {
    return lockFailure == null;
  }

  /**
   * Writes the whole secret to {@code channel} from native memory, through a direct buffer over it:
   * no copy on the heap.
   *
   * @throws IllegalStateException if the secret was closed
   */
  public void writeTo(WritableByteChannel channel) throws IOException {
    if (!tryAcquire()) {
      throw new IllegalStateException("a secure file's content was used after it was closed");
    }
    try {
      writeAcquired(channel);
    } finally {
      release();
    }
  }

  /** Constant-time comparison of content (the lengths are not secret). */
  public boolean sameContentAs(LockedSecret other) {
    if (!tryAcquire()) {
      throw new IllegalStateException("a secure file's content was used after it was closed");
    }
    try {
      if (!other.tryAcquire()) {
        throw new IllegalStateException("a secure file's content was used after it was closed");
      }
      try {
        if (length != other.length) {
          return false;
        }
        ByteBuffer mine = pages.view(length);
        ByteBuffer theirs = other.pages.view(length);
        long difference = 0;
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES) {
          difference |= mine.getLong(i) ^ theirs.getLong(i);
        }
        for (; i < length; i++) {
          difference |= mine.get(i) ^ theirs.get(i);
        }
        return difference == 0;
      } finally {
        other.release();
      }
    } finally {
      release();
    }
  }

  /** Zeroes the bytes at once, then unlocks and frees the pages (after a write in progress returns). Idempotent. */
  @Override
  public void close() {
    boolean free;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      pages.zero();
      zeroed = pages.isZero(length);
      free = users == 0;
    }
    if (free) {
      cleanable.clean();
    }
  }

  @Override
  public String toString() {
    return "LockedSecret[" + length + " bytes]";
  }

  /** Why the pages are not locked, or null when they are. */
  String lockFailure() {
    return lockFailure;
  }

  synchronized boolean isClosed() {
    return closed;
  }

  /** Whether {@link #close()} found every byte zero after wiping, read back before the pages were freed. */
  synchronized boolean wasZeroed() {
    return closed && zeroed;
  }

  /** Marks the secret in use so that it stays mapped; false if it was closed. Pair with {@link #release()}. */
  synchronized boolean tryAcquire() {
    if (closed || retiring) {
      return false;
    }
    users++;
    return true;
  }

  void release() {
    boolean free = false;
    boolean closeNow = false;
    synchronized (this) {
      users--;
      if (users == 0) {
        free = closed;
        closeNow = !closed && retiring;
      }
    }
    if (closeNow) {
      close();
    } else if (free) {
      cleanable.clean();
    }
  }

  /**
   * Closes the secret once no write uses it: a reader being served the old content of a pipe gets all of
   * it. New uses are refused from now on.
   */
  void retire() {
    boolean closeNow;
    synchronized (this) {
      retiring = true;
      closeNow = users == 0;
    }
    if (closeNow) {
      close();
    }
  }

  /** Writes to {@code channel}; the caller holds a use ({@link #tryAcquire()}). */
  void writeAcquired(WritableByteChannel channel) throws IOException {
    ByteBuffer view = pages.view(length);
    while (view.hasRemaining()) {
      channel.write(view);
    }
  }

  private static String memlockLimit(Libc libc) {
    long[] limits = new long[2];
    try {
      libc.getrlimit(Libc.RLIMIT_MEMLOCK, limits);
    } catch (LastErrorException e) {
      return "unknown";
    }
    return limits[0] == Libc.RLIM_INFINITY ? "unlimited" : "is " + limits[0] / 1024 + " KiB";
  }

  /**
   * The native block and its page-aligned region. Also the cleaner's action: a secret the program forgot
   * to close is zeroed, unlocked and freed when it becomes unreachable.
   */
  private static final class Pages implements Runnable {

    static final Pages NONE = new Pages(null, 0, 0, false);

    private final Memory block;
    private final long offset;
    private final long size;
    private final boolean locked;
    private boolean released;

    Pages(Memory block, long offset, long size, boolean locked) {
      this.block = block;
      this.offset = offset;
      this.size = size;
      this.locked = locked;
    }

    ByteBuffer view(int length) {
      return block == null ? ByteBuffer.allocateDirect(0) : block.getByteBuffer(offset, length);
    }

    synchronized void zero() {
      if (block != null && !released) {
        block.share(offset, size).setMemory(0, size, (byte) 0);
      }
    }

    boolean isZero(int length) {
      ByteBuffer view = view(length);
      byte any = 0;
      for (int i = 0; i < length; i++) {
        any |= view.get(i);
      }
      return any == 0;
    }

    /** Zeroes, unlocks and frees; run once, by close or by the cleaner. */
    @Override
    public synchronized void run() {
      if (block == null || released) {
        return;
      }
      block.share(offset, size).setMemory(0, size, (byte) 0);
      if (locked) {
        try {
          Libc.get().munlock(block.share(offset, size), size);
        } catch (LastErrorException e) {
          LOG.warn("Could not unlock {} bytes of secure-file memory: {}", size, e.getMessage());
        }
      }
      released = true;
      block.close();
    }
  }

  /** An output stream into native memory, so that a secret's bytes skip the heap. */
  private static final class NativeOutput extends OutputStream {

    private final Memory block;
    private final long offset;
    private final int length;
    private int written;

    NativeOutput(Memory block, long offset, int length) {
      this.block = block;
      this.offset = offset;
      this.length = length;
    }

    @Override
    public void write(int b) throws IOException {
      checkRoom(1);
      block.setByte(offset + written, (byte) b);
      written++;
    }

    @Override
    public void write(byte[] bytes, int from, int count) throws IOException {
      Objects.checkFromIndexSize(from, count, bytes.length);
      checkRoom(count);
      block.write(offset + written, bytes, from, count);
      written += count;
    }

    void checkComplete() throws IOException {
      if (written != length) {
        throw new IOException("the secret changed length while it was copied");
      }
    }

    private void checkRoom(int count) throws IOException {
      if (count > length - written) {
        throw new IOException("the secret changed length while it was copied");
      }
    }
  }
}
