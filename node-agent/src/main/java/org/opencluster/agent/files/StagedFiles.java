package org.opencluster.agent.files;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.opencluster.protocol.agent.v1.SecureFile;
import org.opencluster.protocol.agent.v1.StagedFile;
import org.opencluster.protocol.crypto.SealedBoxException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.session.AgentSession;
import org.opencluster.protocol.session.SecureFileBox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The staged files of the last applied node information set (agent.proto {@code StagedFile}): the
 * pending version of a rotating shared secret, rendered into a file that reads it, held in locked
 * memory until the rotation finishes and a later set carries the file itself. Nothing of a staged
 * file is written: no file, no pipe, no reload command; there is no way to read it back.
 *
 * <p>Each content is opened with this boot's key under the name {@link SecureFileBox#stagedName},
 * never the file's own name, so a staged content cannot be served as the live file and a live
 * content cannot be staged. Each set's staged files replace the previous set's, whose memory is
 * zeroed; {@link #close()} zeroes them all and refuses every later set.
 *
 * <p>Thread-safe; the agent's link uses it from its own thread.
 */
public final class StagedFiles implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StagedFiles.class);

  /** What a staged content is known by: a set holds at most one of each. */
  private record Key(String secret, long secretVersion, String file) {}

  private final FilesSettings settings;
  private Map<Key, LockedSecret> held = Map.of();
  private boolean closed;

  private StagedFiles(FilesSettings settings) {
    this.settings = settings;
  }

  /** None held yet; {@code settings} say whether memory that cannot be locked is refused. */
  public static StagedFiles create(FilesSettings settings) {
    return new StagedFiles(Objects.requireNonNull(settings, "settings"));
  }

  /**
   * Opens the staged files of a set with {@code session}'s key into locked memory and holds them in
   * place of those held so far, which are zeroed. One outcome per entry of {@code staged}, in order.
   * An entry without a secret, a secret version or a file name is refused without being opened, and
   * so is a second entry of the same secret, version and file. After {@link #close()}, every entry
   * is refused and nothing is held.
   */
  public List<StagedOutcome> replace(List<StagedFile> staged, AgentSession session) {
    Objects.requireNonNull(staged, "staged");
    Objects.requireNonNull(session, "session");
    Map<Key, LockedSecret> opened = new LinkedHashMap<>();
    List<StagedOutcome> outcomes = new ArrayList<>(staged.size());
    for (StagedFile entry : staged) {
      Key key = new Key(entry.getSecret(), entry.getSecretVersion(), entry.getFile().getName());
      String refusal = refusal(key, opened);
      if (refusal == null) {
        try {
          opened.put(key, open(key, entry.getFile(), session));
        } catch (StagedRefused e) {
          refusal = e.getMessage();
        }
      }
      outcomes.add(new StagedOutcome(key.secret(), key.secretVersion(), key.file(), refusal == null,
          refusal == null ? "" : refusal));
    }
    Map<Key, LockedSecret> replaced;
    boolean stopping;
    synchronized (this) {
      stopping = closed;
      replaced = stopping ? opened : held;
      if (!stopping) {
        held = opened;
      }
    }
    replaced.values().forEach(LockedSecret::close);
    if (stopping) {
      return outcomes.stream().map(o -> o.held()
          ? new StagedOutcome(o.secret(), o.secretVersion(), o.file(), false, "the agent is stopping") : o).toList();
    }
    return outcomes;
  }

  /** How many staged files are held. */
  public synchronized int held() {
    return held.size();
  }

  /** Zeroes every staged file held; the next set's are held as usual. Idempotent. */
  public void wipe() {
    Map<Key, LockedSecret> wiped;
    synchronized (this) {
      wiped = held;
      held = Map.of();
    }
    wiped.values().forEach(LockedSecret::close);
  }

  /** {@link #wipe()}, and every later set's staged files are refused. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    wipe();
  }

  /** The content held for a staged file, or null: for tests, which check that it is zeroed when replaced. */
  synchronized LockedSecret content(String secret, long secretVersion, String file) {
    return held.get(new Key(secret, secretVersion, file));
  }

  @Override
  public synchronized String toString() {
    return "StagedFiles[" + held.size() + " held]";
  }

  private static String refusal(Key key, Map<Key, LockedSecret> opened) {
    if (key.secret().isEmpty() || key.file().isEmpty() || key.secretVersion() == 0) {
      return "a staged file needs a secret, a secret version and a file name";
    }
    if (opened.containsKey(key)) {
      return "staged twice in this set";
    }
    return null;
  }

  private LockedSecret open(Key key, SecureFile file, AgentSession session) throws StagedRefused {
    String name = SecureFileBox.stagedName(key.secret(), key.secretVersion(), key.file());
    LockedSecret locked;
    try (SecretBytes content = session.openSecureFile(name, file.getVersion(), file.getSealedContent().toByteArray())) {
      locked = LockedSecret.copyOf(content);
    } catch (SealedBoxException e) {
      throw new StagedRefused("its content does not open with this boot's key: " + e.getMessage());
    } catch (RuntimeException e) {
      throw new StagedRefused("its content could not be put in locked memory: " + e.getMessage());
    }
    if (!locked.isLocked()) {
      if (settings.requireLockedMemory()) {
        String failure = locked.lockFailure();
        locked.close();
        throw new StagedRefused(failure + "; raise the limit (LimitMEMLOCK= in the agent's systemd unit, ulimit -l) "
            + "or set opencluster.agent.files.require-locked-memory = off");
      }
      LOG.warn("Staged file {} of {} v{}: {}; holding it in memory that may be swapped out, as "
          + "opencluster.agent.files.require-locked-memory = off", key.file(), key.secret(), key.secretVersion(),
          locked.lockFailure());
    }
    return locked;
  }

  /** Why a staged file is not held. */
  private static final class StagedRefused extends Exception {
    StagedRefused(String detail) {
      super(detail, null, false, false);
    }
  }
}
