package org.opencluster.persistence.serialization;

/**
 * Published on the actor system's event stream when a stored record fails authentication or
 * names an unknown data key: whatever was reading it (an entity's recovery) has stopped. The
 * audit log and the metrics subscribe. Holds no record content.
 */
public record StorageIntegrityAlert(String manifest, String reason) {}
