package org.opencluster.agent.files;

/**
 * What became of one {@link Delivery}: the agent reports it to the controllers. The detail says what
 * happened or what to fix; it never holds a file's content.
 *
 * @param name the delivery's name
 * @param version the delivery's version
 * @param result what happened
 * @param detail where the file is served, or why it failed
 */
public record FileOutcome(String name, long version, Result result, String detail) {

  /** What happened to a delivery. */
  public enum Result {
    /** Written (or its pipe updated); its reload command, if any, succeeded. */
    APPLIED,
    /** Already served with this content and these attributes: nothing done, no reload. */
    UNCHANGED,
    /** Refused or not written; what was served under its name before is as it was, unless the detail says otherwise. */
    FAILED,
    /** Written, but its reload command failed or timed out. */
    RELOAD_FAILED
  }
}
