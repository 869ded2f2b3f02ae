package org.opencluster.agent.files;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The few C library calls secure files need and Java does not offer: locking memory, process
 * hardening, file system types, named pipes. Linux on x86-64 or aarch64 only (the agent's platforms):
 * {@code size_t} and {@code long} are 64 bits there, and the constants below are theirs.
 *
 * <p>Every call that can fail declares {@link LastErrorException}, which carries errno and its text.
 */
interface Libc extends Library {

  int PR_SET_DUMPABLE = 4;
  int PR_GET_DUMPABLE = 3;

  int RLIMIT_CORE = 4;
  int RLIMIT_MEMLOCK = 8;
  /** {@code RLIM_INFINITY}: all bits set. */
  long RLIM_INFINITY = -1L;

  int O_RDONLY = 0;
  int O_NONBLOCK = 0x800;
  int O_CLOEXEC = 0x80000;
  int O_PATH = 0x200000;

  int IN_CLOSE_NOWRITE = 0x10;
  int IN_NONBLOCK = O_NONBLOCK;
  int IN_CLOEXEC = O_CLOEXEC;

  short POLLIN = 0x1;

  int ENXIO = 6;
  int EINTR = 4;
  int EAGAIN = 11;

  int mlock(Pointer address, long length) throws LastErrorException;

  int munlock(Pointer address, long length) throws LastErrorException;

  int getpagesize();

  /** {@code limits} is {@code struct rlimit}: {soft, hard}. */
  int getrlimit(int resource, long[] limits) throws LastErrorException;

  int setrlimit(int resource, long[] limits) throws LastErrorException;

  int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;

  /** {@code buffer} receives {@code struct statfs}, whose first field is {@code f_type}. */
  int statfs(String path, long[] buffer) throws LastErrorException;

  int mkfifo(String path, int mode) throws LastErrorException;

  /** By path, without opening: opening a named pipe blocks until it has a writer. */
  int chmod(String path, int mode) throws LastErrorException;

  int open(String path, int flags) throws LastErrorException;

  int close(int fd) throws LastErrorException;

  int inotify_init1(int flags) throws LastErrorException;

  int inotify_add_watch(int fd, String path, int mask) throws LastErrorException;

  long read(int fd, byte[] buffer, long count) throws LastErrorException;

  /** {@code fds} holds {@code struct pollfd}s as ints: fd, then events (low half) and revents (high half). */
  int poll(int[] fds, long count, int timeoutMillis) throws LastErrorException;

  /** The C library, loaded once; fails with a clear message off the agent's platforms. */
  static Libc get() {
    return Loaded.LIBC;
  }

  /** Why this machine cannot run secure files, or null when it can. */
  static String unsupportedPlatform() {
    if (!Platform.isLinux() || !Platform.is64Bit() || !(Platform.ARCH.equals("x86-64")
        || Platform.ARCH.equals("aarch64"))) {
      return "secure files need Linux on x86-64 or aarch64; this is " + System.getProperty("os.name") + " on "
          + Platform.ARCH;
    }
    return null;
  }

  /** Holder, so that the library loads on first use. */
  final class Loaded {
    private static final Libc LIBC = load();

    private Loaded() {}

    private static Libc load() {
      String unsupported = unsupportedPlatform();
      if (unsupported != null) {
        throw new IllegalStateException(unsupported);
      }
      return Native.load("c", Libc.class);
    }
  }
}
