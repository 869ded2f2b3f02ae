package org.opencluster.agent.files;

import java.nio.file.Path;
import java.util.List;

/**
 * One secure file the controllers want on this host: where, owned by whom, readable how, served as a
 * tmpfs file or a named pipe, and which command makes its service read it again.
 *
 * <p>The delivery owns {@code content}: {@link SecureFiles#apply} takes it over (and closes it when it is
 * replaced, removed, unchanged or refused). Checks happen there, so that a bad delivery becomes a {@link
 * FileOutcome} saying what is wrong rather than an exception. {@link #toString()} never shows the content.
 *
 * @param name the file's name in the node's information set; one served file per name
 * @param version the version the controllers gave it, echoed in its outcome
 * @param path an absolute, normalized path whose directory is on tmpfs or ramfs
 * @param owner the owning user: a name or a numeric uid
 * @param group the owning group: a name or a numeric gid
 * @param mode POSIX permission bits, 0 to 0777 (e.g. 0440); never setuid, setgid or sticky
 * @param kind a file on tmpfs, or a named pipe that hands the content to each reader
 * @param reloadCommand the command (argv, no shell) to run when the file changed; empty for none
 * @param content the file's bytes, in locked memory
 */
public record Delivery(String name, long version, Path path, String owner, String group, int mode, Kind kind,
    List<String> reloadCommand, LockedSecret content) {

  /** How the file is served. */
  public enum Kind {
    /** A file on tmpfs or ramfs, replaced atomically on update. */
    TMPFS,
    /** A named pipe: each reader that opens it gets the whole current content; nothing is stored. */
    FIFO
  }

  public Delivery {
    reloadCommand = reloadCommand == null ? List.of() : List.copyOf(reloadCommand);
  }

  @Override
  public String toString() {
    return "Delivery[name=" + name + ", version=" + version + ", path=" + path + ", owner=" + owner + ", group="
        + group + ", mode=0" + Integer.toOctalString(mode) + ", kind=" + kind + ", reloadCommand=" + reloadCommand
        + ", content=" + (content == null ? "none" : content.length() + " bytes") + "]";
  }
}
