package org.opencluster.controller.api;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.opencluster.controller.audit.AuditEvent;
import org.opencluster.controller.audit.AuditLog;
import org.opencluster.controller.audit.AuditQuery;
import org.opencluster.controller.audit.AuditRecord;
import org.opencluster.controller.audit.Verification;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Role;

/**
 * The audit log in the operator API, for admins and auditors (an operator may not read who did what).
 *
 * <pre>
 * GET /v1/audit?since=&amp;actor=&amp;action=&amp;limit=&amp;after=   {"records": [...], "unreadable": [...], "next": SEQ}
 * GET /v1/audit/verify?anchor=SEQ:HASH                   {"intact", "records", "head", "anchor", "problems"}
 * </pre>
 *
 * {@code since} is an ISO-8601 instant, {@code actor} exact ("operator/alice"), {@code action}
 * exact or a prefix of whole parts ("api" for "api.post"), {@code limit} 1..1000 (100), {@code after}
 * a record's place (0): pass the answer's {@code next} to go on. {@code anchor} is a head an earlier
 * verify reported: the log must still hold it.
 */
final class AuditRoutes extends AllDirectives {

  private static final Set<Role> READERS = EnumSet.of(Role.ADMIN, Role.AUDITOR);
  private static final Set<String> QUERY_PARAMETERS = Set.of("since", "actor", "action", "limit", "after");
  /**
   * Reads of the log (each may decrypt thousands of records, verify the whole chain) run at most
   * this many at once: they share the blocking dispatcher with readiness, peer unseal and
   * revocations, which a reader of the log must not be able to starve.
   */
  static final int CONCURRENT_READS = 2;

  private final java.util.concurrent.Semaphore reads = new java.util.concurrent.Semaphore(CONCURRENT_READS);

  private final OperatorApi api;
  private final AuditLog audit;

  AuditRoutes(OperatorApi api, AuditLog audit) {
    this.api = api;
    this.audit = audit;
  }

  Route routes(Identity who) {
    return pathPrefix("audit", () -> concat(
        pathEnd(() -> get(() -> api.roles(who, READERS, () -> parameterMap(parameters ->
            limited(() -> list(parameters)))))),
        path("verify", () -> get(() -> api.roles(who, READERS, () -> parameterOptional("anchor", anchor ->
            limited(() -> verify(anchor))))))));
  }

  /** {@code handler} on the blocking dispatcher if fewer than {@link #CONCURRENT_READS} run, else 429. */
  private Route limited(java.util.function.Supplier<HttpResponse> handler) {
    // The permit is taken where the read runs, so a handler that never runs cannot keep one.
    return api.respond(() -> {
      if (!reads.tryAcquire()) {
        return OperatorApi.problem(429, "busy", "Busy", "this controller is already reading the audit log for "
            + CONCURRENT_READS + " requests; retry shortly");
      }
      try {
        return handler.get();
      } finally {
        reads.release();
      }
    });
  }

  private HttpResponse list(Map<String, String> parameters) {
    AuditQuery query;
    try {
      query = query(parameters);
    } catch (IllegalArgumentException e) {
      return OperatorApi.problem(400, "invalid-query", "Invalid audit query", e.getMessage());
    }
    AuditQuery.Page page = audit.query(query);
    List<Map<String, Object>> records = new ArrayList<>();
    for (AuditRecord record : page.records()) {
      records.add(recordBody(record));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("records", records);
    body.put("unreadable", page.unreadable());
    page.next().ifPresent(next -> body.put("next", next));
    return OperatorApi.json(200, body);
  }

  private static AuditQuery query(Map<String, String> parameters) {
    for (String name : parameters.keySet()) {
      if (!QUERY_PARAMETERS.contains(name)) {
        throw new IllegalArgumentException("unknown parameter '" + OperatorApi.printable(name) + "'; use since, actor, "
            + "action, limit, after");
      }
    }
    Optional<Instant> since;
    try {
      since = Optional.ofNullable(parameters.get("since")).map(Instant::parse);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("since must be an ISO-8601 instant, e.g. 2025-03-01T10:00:00Z");
    }
    return new AuditQuery(since, Optional.ofNullable(parameters.get("actor")), Optional.ofNullable(parameters.get("action")),
        number(parameters, "after", 0), (int) number(parameters, "limit", AuditQuery.DEFAULT_LIMIT));
  }

  private static long number(Map<String, String> parameters, String name, long otherwise) {
    String value = parameters.get(name);
    if (value == null) {
      return otherwise;
    }
    try {
      long number = Long.parseLong(value);
      if (number < 0 || number > Integer.MAX_VALUE) {
        throw new NumberFormatException();
      }
      return number;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number");
    }
  }

  private HttpResponse verify(Optional<String> anchorText) {
    Optional<Verification.Anchor> anchor;
    try {
      anchor = anchorText.map(Verification.Anchor::parse);
    } catch (IllegalArgumentException e) {
      return OperatorApi.problem(400, "invalid-anchor", "Invalid anchor", e.getMessage());
    }
    Verification verification = audit.verify(anchor);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("intact", verification.intact());
    body.put("records", verification.records());
    body.put("head", Map.of("seq", verification.headSeq(), "hash", verification.headHash()));
    body.put("anchor", verification.headSeq() + ":" + verification.headHash());
    List<Map<String, Object>> problems = new ArrayList<>();
    for (Verification.Problem problem : verification.problems()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("seq", problem.seq());
      entry.put("kind", problem.kind().name().toLowerCase(Locale.ROOT));
      entry.put("detail", problem.detail());
      problems.add(entry);
    }
    body.put("problems", problems);
    return OperatorApi.json(200, body);
  }

  private static Map<String, Object> recordBody(AuditRecord record) {
    AuditEvent event = record.event();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("seq", record.seq());
    body.put("at", event.at().toString());
    body.put("controller", record.controller());
    body.put("actor", event.actor());
    body.put("action", event.action());
    body.put("target", event.target());
    body.put("outcome", event.outcome());
    body.put("detail", event.detail());
    return body;
  }
}
