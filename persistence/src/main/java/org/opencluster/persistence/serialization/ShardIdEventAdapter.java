package org.opencluster.persistence.serialization;

import org.apache.pekko.persistence.journal.EventAdapter;
import org.apache.pekko.persistence.journal.EventSeq;

/**
 * On the sharding journal only: the coordinator's remember-entities store persists bare shard id
 * strings, which no serializer binding can encrypt without encrypting every string. This adapter
 * wraps them in {@link ShardIdRecord}, which is bound to the encrypting serializer, and unwraps
 * them on replay.
 */
public final class ShardIdEventAdapter implements EventAdapter {

  @Override
  public String manifest(Object event) {
    return "";
  }

  @Override
  public Object toJournal(Object event) {
    return event instanceof String shardId ? new ShardIdRecord(shardId) : event;
  }

  @Override
  public EventSeq fromJournal(Object event, String manifest) {
    return EventSeq.single(event instanceof ShardIdRecord record ? record.shardId() : event);
  }
}
