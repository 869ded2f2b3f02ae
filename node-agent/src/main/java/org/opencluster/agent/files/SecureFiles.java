package org.opencluster.agent.files;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The secure files this host serves: tmpfs files and named pipes, their content in locked memory, never on
 * a disk.
 *
 * <p>{@link #apply} takes one node information set from the controllers and makes the host match it: files
 * written atomically, pipes made or given new content, reload commands run for what changed, files no
 * longer wanted overwritten and removed. Each delivery gets a {@link FileOutcome}; one that fails never
 * stops the others. {@link #wipeAll()} (also {@link #close()}) removes everything within a second, for a
 * quarantined node or a stopping agent.
 *
 * <p>Thread-safe. {@link #apply} blocks while reload commands run, so callers run it off their actor
 * thread; {@link #wipeAll()} never waits for a reload command, and a set still being applied when a wipe
 * happens is refused rather than written after it. After {@link #close()} every delivery is refused.
 */
public final class SecureFiles implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SecureFiles.class);
  /** How long a wipe waits for the server threads of its pipes (all together). */
  private static final long WIPE_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  /** A served file under its name, with the version and reload command of its last delivery. */
  private record Served(String name, long version, ReloadCommand reload, ServedFile file) {}

  /** A delivery that passed its checks. */
  private record Checked(int index, Delivery delivery, Target target, ReloadCommand reload) {}

  private final FilesSettings settings;
  private final Object lock = new Object();
  private final Map<String, Served> served = new LinkedHashMap<>();
  private final AtomicBoolean warnedUnlocked = new AtomicBoolean();
  private long wipes;
  private boolean closed;

  private SecureFiles(FilesSettings settings) {
    this.settings = settings;
  }

  /**
   * Hardens the process ({@link ProcessHardening}: non-dumpable, no core file; a warning if swap is on)
   * and returns an empty set of secure files.
   *
   * @throws IllegalStateException off Linux on x86-64 or aarch64, or if the process stays dumpable
   */
  public static SecureFiles create(FilesSettings settings) {
    Objects.requireNonNull(settings, "settings");
    String unsupported = Libc.unsupportedPlatform();
    if (unsupported != null) {
      throw new IllegalStateException(unsupported);
    }
    ProcessHardening.Result hardening = ProcessHardening.apply();
    if (!hardening.nonDumpable()) {
      throw new IllegalStateException("secure files need a process that cannot dump core: "
          + String.join("; ", hardening.problems()));
    }
    hardening.problems().forEach(problem -> LOG.warn("Process hardening: {}", problem));
    LOG.info("Secure files ready: process non-dumpable, core size limit {}, memory locking {}",
        hardening.coreLimitZero() ? "0" : "not 0", settings.requireLockedMemory() ? "required" : "preferred");
    return new SecureFiles(settings);
  }

  /**
   * Applies one node information set. Takes ownership of every delivery's content (closes it when replaced,
   * removed, unchanged or refused). {@code complete}: any served file not named in {@code files} is removed.
   * Blocking (runs reload commands): callers run it off their actor thread.
   *
   * @param files the deliveries, each name and each path at most once
   * @param removed names to stop serving (overwritten and removed); a name not served is ignored
   * @param complete whether {@code files} is the whole set, so that anything else served goes
   * @return one outcome per delivery, in the order of {@code files}
   */
  public List<FileOutcome> apply(List<Delivery> files, List<String> removed, boolean complete) {
    Objects.requireNonNull(files, "files");
    for (Delivery delivery : files) {
      Objects.requireNonNull(delivery, "a delivery in files is null");
    }
    List<String> toRemove = removed == null ? List.of() : removed;
    long wipesAtStart;
    synchronized (lock) {
      wipesAtStart = wipes;
    }
    FileOutcome[] outcomes = new FileOutcome[files.size()];
    List<Checked> checked = check(files, outcomes);
    List<Checked> written = new ArrayList<>();
    synchronized (lock) {
      if (closed || wipes != wipesAtStart) {
        String why = closed ? "secure files are closed: the agent is stopping"
            : "every secure file was wiped while this set was being applied; it was not written";
        for (Checked c : checked) {
          outcomes[c.index()] = refuse(c.delivery(), why);
        }
        return List.of(outcomes);
      }
      removeLeaving(files, toRemove, complete);
      List<Checked> placeable = moveOrRefuse(checked, outcomes);
      for (Checked c : placeable) {
        outcomes[c.index()] = deliver(c);
        if (outcomes[c.index()].result() == FileOutcome.Result.APPLIED && c.reload() != null) {
          written.add(c);
        }
      }
    }
    runReloads(written, outcomes, wipesAtStart);
    for (FileOutcome outcome : outcomes) {
      if (outcome.result() == FileOutcome.Result.FAILED || outcome.result() == FileOutcome.Result.RELOAD_FAILED) {
        LOG.warn("Secure file {} (version {}): {}: {}", outcome.name(), outcome.version(), outcome.result(),
            outcome.detail());
      } else {
        LOG.info("Secure file {} (version {}): {}: {}", outcome.name(), outcome.version(), outcome.result(),
            outcome.detail());
      }
    }
    return List.of(outcomes);
  }

  /**
   * Stops serving {@code name}: a file is overwritten with zeros and unlinked, a pipe unlinked, the content
   * zeroed. No reload command runs.
   *
   * @return whether {@code name} was served
   */
  public boolean remove(String name) {
    synchronized (lock) {
      Served gone = served.remove(name);
      if (gone == null) {
        return false;
      }
      LOG.info("Removing secure file {} ({})", name, gone.file());
      wipe(List.of(gone.file()));
      return true;
    }
  }

  /** The files and pipes served now. */
  public int served() {
    synchronized (lock) {
      return served.size();
    }
  }

  /**
   * Removes every secure file: each tmpfs file overwritten with zeros and unlinked, each pipe unblocked and
   * unlinked, all content zeroed. Within a second; never waits for a reload command. A set being applied
   * meanwhile is refused. Idempotent; callable from any thread (a shutdown hook included).
   */
  public void wipeAll() {
    synchronized (lock) {
      wipes++;
      if (served.isEmpty()) {
        return;
      }
      List<ServedFile> files = served.values().stream().map(Served::file).toList();
      served.clear();
      long started = System.nanoTime();
      wipe(files);
      LOG.info("Wiped {} secure files in {} ms", files.size(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }
  }

  /** {@link #wipeAll()}, and every later delivery is refused. */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      wipeAll();
    }
  }

  /** The file served under {@code name}, or null; for tests. */
  ServedFile servedFile(String name) {
    synchronized (lock) {
      Served s = served.get(name);
      return s == null ? null : s.file();
    }
  }

  // ---- checks, outside the lock (owner and group look-ups may be slow) ---------------------------

  private List<Checked> check(List<Delivery> files, FileOutcome[] outcomes) {
    List<Checked> checked = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Map<Path, String> paths = new HashMap<>();
    for (int i = 0; i < files.size(); i++) {
      Delivery delivery = files.get(i);
      try {
        if (delivery.content() == null) {
          throw new DeliveryRefused("no content given");
        }
        if (delivery.content().isClosed()) {
          throw new DeliveryRefused("its content was closed before it was applied");
        }
        Target target = Target.check(delivery);
        checkLocked(delivery);
        ReloadCommand reload = reloadOf(delivery);
        if (!names.add(delivery.name())) {
          throw new DeliveryRefused("file " + delivery.name() + " appears twice in this set; the first one is served");
        }
        String other = paths.putIfAbsent(target.path(), delivery.name());
        if (other != null) {
          throw new DeliveryRefused(target.path() + " is also the path of file " + other + " in this set; one path, "
              + "one file");
        }
        checked.add(new Checked(i, delivery, target, reload));
      } catch (DeliveryRefused e) {
        outcomes[i] = refuse(delivery, e.getMessage());
      }
    }
    return checked;
  }

  private void checkLocked(Delivery delivery) throws DeliveryRefused {
    if (delivery.content().isLocked()) {
      return;
    }
    String failure = delivery.content().lockFailure();
    if (settings.requireLockedMemory()) {
      throw new DeliveryRefused(failure + "; raise the limit (LimitMEMLOCK= in the agent's systemd unit, ulimit -l) "
          + "or set opencluster.agent.files.require-locked-memory = off");
    }
    if (warnedUnlocked.compareAndSet(false, true)) {
      LOG.warn("Secure file {}: {}; serving it from memory that may be swapped out, as "
          + "opencluster.agent.files.require-locked-memory = off (said once)", delivery.name(), failure);
    }
  }

  private static ReloadCommand reloadOf(Delivery delivery) throws DeliveryRefused {
    List<String> argv = delivery.reloadCommand();
    if (argv.isEmpty()) {
      return null;
    }
    for (String argument : argv) {
      if (argument == null) {
        throw new DeliveryRefused("reload command " + argv + " holds a null argument");
      }
    }
    if (argv.get(0).isBlank()) {
      throw new DeliveryRefused("reload command " + argv + " names no program");
    }
    if (!argv.get(0).startsWith("/")) {
      // No search path: what runs as root on this host is exactly the program the definition names.
      throw new DeliveryRefused("reload command " + argv + " must name its program by an absolute path");
    }
    return new ReloadCommand(argv);
  }

  // ---- under the lock --------------------------------------------------------------------------

  /** Removes the names in {@code removed} and, for a complete set, every name {@code files} does not hold. */
  private void removeLeaving(List<Delivery> files, List<String> removed, boolean complete) {
    Set<String> leaving = new LinkedHashSet<>();
    for (String name : removed) {
      if (served.containsKey(name)) {
        leaving.add(name);
      }
    }
    if (complete) {
      Set<String> named = new HashSet<>();
      files.forEach(delivery -> named.add(delivery.name()));
      for (String name : served.keySet()) {
        if (!named.contains(name)) {
          leaving.add(name);
        }
      }
    }
    List<ServedFile> gone = new ArrayList<>();
    for (String name : leaving) {
      ServedFile file = served.remove(name).file();
      LOG.info("Removing secure file {} ({})", name, file);
      gone.add(file);
    }
    wipe(gone);
  }

  /**
   * Refuses a delivery whose path another served file holds (unless that one moves away in this set), then
   * wipes the old place of every name that moves to another path or changes kind.
   */
  private List<Checked> moveOrRefuse(List<Checked> checked, FileOutcome[] outcomes) {
    Map<Path, String> servedPaths = new HashMap<>();
    served.values().forEach(s -> servedPaths.put(s.file().target().path(), s.name()));
    List<Checked> placeable = new ArrayList<>(checked);
    boolean refusedOne = true;
    while (refusedOne) {
      refusedOne = false;
      Set<String> moving = new HashSet<>();
      placeable.forEach(c -> moving.add(c.delivery().name()));
      for (Checked c : List.copyOf(placeable)) {
        String holder = servedPaths.get(c.target().path());
        if (holder != null && !holder.equals(c.delivery().name()) && !moving.contains(holder)) {
          outcomes[c.index()] = refuse(c.delivery(), c.target().path() + " is already served as file " + holder
              + "; remove that file first or choose another path");
          placeable.remove(c);
          refusedOne = true;
        }
      }
    }
    List<ServedFile> moved = new ArrayList<>();
    for (Checked c : placeable) {
      Served current = served.get(c.delivery().name());
      if (current != null && (!current.file().target().path().equals(c.target().path())
          || current.file().target().kind() != c.target().kind())) {
        LOG.info("Secure file {} moves from {} to {} ({}); removing the old one", current.name(),
            current.file().target().path(), c.target().path(), c.target().kind());
        served.remove(current.name());
        moved.add(current.file());
      }
    }
    wipe(moved);
    return placeable;
  }

  /** Serves one checked delivery, taking over its content. */
  private FileOutcome deliver(Checked c) {
    Delivery delivery = c.delivery();
    Target target = c.target();
    Served current = served.get(delivery.name());
    try {
      if (current != null) {
        ServedFile file = current.file();
        boolean sameAttributes = file.target().equals(target);
        boolean intact = file.intact();
        if (sameAttributes && intact && file.content().sameContentAs(delivery.content())) {
          delivery.content().close();
          served.put(delivery.name(), new Served(delivery.name(), delivery.version(), c.reload(), file));
          return outcome(delivery, FileOutcome.Result.UNCHANGED, "already served: " + describe(target));
        }
        if (sameAttributes && intact && file instanceof ServedPipe pipe) {
          pipe.replaceContent(delivery.content());
          served.put(delivery.name(), new Served(delivery.name(), delivery.version(), c.reload(), file));
          return outcome(delivery, FileOutcome.Result.APPLIED, "new content for " + describe(target));
        }
        ServedFile next = materialize(delivery, target, file instanceof TmpfsFile tmpfs ? tmpfs : null);
        served.put(delivery.name(), new Served(delivery.name(), delivery.version(), c.reload(), next));
        if (file instanceof ServedPipe) {
          wipe(List.of(file));
        } else {
          file.content().close();
        }
        return outcome(delivery, FileOutcome.Result.APPLIED, "replaced: " + describe(target));
      }
      ServedFile next = materialize(delivery, target, null);
      served.put(delivery.name(), new Served(delivery.name(), delivery.version(), c.reload(), next));
      return outcome(delivery, FileOutcome.Result.APPLIED, "served: " + describe(target));
    } catch (IOException | RuntimeException e) {
      delivery.content().close();
      return outcome(delivery, FileOutcome.Result.FAILED, "could not serve " + target.path() + ": " + e.getMessage()
          + (current == null ? "" : "; the previous version is still served"));
    }
  }

  private static ServedFile materialize(Delivery delivery, Target target, TmpfsFile previous)
      throws IOException {
    return switch (target.kind()) {
      case TMPFS -> TmpfsFile.write(target, delivery.content(), previous);
      case FIFO -> ServedPipe.start(delivery.name(), target, delivery.content());
    };
  }

  // ---- reloads, outside the lock ---------------------------------------------------------------

  /** Runs each distinct reload command of the written files once, in the order of the set. */
  private void runReloads(List<Checked> written, FileOutcome[] outcomes, long wipesAtStart) {
    Map<ReloadCommand, String> failures = new HashMap<>();
    for (Checked c : written) {
      ReloadCommand reload = c.reload();
      if (!failures.containsKey(reload)) {
        boolean wiped;
        synchronized (lock) {
          wiped = closed || wipes != wipesAtStart;
        }
        String failure = wiped ? "reload command " + reload + " not run: the secure files were wiped first"
            : reload.run(settings.reloadTimeout());
        failures.put(reload, failure);
        LOG.debug("Reload command {} ran: {}", reload, failure == null ? "exit 0" : failure);
      }
      String failure = failures.get(reload);
      if (failure != null) {
        outcomes[c.index()] = outcome(c.delivery(), FileOutcome.Result.RELOAD_FAILED, failure);
      }
    }
  }

  // ---- shared ----------------------------------------------------------------------------------

  /** Stops every file, then waits (half a second at most, all together) for their pipes' threads. */
  private static void wipe(Collection<ServedFile> files) {
    if (files.isEmpty()) {
      return;
    }
    for (ServedFile file : files) {
      try {
        file.stop();
      } catch (RuntimeException e) {
        LOG.error("Could not wipe {}", file, e);
      }
    }
    long deadline = System.nanoTime() + WIPE_WAIT_NANOS;
    for (ServedFile file : files) {
      file.awaitStopped(deadline);
    }
  }

  private static FileOutcome refuse(Delivery delivery, String why) {
    if (delivery.content() != null) {
      delivery.content().close();
    }
    return outcome(delivery, FileOutcome.Result.FAILED, why);
  }

  private static FileOutcome outcome(Delivery delivery, FileOutcome.Result result, String detail) {
    return new FileOutcome(delivery.name(), delivery.version(), result, detail);
  }

  private static String describe(Target target) {
    return target.path() + " (" + (target.kind() == Delivery.Kind.TMPFS ? "tmpfs file" : "named pipe") + ", "
        + target.owner().getName() + ":" + target.group().getName() + ", mode " + Target.octal(target.mode()) + ")";
  }
}
