package org.opencluster.persistence.serialization;

/**
 * A shard id remembered by the sharding coordinator, wrapped so that it is stored encrypted like
 * every other record ({@link ShardIdEventAdapter}).
 */
public record ShardIdRecord(String shardId) {}
