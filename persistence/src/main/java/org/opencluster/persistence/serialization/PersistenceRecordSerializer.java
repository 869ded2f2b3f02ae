package org.opencluster.persistence.serialization;

import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/** The plaintext form of this module's own records, before the encrypting serializer seals it. */
public final class PersistenceRecordSerializer extends SerializerWithStringManifest {

  public static final int IDENTIFIER = 7303;
  private static final String SHARD_ID = "shard-id";

  public PersistenceRecordSerializer(ExtendedActorSystem system) {}

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof ShardIdRecord) {
      return SHARD_ID;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof ShardIdRecord record) {
      return record.shardId().getBytes(StandardCharsets.UTF_8);
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass().getName());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (SHARD_ID.equals(manifest)) {
      return new ShardIdRecord(new String(bytes, StandardCharsets.UTF_8));
    }
    throw new NotSerializableException("unknown manifest '" + manifest + "'");
  }
}
