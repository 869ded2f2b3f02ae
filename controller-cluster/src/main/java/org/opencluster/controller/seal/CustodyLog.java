package org.opencluster.controller.seal;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.apache.pekko.actor.Address;
import org.opencluster.controller.audit.SecurityEvents;

/**
 * The latest keys this controller gave to peers and requests it refused, newest last, bounded:
 * for operators' diagnostics and tests. The audit log records them durably: each key given, and
 * the refusals counted per interval (a sealed peer asks every few seconds).
 */
public final class CustodyLog implements KeyCustodian.Observer {

  private static final int KEEP = 100;

  /** One grant or refusal. */
  public record Entry(Instant at, boolean granted, String peer, String detail) {}

  private final Clock clock;
  private final Deque<Entry> entries = new ArrayDeque<>();
  private final SecurityEvents audit;

  public CustodyLog(Clock clock) {
    this(clock, SecurityEvents.NONE);
  }

  public CustodyLog(Clock clock, SecurityEvents audit) {
    this.clock = clock;
    this.audit = audit;
  }

  @Override
  public synchronized void granted(String controller, Address to) {
    add(new Entry(clock.instant(), true, to.toString(), controller));
    audit.record("seal.key-given", "controller/" + controller, "given", "the cluster key, to " + to);
  }

  @Override
  public synchronized void refused(Address from, String reason) {
    add(new Entry(clock.instant(), false, from.toString(), reason));
    audit.refused("seal.key-request", "refused", "from " + from + ": " + reason);
  }

  public synchronized List<Entry> entries() {
    return List.copyOf(entries);
  }

  private void add(Entry entry) {
    entries.addLast(entry);
    while (entries.size() > KEEP) {
      entries.removeFirst();
    }
  }
}
