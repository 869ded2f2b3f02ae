package org.opencluster.controller.audit;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A search of the audit log: records after place {@code after}, oldest first, that match every
 * filter given, at most {@code limit}.
 *
 * @param since records at or after this instant
 * @param actor exactly this actor ("operator/alice")
 * @param action exactly this action ("api.post"), or every action under it ("api" matches "api.post")
 */
public record AuditQuery(Optional<Instant> since, Optional<String> actor, Optional<String> action, long after, int limit) {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1000;

  public AuditQuery {
    if (after < 0) {
      throw new IllegalArgumentException("after must be a record's place, 0 or more");
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT);
    }
  }

  /** Every record, from the first. */
  public static AuditQuery all() {
    return new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), 0, MAX_LIMIT);
  }

  boolean matches(AuditRecord record) {
    AuditEvent event = record.event();
    return since.map(at -> !event.at().isBefore(at)).orElse(true)
        && actor.map(event.actor()::equals).orElse(true)
        && action.map(a -> event.action().equals(a) || event.action().startsWith(a + ".")).orElse(true);
  }

  /**
   * One page of answers.
   *
   * @param unreadable places whose record failed authentication (run verify)
   * @param next pass it as {@code after} for the next page; empty when the search reached the newest record
   */
  public record Page(List<AuditRecord> records, List<Long> unreadable, OptionalLong next) {
    public Page {
      records = List.copyOf(records);
      unreadable = List.copyOf(unreadable);
    }
  }
}
