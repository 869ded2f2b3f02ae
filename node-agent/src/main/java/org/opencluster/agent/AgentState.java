package org.opencluster.agent;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** What the agent's link is doing, for its log, its operator and tests. Holds no secret. Thread-safe. */
public final class AgentState {

  private volatile String controller;
  private volatile Instant leaseExpiresAt;
  private volatile boolean holdingSecrets;
  private final AtomicLong heartbeatsSent = new AtomicLong();
  private final AtomicLong acknowledgements = new AtomicLong();
  private final AtomicLong failovers = new AtomicLong();
  private final AtomicLong redirects = new AtomicLong();
  private final AtomicLong foreignRefusals = new AtomicLong();
  private final AtomicLong enrolments = new AtomicLong();
  private final AtomicLong rekeys = new AtomicLong();
  private volatile int filesServed;
  private volatile int stagedHeld;
  private volatile long infoSetVersion;

  void established(String controller, Instant leaseExpiresAt) {
    this.controller = controller;
    this.leaseExpiresAt = leaseExpiresAt;
    this.holdingSecrets = true;
    enrolments.incrementAndGet();
  }

  /** A new session replaced the live one in place (a re-key): the files were kept. */
  void rekeyed(String controller, Instant leaseExpiresAt) {
    this.controller = controller;
    this.leaseExpiresAt = leaseExpiresAt;
    rekeys.incrementAndGet();
  }

  void heartbeatSent() {
    heartbeatsSent.incrementAndGet();
  }

  void acknowledged(Instant leaseExpiresAt) {
    this.leaseExpiresAt = leaseExpiresAt;
    acknowledgements.incrementAndGet();
  }

  void failedOver() {
    failovers.incrementAndGet();
  }

  /** A refusal or redirect naming another session's frame reached the agent, and was ignored. */
  void ignoredForeignRefusal() {
    foreignRefusals.incrementAndGet();
  }

  /** Refusals and redirects of another session's frames ignored since the agent started. */
  public long foreignRefusalsIgnored() {
    return foreignRefusals.get();
  }

  /** An edge redirected the agent to another (it was leaving, or balancing its agents). */
  void redirected() {
    redirects.incrementAndGet();
  }

  /** Redirects followed since the agent started. */
  public long redirects() {
    return redirects.get();
  }

  void wiped() {
    holdingSecrets = false;
  }

  void filesServed(int served, long version) {
    this.filesServed = served;
    this.infoSetVersion = version;
  }

  void stagedHeld(int held) {
    this.stagedHeld = held;
  }

  /** Staged files (pending versions of rotating secrets) held in memory, never written. */
  public int stagedHeld() {
    return stagedHeld;
  }

  /** Secure files and pipes served after the last applied set. */
  public int filesServed() {
    return filesServed;
  }

  /** The last node information set applied. */
  public long infoSetVersion() {
    return infoSetVersion;
  }

  /** The controller that signed the current session's Welcome. */
  public Optional<String> controller() {
    return Optional.ofNullable(controller);
  }

  public Optional<Instant> leaseExpiresAt() {
    return Optional.ofNullable(leaseExpiresAt);
  }

  /** Whether a session key is in memory. */
  public boolean holdingSecrets() {
    return holdingSecrets;
  }

  public long heartbeatsSent() {
    return heartbeatsSent.get();
  }

  public long acknowledgements() {
    return acknowledgements.get();
  }

  public long failovers() {
    return failovers.get();
  }

  /** Sessions opened: 1 for an agent that never had to enrol again. */
  public long enrolments() {
    return enrolments.get();
  }

  /** Sessions replaced in place at the controllers' request (not counted in {@link #enrolments}). */
  public long rekeys() {
    return rekeys.get();
  }

  @Override
  public String toString() {
    return "AgentState[controller=" + controller + ", lease until " + leaseExpiresAt + ", heartbeats "
        + heartbeatsSent + ", acks " + acknowledgements + ", failovers " + failovers + ", redirects " + redirects + ", enrolments " + enrolments + "]";
  }
}
