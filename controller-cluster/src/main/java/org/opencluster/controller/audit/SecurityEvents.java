package org.opencluster.controller.audit;

/**
 * Where the controller's parts report security events for the audit log. Both methods return at
 * once and never block (actors call them): the record is written later, off the caller's thread.
 * The actor of these records is the controller itself ("controller/NAME").
 */
public interface SecurityEvents {

  /**
   * One notable event, written as its own record: a quarantine, a revocation, an unseal attempt, a
   * key given to a peer. Never pass a secret.
   */
  void record(String action, String target, String outcome, String detail);

  /**
   * A refusal that an attacker can repeat at will (a TLS handshake, a malformed frame, a key request):
   * counted by {@code source} and {@code kind}, and written as one record per kind per interval
   * with the count and the latest {@code sample}, so a flood cannot fill the log. {@code kind}
   * must come from a small fixed set (an enum's name), never from what the peer sent.
   */
  void refused(String source, String kind, String sample);

  /** For tests and tools that run parts without an audit log. */
  SecurityEvents NONE = new SecurityEvents() {
    @Override
    public void record(String action, String target, String outcome, String detail) {}

    @Override
    public void refused(String source, String kind, String sample) {}
  };
}
