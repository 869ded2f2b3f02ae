package org.opencluster.controller.audit;

import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * What {@code audit verify} found: whether the chain is whole, how many records it walked, the head
 * it computed (keep it: a later verify with it as the anchor detects the newest records being
 * removed), and each problem, first (lowest place) first.
 *
 * @param records the records walked
 * @param headSeq the newest record's place
 * @param headHash its chain hash, hex; what an operator keeps as an anchor
 * @param problems at most {@link #MAX_PROBLEMS}, ordered by place
 */
public record Verification(boolean intact, long records, long headSeq, String headHash, List<Problem> problems) {

  public static final int MAX_PROBLEMS = 100;

  /** What is wrong at one place in the chain. */
  public enum Kind {
    /** The record is gone: its place is empty and it is nowhere else. */
    REMOVED,
    /** The record is at another place than it was written at. */
    REORDERED,
    /** The record (or the head) fails authentication, or does not follow the one before it. */
    ALTERED,
    /** Records are missing after the last one present: the head, or the anchor given, names a later one. */
    TRUNCATED
  }

  /** One problem: {@code seq} names the record. */
  public record Problem(long seq, Kind kind, String detail) {}

  public Verification {
    problems = List.copyOf(problems);
  }

  /** The first problem, which names the first record that is not as it was written. */
  public Optional<Problem> first() {
    return problems.stream().findFirst();
  }

  /** An anchor: a record's place and its chain hash, as a verify reported it. */
  public record Anchor(long seq, byte[] hash) {

    public Anchor {
      if (seq <= 0 || hash == null || hash.length != AuditChain.HASH_LENGTH) {
        throw new IllegalArgumentException("an anchor is a record's place (1, 2, ...) and its 32-byte chain hash");
      }
      hash = hash.clone();
    }

    /**
     * Reads {@code SEQ:HEX}, as printed by verify.
     *
     * @throws IllegalArgumentException if it is not that
     */
    public static Anchor parse(String text) {
      int colon = text == null ? -1 : text.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("an anchor is SEQ:HASH, as 'audit verify' prints it");
      }
      try {
        return new Anchor(Long.parseLong(text.substring(0, colon)), HexFormat.of().parseHex(text.substring(colon + 1)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("an anchor is SEQ:HASH, as 'audit verify' prints it");
      }
    }

    @Override
    public byte[] hash() {
      return hash.clone();
    }

    @Override
    public String toString() {
      return seq + ":" + HexFormat.of().formatHex(hash);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Anchor other && seq == other.seq && java.util.Arrays.equals(hash, other.hash);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(seq) * 31 + java.util.Arrays.hashCode(hash);
    }
  }
}
