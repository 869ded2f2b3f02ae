package org.opencluster.bench.scenario;

/**
 * One fault as the fleet saw it.
 *
 * @param event "terminate", "kill" or "restart"
 * @param controller the controller it was done to
 * @param faultSeconds the fault itself: SIGTERM to the process's exit, SIGKILL to its exit, or a
 *     restart to ready and listed up by every serving controller
 * @param agentsAckedAgain agents that got a heartbeat acknowledged after the fault, of all
 * @param ackedAgainSeconds from the end of the fault until the last agent got one (NaN if not all did)
 * @param heartbeatP99Millis round trip of acknowledged heartbeats from the fault's start to the
 *     last agent acknowledged again, p99
 * @param heartbeatMaxMillis the same, the maximum
 * @param maxAckGapSeconds over the same time, the longest any agent went without an acknowledgement
 * @param gapsOverLease over the same time, gaps between acknowledgements longer than the agents'
 *     lease (60 s): a real agent would have wiped its files and stopped
 * @param heartbeatsSent heartbeats the fleet sent over the same time
 * @param acks acknowledgements it received
 */
public record EventFigures(String event, String controller, double faultSeconds, int agentsAckedAgain,
    double ackedAgainSeconds, double heartbeatP99Millis, double heartbeatMaxMillis, double maxAckGapSeconds,
    long gapsOverLease, long heartbeatsSent, long acks) {

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "%s %s: fault %.1f s; %d agents acknowledged again %.1f s after it; "
            + "heartbeat round trip p99 %.1f ms, max %.1f ms; longest gap between acknowledgements %.1f s (%d over the lease); %d sent, %d acked",
        event, controller, faultSeconds, agentsAckedAgain, ackedAgainSeconds, heartbeatP99Millis, heartbeatMaxMillis,
        maxAckGapSeconds, gapsOverLease, heartbeatsSent, acks);
  }
}
