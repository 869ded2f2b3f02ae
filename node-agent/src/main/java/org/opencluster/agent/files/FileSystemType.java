package org.opencluster.agent.files;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The type of a mounted file system, as the kernel reports it ({@code f_type} of {@code statfs(2)}).
 *
 * <p>Secure files go only where the kernel keeps files in memory: tmpfs or ramfs. The decision rests on
 * this magic number, never on a path's name ({@code /run} or {@code /dev/shm} can be mounted from disk).
 *
 * @param magic the kernel's magic number for the file system (an unsigned 32-bit value)
 */
public record FileSystemType(long magic) {

  public static final long TMPFS_MAGIC = 0x01021994L;
  public static final long RAMFS_MAGIC = 0x858458f6L;

  private static final Map<Long, String> NAMES = Map.ofEntries(
      Map.entry(TMPFS_MAGIC, "tmpfs"),
      Map.entry(RAMFS_MAGIC, "ramfs"),
      Map.entry(0xEF53L, "ext4"),
      Map.entry(0x58465342L, "xfs"),
      Map.entry(0x9123683EL, "btrfs"),
      Map.entry(0x794c7630L, "overlayfs"),
      Map.entry(0x6969L, "nfs"),
      Map.entry(0x2fc12fc1L, "zfs"),
      Map.entry(0xF2F52010L, "f2fs"),
      Map.entry(0x4d44L, "vfat"),
      Map.entry(0x5346544eL, "ntfs"),
      Map.entry(0x73717368L, "squashfs"),
      Map.entry(0x65735546L, "fuse"),
      Map.entry(0xFF534D42L, "cifs"),
      Map.entry(0xFE534D42L, "smb2"),
      Map.entry(0x00c36400L, "ceph"),
      Map.entry(0x01021997L, "9p"),
      Map.entry(0xf15fL, "ecryptfs"),
      Map.entry(0x9fa0L, "proc"),
      Map.entry(0x62656572L, "sysfs"),
      Map.entry(0x1cd1L, "devpts"),
      Map.entry(0x3153464aL, "jfs"),
      Map.entry(0x52654973L, "reiserfs"));

  /**
   * The type of the file system {@code directory} is on.
   *
   * @throws IOException naming the directory when statfs fails
   */
  public static FileSystemType of(Path directory) throws IOException {
    long[] statfs = new long[32];
    try {
      Libc.get().statfs(directory.toString(), statfs);
    } catch (LastErrorException e) {
      throw new IOException("cannot tell which file system " + directory + " is on: statfs failed with "
          + e.getMessage(), e);
    }
    return new FileSystemType(statfs[0] & 0xffffffffL);
  }

  /** tmpfs or ramfs: files there live in memory only. */
  public boolean isInMemory() {
    return magic == TMPFS_MAGIC || magic == RAMFS_MAGIC;
  }

  /** The file system's name, or "an unknown file system" for a magic number not listed here. */
  public String name() {
    return NAMES.getOrDefault(magic, "an unknown file system");
  }

  /** The name and the magic number, e.g. {@code ext4 (0xef53)}. */
  @Override
  public String toString() {
    return name() + " (0x" + Long.toHexString(magic) + ")";
  }
}
