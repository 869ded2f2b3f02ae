package org.opencluster.agent.files;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * Where and how a delivery is served, checked: an absolute normalized path in an existing directory (not a
 * symbolic link) on tmpfs or ramfs, no link or directory in the file's place, an owner and a group that
 * exist on this host, and plain permission bits.
 *
 * @param path the file or pipe
 * @param kind file or pipe
 * @param owner the owning user, resolved (principals compare by id)
 * @param group the owning group, resolved
 * @param mode the permission bits, 0 to 0777
 */
record Target(Path path, Delivery.Kind kind, UserPrincipal owner, GroupPrincipal group, int mode) {

  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFIFO = 0010000;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final PosixFilePermission[] BITS = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};

  /** Read and write for the owner only: what a file has until its content and attributes are in place. */
  static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
      PosixFilePermission.OWNER_WRITE);

  /**
   * Checks {@code delivery}'s name, path, directory, mode, owner and group.
   *
   * @throws DeliveryRefused saying what is wrong and what to do
   */
  static Target check(Delivery delivery) throws DeliveryRefused {
    if (delivery.name() == null || delivery.name().isBlank()) {
      throw new DeliveryRefused("a secure file has no name");
    }
    if (delivery.kind() == null) {
      throw new DeliveryRefused("no kind given: TMPFS or FIFO");
    }
    Path path = checkPath(delivery.path());
    int mode = delivery.mode();
    if (mode < 0 || mode > 0777) {
      throw new DeliveryRefused("mode " + octal(mode) + " is refused: only permission bits (0 to 0777) are "
          + "allowed, never setuid, setgid or sticky");
    }
    UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
    UserPrincipal owner;
    GroupPrincipal group;
    String ownerName = delivery.owner();
    String groupName = delivery.group();
    if (ownerName == null || ownerName.isBlank()) {
      throw new DeliveryRefused("no owner given: a user name or a numeric uid");
    }
    if (groupName == null || groupName.isBlank()) {
      throw new DeliveryRefused("no group given: a group name or a numeric gid");
    }
    try {
      owner = users.lookupPrincipalByName(ownerName);
    } catch (UserPrincipalNotFoundException e) {
      throw new DeliveryRefused("owner '" + ownerName + "' is not a user on this host: give a user name or a "
          + "numeric uid");
    } catch (IOException e) {
      throw new DeliveryRefused("cannot look up owner '" + ownerName + "': " + e.getMessage());
    }
    try {
      group = users.lookupPrincipalByGroupName(groupName);
    } catch (UserPrincipalNotFoundException e) {
      throw new DeliveryRefused("group '" + groupName + "' is not a group on this host: give a group name or a "
          + "numeric gid");
    } catch (IOException e) {
      throw new DeliveryRefused("cannot look up group '" + groupName + "': " + e.getMessage());
    }
    checkDirectory(path);
    checkExisting(path);
    return new Target(path, delivery.kind(), owner, group, mode);
  }

  /** The directory the file or pipe is in. */
  Path directory() {
    return path.getParent();
  }

  Set<PosixFilePermission> permissions() {
    Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
    for (int bit = 0; bit < BITS.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        permissions.add(BITS[bit]);
      }
    }
    return permissions;
  }

  /** Sets the owner, the group, then the permissions of {@code file} (never following a link). */
  void applyAttributes(Path file) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS);
    view.setOwner(owner);
    view.setGroup(group);
    view.setPermissions(permissions());
  }

  /**
   * As {@link #applyAttributes}, for a named pipe: the permissions are set with chmod(2) by path,
   * because Java sets them through a descriptor, and opening a pipe blocks until it has a writer.
   */
  void applyPipeAttributes(Path pipe) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(pipe, PosixFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS);
    view.setOwner(owner);
    view.setGroup(group);
    try {
      Libc.get().chmod(pipe.toString(), mode);
    } catch (LastErrorException e) {
      throw new IOException("cannot set the mode of the named pipe " + pipe + ": chmod failed with " + e.getMessage(),
          e);
    }
  }

  /** Whether {@code attributes} show this target's owner, group and permissions. */
  boolean matches(PosixFileAttributes attributes) {
    return attributes.owner().equals(owner) && attributes.group().equals(group)
        && attributes.permissions().equals(permissions());
  }

  /** A fresh name in the same directory, for a file or pipe built before it is renamed into place. */
  Path temporarySibling() {
    byte[] random = new byte[8];
    RANDOM.nextBytes(random);
    return directory().resolve("." + path.getFileName() + ".opencluster-" + HexFormat.of().formatHex(random));
  }

  /** {@code mode} in octal, e.g. {@code 0440}. */
  static String octal(int mode) {
    return mode < 0 ? "-0" + Integer.toOctalString(-mode) : "0" + Integer.toOctalString(mode);
  }

  private static Path checkPath(Path path) throws DeliveryRefused {
    if (path == null) {
      throw new DeliveryRefused("no path given");
    }
    if (!path.isAbsolute()) {
      throw new DeliveryRefused(path + " is not an absolute path");
    }
    for (Path element : path) {
      if (element.toString().equals("..") || element.toString().equals(".")) {
        throw new DeliveryRefused(path + " holds '" + element + "': give a normalized path, without . or ..");
      }
    }
    if (!path.equals(path.normalize()) || path.getParent() == null || path.getFileName() == null) {
      throw new DeliveryRefused(path + " is not a normalized path to a file");
    }
    return path;
  }

  private static void checkDirectory(Path path) throws DeliveryRefused {
    Path directory = path.getParent();
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(directory, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new DeliveryRefused(path + ": directory " + directory + " does not exist; create it on a tmpfs");
    } catch (IOException e) {
      throw new DeliveryRefused(path + ": cannot read directory " + directory + ": " + e.getMessage());
    }
    if (attributes.isSymbolicLink()) {
      throw new DeliveryRefused(path + ": directory " + directory + " is a symbolic link; secure files never follow "
          + "links: name the real directory");
    }
    if (!attributes.isDirectory()) {
      throw new DeliveryRefused(path + ": " + directory + " is not a directory");
    }
    FileSystemType type;
    try {
      type = FileSystemType.of(directory);
    } catch (IOException e) {
      throw new DeliveryRefused(path + ": " + e.getMessage());
    }
    if (!type.isInMemory()) {
      throw new DeliveryRefused(path + " is refused: its directory " + directory + " is on " + type + ", not tmpfs "
          + "or ramfs, and secure files never touch a disk; choose a directory on a tmpfs (such as one under /run)");
    }
  }

  private static void checkExisting(Path path) throws DeliveryRefused {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      throw new DeliveryRefused("cannot read " + path + ": " + e.getMessage());
    }
    if (attributes.isSymbolicLink()) {
      throw new DeliveryRefused(path + " is a symbolic link; secure files never follow links: remove it or choose "
          + "another path");
    }
    if (attributes.isDirectory()) {
      throw new DeliveryRefused(path + " is a directory; remove it or choose another path");
    }
    int type;
    try {
      type = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & S_IFMT;
    } catch (IOException e) {
      throw new DeliveryRefused("cannot read " + path + ": " + e.getMessage());
    }
    if (type != S_IFREG && type != S_IFIFO) {
      throw new DeliveryRefused(path + " is a socket or a device, not a file this agent replaces; remove it or "
          + "choose another path");
    }
  }
}
