package org.opencluster.controller.audit;

/**
 * A stored audit record: its place in the chain, the controller that wrote it, and what it says.
 *
 * @param seq 1 for the first record of the cluster, then one more for each
 */
public record AuditRecord(long seq, String controller, AuditEvent event) {}
