package org.opencluster.persistence.serialization;

import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.Serializers;
import org.opencluster.persistence.jdbc.StorageSetup;
import org.opencluster.persistence.keys.DataKeyRing;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.keys.StorageIntegrityException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything persisted (events, snapshots, remember-entities records) goes through here: an
 * inner serializer makes the plaintext (protobuf), then the record is sealed with AES-256-GCM
 * under the active data key of the {@link Seal}'s key ring, the key id in the record, and
 * associated data = this serializer's id and the manifest. The manifest is {@code
 * <inner serializer id>:<inner manifest>}.
 *
 * <p>Which inner serializer makes a class's plaintext is configured in {@code
 * opencluster.persistence.encryption.inner-serializers}; bind the same classes to this serializer
 * in {@code pekko.actor.serialization-bindings}.
 *
 * <p>A record that fails authentication is never skipped or half-read: the read fails with a
 * {@link StorageIntegrityException}, which stops the recovery of that entity, and a {@link
 * StorageIntegrityAlert} is published. While the controller is sealed nothing can be written or
 * read.
 */
public final class EncryptingSerializer extends SerializerWithStringManifest {

  public static final int IDENTIFIER = 7301;
  private static final Logger LOG = LoggerFactory.getLogger(EncryptingSerializer.class);
  private static final byte[] IDENTIFIER_BYTES = ByteBuffer.allocate(4).putInt(IDENTIFIER).array();

  private final ExtendedActorSystem system;
  private final Map<String, Integer> configured;
  private final Map<Class<?>, Integer> innerByClass = new ConcurrentHashMap<>();
  private volatile Seal seal;

  public EncryptingSerializer(ExtendedActorSystem system) {
    this.system = system;
    Map<String, Integer> byName = new HashMap<>();
    system.settings().config().getObject("opencluster.persistence.encryption.inner-serializers").unwrapped()
        .forEach((className, id) -> byName.put(className, ((Number) id).intValue()));
    this.configured = Map.copyOf(byName);
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    Serializer inner = inner(o.getClass());
    return inner.identifier() + ":" + Serializers.manifestFor(inner, o);
  }

  @Override
  public byte[] toBinary(Object o) {
    Serializer inner = inner(o.getClass());
    String manifest = inner.identifier() + ":" + Serializers.manifestFor(inner, o);
    byte[] plaintext = inner.toBinary(o);
    try {
      return seal().keyRing().encrypt(plaintext, IDENTIFIER_BYTES, manifest.getBytes(StandardCharsets.UTF_8));
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    int separator = manifest.indexOf(':');
    if (separator <= 0) {
      throw new NotSerializableException("not an encrypted record manifest: '" + manifest + "'");
    }
    int innerId;
    try {
      innerId = Integer.parseInt(manifest.substring(0, separator));
    } catch (NumberFormatException e) {
      throw new NotSerializableException("not an encrypted record manifest: '" + manifest + "'");
    }
    String innerManifest = manifest.substring(separator + 1);
    byte[] plaintext;
    try {
      DataKeyRing ring = seal().keyRingHolding(DataKeyRing.keyIdOf(bytes));
      try (SecretBytes opened = ring.decrypt(bytes, IDENTIFIER_BYTES, manifest.getBytes(StandardCharsets.UTF_8))) {
        plaintext = opened.copyBytes();
      }
    } catch (StorageIntegrityException e) {
      LOG.error("Stored record refused ({}): {}. Whatever was reading it has stopped; it is not skipped.",
          manifest, e.getMessage());
      system.getEventStream().publish(new StorageIntegrityAlert(manifest, e.getMessage()));
      throw e;
    }
    try {
      return serialization().deserialize(plaintext, innerId, innerManifest).get();
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  private Serializer inner(Class<?> type) {
    Integer id = innerByClass.computeIfAbsent(type, this::configuredFor);
    return serialization().serializerByIdentity().apply(id);
  }

  /** The inner serializer configured for {@code type} or its nearest configured supertype. */
  private Integer configuredFor(Class<?> type) {
    Deque<Class<?>> queue = new ArrayDeque<>();
    queue.add(type);
    while (!queue.isEmpty()) {
      Class<?> candidate = queue.poll();
      Integer id = configured.get(candidate.getName());
      if (id != null) {
        return id;
      }
      if (candidate.getSuperclass() != null) {
        queue.add(candidate.getSuperclass());
      }
      queue.addAll(Arrays.asList(candidate.getInterfaces()));
    }
    throw new IllegalArgumentException("no inner serializer for " + type.getName()
        + ": add it to opencluster.persistence.encryption.inner-serializers");
  }

  private Seal seal() {
    Seal current = seal;
    if (current == null) {
      current = system.settings().setup().get(StorageSetup.class).map(StorageSetup::seal).orElseThrow(
          () -> new IllegalStateException("no StorageSetup in this actor system's setup: records cannot be encrypted"));
      seal = current;
    }
    return current;
  }

  private Serialization serialization() {
    return SerializationExtension.get(system);
  }
}
