package org.opencluster.agent.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardOpenOption.WRITE;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A secure file served through a named pipe: nothing is stored, each reader that opens the pipe gets the
 * whole current content from locked memory.
 *
 * <p>A daemon thread opens the pipe for writing (which blocks until a reader opens it), writes the content,
 * closes, waits for that reader to close its end (inotify; so a reader still draining the pipe is not
 * served twice), and starts over. Readers should take turns: two readers open at once share one copy.
 *
 * <p>The thread opens the pipe through a descriptor it holds on the pipe's inode ({@code O_PATH}), never by
 * name: whatever is renamed into the pipe's place later, the content only ever goes into this pipe. To stop
 * it: flag and interrupt the thread (a blocked write ends), open the pipe for reading without blocking (a
 * blocked open returns), unlink it, then join.
 */
final class ServedPipe implements ServedFile {

  private static final Logger LOG = LoggerFactory.getLogger(ServedPipe.class);
  /** How long the server waits for its reader to close before serving the next one anyway. */
  private static final long READER_CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);
  private static final int POLL_SLICE_MILLIS = 50;

  private final Target target;
  private final Object fileKey;
  private final int pathFd;
  private final Path inode;
  private final AtomicReference<LockedSecret> content;
  private final Thread thread;
  private volatile boolean stopping;
  /** Copies whose writing ended, whole or cut short by a reader that closed early. */
  private final java.util.concurrent.atomic.AtomicLong copiesEnded = new java.util.concurrent.atomic.AtomicLong();
  private volatile String failure;
  private int unblockFd = -1;
  private boolean pathFdClosed;

  private ServedPipe(String name, Target target, Object fileKey, int pathFd, LockedSecret content) {
    this.target = target;
    this.fileKey = fileKey;
    this.pathFd = pathFd;
    this.inode = Path.of("/proc/self/fd/" + pathFd);
    this.content = new AtomicReference<>(content);
    this.thread = new Thread(this::serve, "secure-pipe-" + name);
    this.thread.setDaemon(true);
  }

  /**
   * Makes a pipe with the target's owner, group and mode (built under a temporary name, then renamed into
   * place) and starts serving {@code content}, which the returned pipe owns; on failure the caller still
   * does.
   */
  static ServedPipe start(String name, Target target, LockedSecret content) throws IOException {
    Libc libc = Libc.get();
    Path temporary = target.temporarySibling();
    try {
      libc.mkfifo(temporary.toString(), 0600);
    } catch (LastErrorException e) {
      throw new IOException("cannot make a named pipe in " + target.directory() + ": mkfifo failed with "
          + e.getMessage(), e);
    }
    int pathFd = -1;
    boolean placed = false;
    try {
      target.applyPipeAttributes(temporary);
      PosixFileAttributes made = Files.readAttributes(temporary, PosixFileAttributes.class, NOFOLLOW_LINKS);
      try {
        pathFd = libc.open(temporary.toString(), Libc.O_PATH | Libc.O_CLOEXEC);
      } catch (LastErrorException e) {
        throw new IOException("cannot open the named pipe " + temporary + ": " + e.getMessage(), e);
      }
      Object held = Files.readAttributes(Path.of("/proc/self/fd/" + pathFd), BasicFileAttributes.class).fileKey();
      if (!made.isOther() || !made.fileKey().equals(held)) {
        throw new IOException(temporary + " changed while the named pipe was being made");
      }
      Files.move(temporary, target.path(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      placed = true;
      ServedPipe pipe = new ServedPipe(name, target, made.fileKey(), pathFd, content);
      pipe.thread.start();
      return pipe;
    } finally {
      if (!placed) {
        if (pathFd >= 0) {
          closeFd(pathFd);
        }
        try {
          Files.deleteIfExists(temporary);
        } catch (IOException e) {
          LOG.warn("Could not remove {}: {}", temporary, e.getMessage());
        }
      }
    }
  }

  @Override
  public Target target() {
    return target;
  }

  @Override
  public LockedSecret content() {
    return content.get();
  }

  /** The next reader gets {@code next}; a reader being served finishes with the old content, then it is closed. */
  void replaceContent(LockedSecret next) {
    content.getAndSet(next).retire();
  }

  @Override
  public boolean intact() {
    if (!thread.isAlive() || failure != null || stopping) {
      return false;
    }
    try {
      PosixFileAttributes now = Files.readAttributes(target.path(), PosixFileAttributes.class, NOFOLLOW_LINKS);
      return now.isOther() && fileKey.equals(now.fileKey()) && target.matches(now);
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public synchronized void stop() {
    if (stopping) {
      return;
    }
    stopping = true;
    thread.interrupt();
    try {
      unblockFd = Libc.get().open(inode.toString(), Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
    } catch (LastErrorException e) {
      LOG.warn("Could not open the pipe {} to unblock its server: {}", target.path(), e.getMessage());
    }
    try {
      if (isInPlace()) {
        Files.deleteIfExists(target.path());
      } else {
        LOG.warn("{} is no longer the pipe this agent made (replaced or removed by someone else); left as it is",
            target.path());
      }
    } catch (IOException e) {
      LOG.error("Could not remove the pipe {}: {}; remove it by hand", target.path(), e.getMessage());
    }
    content.get().close();
  }

  @Override
  public synchronized void awaitStopped(long deadlineNanos) {
    long left = deadlineNanos - System.nanoTime();
    try {
      thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.warn("The server of pipe {} did not end in time; its content is zeroed already", target.path());
    } else if (!pathFdClosed) {
      closeFd(pathFd);
      pathFdClosed = true;
    }
    if (unblockFd >= 0) {
      closeFd(unblockFd);
      unblockFd = -1;
    }
  }

  /** Whether the server thread has ended. */
  boolean hasEnded() {
    return !thread.isAlive();
  }

  /** Copies whose writing ended, for tests: a reader opening before the last one ended may get its rest. */
  long copiesEnded() {
    return copiesEnded.get();
  }

  /** The server thread, for tests. */
  Thread thread() {
    return thread;
  }

  @Override
  public String toString() {
    return "pipe " + target.path();
  }

  private void serve() {
    Libc libc = Libc.get();
    int closes = watchReaderCloses(libc);
    try {
      while (!stopping) {
        drain(libc, closes);
        try (FileChannel channel = FileChannel.open(inode, WRITE)) {
          if (stopping) {
            break;
          }
          LockedSecret served = acquireCurrent();
          if (served == null) {
            break;
          }
          try {
            served.writeAcquired(channel);
          } finally {
            served.release();
          }
        } catch (ClosedChannelException e) {
          Thread.interrupted();
          continue;
        } catch (IOException e) {
          if (stopping) {
            break;
          }
          if (!String.valueOf(e.getMessage()).contains("Broken pipe")) {
            failure = e.getMessage();
            LOG.error("Stopped serving the pipe {}: {}", target.path(), e.getMessage());
            break;
          }
          LOG.debug("A reader of the pipe {} closed it before reading all of it", target.path());
        }
        copiesEnded.incrementAndGet();
        awaitReaderClosed(libc, closes);
      }
    } catch (RuntimeException e) {
      failure = String.valueOf(e.getMessage());
      LOG.error("Stopped serving the pipe {}", target.path(), e);
    } finally {
      if (closes >= 0) {
        closeFd(closes);
      }
    }
  }

  /** The current content, marked in use; null when the pipe is stopping. */
  private LockedSecret acquireCurrent() {
    while (!stopping) {
      LockedSecret current = content.get();
      if (current.tryAcquire()) {
        return current;
      }
      Thread.onSpinWait();
    }
    return null;
  }

  /** An inotify descriptor that becomes readable when a reader closes the pipe; -1 if there is none. */
  private int watchReaderCloses(Libc libc) {
    try {
      int fd = libc.inotify_init1(Libc.IN_NONBLOCK | Libc.IN_CLOEXEC);
      try {
        libc.inotify_add_watch(fd, inode.toString(), Libc.IN_CLOSE_NOWRITE);
        return fd;
      } catch (LastErrorException e) {
        closeFd(fd);
        throw e;
      }
    } catch (LastErrorException e) {
      LOG.warn("Cannot watch the pipe {} for readers closing ({}); a slow reader may be served twice",
          target.path(), e.getMessage());
      return -1;
    }
  }

  /** Waits (in slices, so that a stop is seen) until a reader closes the pipe, for a while at most. */
  private void awaitReaderClosed(Libc libc, int closes) {
    if (closes < 0) {
      return;
    }
    long deadline = System.nanoTime() + READER_CLOSE_WAIT_NANOS;
    int[] poll = {closes, Libc.POLLIN};
    while (!stopping && System.nanoTime() < deadline) {
      poll[1] = Libc.POLLIN;
      try {
        if (libc.poll(poll, 1, POLL_SLICE_MILLIS) > 0) {
          drain(libc, closes);
          return;
        }
      } catch (LastErrorException e) {
        if (e.getErrorCode() != Libc.EINTR) {
          LOG.warn("Cannot wait for the reader of the pipe {}: {}", target.path(), e.getMessage());
          return;
        }
      }
    }
  }

  /** Reads and forgets the pending inotify events. */
  private static void drain(Libc libc, int closes) {
    if (closes < 0) {
      return;
    }
    byte[] events = new byte[4096];
    try {
      while (libc.read(closes, events, events.length) > 0) {
        // Only the fact that readers closed matters, not which.
      }
    } catch (LastErrorException e) {
      if (e.getErrorCode() != Libc.EAGAIN) {
        LOG.debug("Reading inotify events: {}", e.getMessage());
      }
    }
  }

  private boolean isInPlace() {
    try {
      return fileKey.equals(Files.readAttributes(target.path(), BasicFileAttributes.class, NOFOLLOW_LINKS).fileKey());
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      LOG.warn("Cannot read {}: {}", target.path(), e.getMessage());
      return false;
    }
  }

  private static void closeFd(int fd) {
    try {
      Libc.get().close(fd);
    } catch (LastErrorException e) {
      LOG.debug("close({}): {}", fd, e.getMessage());
    }
  }
}
