package org.opencluster.controller.audit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.keys.StorageIntegrityException;

/**
 * Walks the whole chain: authenticates every record, checks that each sits at the place it was
 * written at and follows the record before it, that no place is empty, and that the walk ends at
 * the head (and passes through the anchor, if one is given). Each problem names its record.
 *
 * <p>After a problem the walk carries on from the next record's own (authenticated) view of its
 * predecessor, so one damaged record is reported once, not with every record after it.
 */
final class AuditVerifier {

  private static final int PAGE = 1000;

  private final AuditStore store;
  private final Seal seal;

  AuditVerifier(AuditStore store, Seal seal) {
    this.store = store;
    this.seal = seal;
  }

  Verification verify(Optional<Verification.Anchor> anchor) {
    Walk walk = new Walk(anchor);
    walkAfter(walk, 0, Long.MAX_VALUE);
    AuditChain.Head head;
    try {
      head = AuditChain.openHead(seal, store.sealedHead());
    } catch (StorageIntegrityException e) {
      head = null;
    }
    if (head != null && head.seq() > walk.last) {
      // Appended while the walk ran: committed before the head that names them was read.
      walkAfter(walk, walk.last, head.seq());
    }
    return walk.finish(head);
  }

  private void walkAfter(Walk walk, long after, long upTo) {
    long from = after;
    while (true) {
      List<AuditStore.Row> rows = store.rows(from, PAGE);
      for (AuditStore.Row row : rows) {
        if (row.seq() > upTo) {
          return;
        }
        walk.step(row);
      }
      if (rows.size() < PAGE) {
        return;
      }
      from = rows.get(rows.size() - 1).seq();
    }
  }

  private final class Walk {

    private final Optional<Verification.Anchor> anchor;
    private final List<Verification.Problem> problems = new ArrayList<>();
    private final BitSet present = new BitSet();
    private final BitSet alteredAt = new BitSet();
    private long records;
    private long last;
    private byte[] running = AuditChain.GENESIS;
    private boolean previousOk = true;
    private int misplaced;
    private byte[] anchorHash;

    Walk(Optional<Verification.Anchor> anchor) {
      this.anchor = anchor;
    }

    void step(AuditStore.Row row) {
      long place = row.seq();
      requireIndexable(place);
      records++;
      if (place != last + 1) {
        previousOk = false;
      }
      last = place;
      AuditChain.Opened opened;
      try {
        opened = AuditChain.open(seal, row.record());
      } catch (StorageIntegrityException e) {
        opened = null;
      }
      if (opened == null) {
        alteredAt.set((int) place);
        add(place, Verification.Kind.ALTERED, "record " + place
            + " does not authenticate: it was altered, or was not written by this cluster");
        running = AuditChain.hash(running, place, row.record());
        previousOk = false;
      } else if (opened.seq() != place) {
        requireIndexable(opened.seq());
        present.set((int) opened.seq());
        if (misplaced++ < Verification.MAX_PROBLEMS) {
          add(place, Verification.Kind.REORDERED, "place " + place + " holds record " + opened.seq()
              + ", which was written at place " + opened.seq() + ": records were moved or reordered");
        }
        running = AuditChain.hash(opened.previous(), opened.seq(), row.record());
        previousOk = false;
      } else {
        present.set((int) place);
        if (previousOk && !Arrays.equals(opened.previous(), running)) {
          add(place, Verification.Kind.ALTERED, "record " + place + " does not follow record " + (place - 1)
              + ": the chain is broken between them (a record was replaced)");
        }
        running = AuditChain.hash(opened.previous(), place, row.record());
        previousOk = true;
      }
      if (anchor.isPresent() && anchor.get().seq() == place) {
        anchorHash = running;
      }
    }

    Verification finish(AuditChain.Head head) {
      long upTo = last;
      if (head == null) {
        add(last, Verification.Kind.ALTERED, "the head record (the newest record's place and hash) fails "
            + "authentication: it was altered");
      } else {
        upTo = Math.max(upTo, head.seq());
        if (head.seq() < last) {
          add(head.seq() + 1, Verification.Kind.ALTERED, "the head names record " + head.seq() + " but the log "
              + "holds records up to " + last + ": the head was set back");
        } else if (head.seq() == last && last > 0 && !Arrays.equals(head.hash(), running)) {
          add(last, Verification.Kind.ALTERED, "the newest record, " + last + ", is not the one the head names: "
              + "it (or the head) was replaced");
        }
      }
      if (anchor.isPresent()) {
        Verification.Anchor kept = anchor.get();
        upTo = Math.max(upTo, kept.seq());
        if (anchorHash != null && !Arrays.equals(anchorHash, kept.hash())) {
          add(kept.seq(), Verification.Kind.ALTERED, "the chain up to record " + kept.seq() + " is not the one "
              + "anchored: that record, or one before it, was replaced");
        }
      }
      requireIndexable(upTo);
      missing(upTo);
      problems.sort(Comparator.comparingLong(Verification.Problem::seq).thenComparing(Verification.Problem::kind));
      List<Verification.Problem> first = problems.size() > Verification.MAX_PROBLEMS
          ? problems.subList(0, Verification.MAX_PROBLEMS) : problems;
      return new Verification(problems.isEmpty(), records, last, HexFormat.of().formatHex(running), first);
    }

    /** Places up to {@code upTo} whose record is nowhere: removed, or cut off the end. */
    private void missing(long upTo) {
      BitSet accounted = (BitSet) present.clone();
      accounted.or(alteredAt);
      int from = accounted.nextClearBit(1);
      while (from <= upTo) {
        int next = accounted.nextSetBit(from);
        long to = (next < 0 || next > upTo ? upTo + 1 : next) - 1;
        if (from <= last) {
          long end = Math.min(to, last);
          add(from, Verification.Kind.REMOVED, from == end ? "record " + from + " was removed"
              : "records " + from + ".." + end + " were removed");
        }
        if (to > last) {
          long start = Math.max(from, last + 1);
          add(start, Verification.Kind.TRUNCATED, (start == to ? "record " + start + " is" : "records " + start + ".." + to
              + " are") + " missing after the last record present (" + last + "): removed from the end");
        }
        if (to + 1 > upTo) {
          return;
        }
        from = accounted.nextClearBit((int) to + 1);
      }
    }

    private void add(long seq, Verification.Kind kind, String detail) {
      problems.add(new Verification.Problem(seq, kind, detail));
    }

    private static void requireIndexable(long seq) {
      if (seq < 0 || seq >= Integer.MAX_VALUE) {
        throw new AuditException("record place " + seq + " is beyond what verify can walk");
      }
    }
  }
}
