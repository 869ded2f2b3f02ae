package org.opencluster.agent.files;

/**
 * A secure file being served: a tmpfs file or a named pipe, with its content in locked memory.
 *
 * <p>Wiping is two steps so that many can be wiped within a second: {@link #stop()} removes the file from
 * the file system (overwritten first) and zeroes the content at once; {@link #awaitStopped(long)} waits,
 * up to a deadline, for a pipe's server thread to end.
 */
sealed interface ServedFile permits TmpfsFile, ServedPipe {

  Target target();

  /** The content served now. */
  LockedSecret content();

  /** Whether the file is in place as written: the same inode, owner, group and mode (and a live server). */
  boolean intact();

  /** Stops serving: overwrites and unlinks a file, unblocks and unlinks a pipe, zeroes the content. */
  void stop();

  /** Waits until {@code deadlineNanos} ({@link System#nanoTime()}) at most for the serving to end. */
  void awaitStopped(long deadlineNanos);
}
