package org.opencluster.agent.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A secure file on tmpfs or ramfs. Written whole into a fresh file of the same directory (mode 0600 until
 * its owner, group and mode are set), then renamed over the target, so a reader sees the old file or the
 * new one, never a part. The file it replaces, if this agent wrote it, is overwritten with zeros through a
 * descriptor opened before the rename; a wipe overwrites the file with zeros, then unlinks it.
 */
final class TmpfsFile implements ServedFile {

  private static final Logger LOG = LoggerFactory.getLogger(TmpfsFile.class);
  private static final int ZEROS = 64 * 1024;

  private final Target target;
  private final LockedSecret content;
  private final Object fileKey;
  private final long size;
  private final FileTime modified;

  private TmpfsFile(Target target, LockedSecret content, Object fileKey, long size, FileTime modified) {
    this.target = target;
    this.content = content;
    this.fileKey = fileKey;
    this.size = size;
    this.modified = modified;
  }

  /**
   * Writes {@code content} to {@code target.path()} atomically. The returned file owns {@code content};
   * on failure the caller still does. {@code previous} is the file served there before, or null.
   */
  static TmpfsFile write(Target target, LockedSecret content, TmpfsFile previous) throws IOException {
    Path temporary = target.temporarySibling();
    boolean placed = false;
    FileChannel replaced = null;
    try {
      try (FileChannel channel = FileChannel.open(temporary, Set.<OpenOption>of(CREATE_NEW, WRITE, NOFOLLOW_LINKS),
          PosixFilePermissions.asFileAttribute(Target.OWNER_ONLY))) {
        content.writeTo(channel);
        channel.force(true);
      }
      target.applyAttributes(temporary);
      PosixFileAttributes written = Files.readAttributes(temporary, PosixFileAttributes.class, NOFOLLOW_LINKS);
      if (previous != null && previous.isInPlace()) {
        replaced = FileChannel.open(target.path(), WRITE, NOFOLLOW_LINKS);
      }
      Files.move(temporary, target.path(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      placed = true;
      if (replaced != null) {
        try {
          zeroFill(replaced);
        } catch (IOException e) {
          LOG.warn("Could not overwrite the replaced version of {} with zeros: {}", target.path(), e.getMessage());
        }
      }
      return new TmpfsFile(target, content, written.fileKey(), written.size(), written.lastModifiedTime());
    } finally {
      if (replaced != null) {
        closeQuietly(replaced);
      }
      if (!placed) {
        discard(temporary);
      }
    }
  }

  @Override
  public Target target() {
    return target;
  }

  @Override
  public LockedSecret content() {
    return content;
  }

  @Override
  public boolean intact() {
    try {
      PosixFileAttributes now = Files.readAttributes(target.path(), PosixFileAttributes.class, NOFOLLOW_LINKS);
      return now.isRegularFile() && fileKey.equals(now.fileKey()) && now.size() == size
          && now.lastModifiedTime().equals(modified) && target.matches(now);
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void stop() {
    try {
      if (isInPlace()) {
        try (FileChannel channel = FileChannel.open(target.path(), WRITE, NOFOLLOW_LINKS)) {
          zeroFill(channel);
        }
        Files.deleteIfExists(target.path());
      } else {
        LOG.warn("{} is no longer the file this agent wrote (replaced or removed by someone else); left as it is",
            target.path());
      }
    } catch (IOException e) {
      LOG.error("Could not overwrite and remove {}: {}; remove it by hand", target.path(), e.getMessage());
    } finally {
      content.close();
    }
  }

  @Override
  public void awaitStopped(long deadlineNanos) {
    // Nothing runs in the background for a file.
  }

  @Override
  public String toString() {
    return "tmpfs file " + target.path();
  }

  /** Whether the path still names the inode this agent wrote. */
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

  /** Overwrites the whole file with zeros, and forces it. */
  private static void zeroFill(FileChannel channel) throws IOException {
    long length = channel.size();
    ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(Math.max(length, 1), ZEROS));
    long position = 0;
    while (position < length) {
      zeros.clear().limit((int) Math.min(zeros.capacity(), length - position));
      while (zeros.hasRemaining()) {
        position += channel.write(zeros, position);
      }
    }
    channel.force(true);
  }

  /** Overwrites and removes a temporary file that did not make it into place. */
  private static void discard(Path temporary) {
    try (FileChannel channel = FileChannel.open(temporary, WRITE, NOFOLLOW_LINKS)) {
      zeroFill(channel);
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      LOG.warn("Could not overwrite {} with zeros: {}", temporary, e.getMessage());
    }
    try {
      Files.deleteIfExists(temporary);
    } catch (IOException e) {
      LOG.error("Could not remove {}: {}; remove it by hand", temporary, e.getMessage());
    }
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      LOG.debug("Closing a replaced file: {}", e.getMessage());
    }
  }
}
