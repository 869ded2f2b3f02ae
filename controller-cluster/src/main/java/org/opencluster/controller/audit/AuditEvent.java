package org.opencluster.controller.audit;

import java.time.Instant;
import java.util.Objects;

/**
 * What one audit record says: who did what to what, when, and how it ended. Never a secret: callers
 * pass names, routes, reasons and counts, never a body, share, key or content. Texts are cleaned on
 * the way in (control characters become '?', lengths are bounded), so a name an attacker chose
 * cannot forge a line in a listing.
 *
 * @param actor "operator/NAME", "controller/NAME" or "node/ID"
 * @param action what was done, e.g. "api.post", "node.quarantine", "tls.refused"
 * @param target what it was done to, e.g. "/v1/nodes", "node/web-1"
 * @param outcome how it ended, e.g. "201", "started", "refused"
 * @param detail more, e.g. a reason or a count; may be empty
 */
public record AuditEvent(Instant at, String actor, String action, String target, String outcome, String detail) {

  static final int MAX_NAME = 255;
  static final int MAX_DETAIL = 1024;

  public AuditEvent {
    Objects.requireNonNull(at, "at");
    actor = clean(actor, MAX_NAME);
    action = clean(action, MAX_NAME);
    target = clean(target, MAX_NAME);
    outcome = clean(outcome, MAX_NAME);
    detail = clean(detail, MAX_DETAIL);
  }

  private static String clean(String text, int max) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), max));
    for (int i = 0; i < text.length() && out.length() < max; i++) {
      char c = text.charAt(i);
      out.append(Character.isISOControl(c) ? '?' : c);
    }
    return out.toString();
  }
}
