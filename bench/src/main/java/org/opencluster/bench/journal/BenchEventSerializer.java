package org.opencluster.bench.journal;

import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/** The plaintext of both kinds of bench event: the payload's UTF-8 bytes. */
public final class BenchEventSerializer extends SerializerWithStringManifest {

  public BenchEventSerializer(ExtendedActorSystem system) {}

  @Override
  public int identifier() {
    return 7390;
  }

  @Override
  public String manifest(Object o) {
    return o instanceof BenchEvent.Encrypted ? "e" : "p";
  }

  @Override
  public byte[] toBinary(Object o) {
    return ((BenchEvent) o).payload().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    String payload = new String(bytes, StandardCharsets.UTF_8);
    return switch (manifest) {
      case "e" -> new BenchEvent.Encrypted(payload);
      case "p" -> new BenchEvent.Plain(payload);
      default -> throw new NotSerializableException(manifest);
    };
  }
}
