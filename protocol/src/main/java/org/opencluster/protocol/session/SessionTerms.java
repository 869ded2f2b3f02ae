package org.opencluster.protocol.session;

import java.time.Duration;
import java.time.Instant;

/** What the controller grants a session: the lease, the heartbeat interval, the node's lifetime end. */
public record SessionTerms(Instant leaseExpiresAt, Duration heartbeatInterval, Instant lifetimeEndsAt) {}
