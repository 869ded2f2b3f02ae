package org.opencluster.controller.serialization;

import java.io.NotSerializableException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.opencluster.controller.cluster.ClusterCodec;
import org.opencluster.controller.files.CatalogCodec;
import org.opencluster.controller.node.NodeCodec;
import org.opencluster.controller.seal.KeyCustodyCodec;
import org.opencluster.controller.secrets.SecretCodec;

/**
 * The controller's own messages as protobuf: commands and replies between controllers (over the
 * mutual-TLS cluster link), and the plaintext of events and snapshots, which the encrypting
 * serializer then seals. Identifier 7302, fixed forever.
 */
public final class ControllerSerializer extends SerializerWithStringManifest {

  public static final int IDENTIFIER = 7302;

  private final ExtendedActorSystem system;
  private volatile NodeCodec nodes;
  private volatile KeyCustodyCodec custody;
  private volatile CatalogCodec catalog;
  private volatile SecretCodec secrets;
  private volatile ClusterCodec cluster;

  public ControllerSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    return NodeCodec.manifest(o).or(() -> KeyCustodyCodec.manifest(o)).or(() -> CatalogCodec.manifest(o))
        .or(() -> SecretCodec.manifest(o)).or(() -> ClusterCodec.manifest(o))
        .orElseThrow(() -> new IllegalArgumentException("ControllerSerializer cannot serialize " + o.getClass().getName()));
  }

  @Override
  public byte[] toBinary(Object o) {
    if (NodeCodec.manifest(o).isPresent()) {
      return nodes().toBinary(o);
    }
    if (SecretCodec.manifest(o).isPresent()) {
      return secrets().toBinary(o);
    }
    if (ClusterCodec.manifest(o).isPresent()) {
      return cluster().toBinary(o);
    }
    return CatalogCodec.manifest(o).isPresent() ? catalog().toBinary(o) : custody().toBinary(o);
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (manifest.startsWith("custody-")) {
      return custody().fromBinary(bytes, manifest);
    }
    if (manifest.startsWith("secret-")) {
      return secrets().fromBinary(bytes, manifest);
    }
    if (manifest.startsWith("cluster-")) {
      return cluster().fromBinary(bytes, manifest);
    }
    return manifest.startsWith("catalog-") ? catalog().fromBinary(bytes, manifest) : nodes().fromBinary(bytes, manifest);
  }

  /** Created on first use: the typed system's ref resolver is not ready while serializers are built. */
  private NodeCodec nodes() {
    NodeCodec codec = nodes;
    if (codec == null) {
      codec = new NodeCodec(resolver());
      nodes = codec;
    }
    return codec;
  }

  private KeyCustodyCodec custody() {
    KeyCustodyCodec codec = custody;
    if (codec == null) {
      codec = new KeyCustodyCodec(resolver());
      custody = codec;
    }
    return codec;
  }

  private CatalogCodec catalog() {
    CatalogCodec codec = catalog;
    if (codec == null) {
      codec = new CatalogCodec(resolver());
      catalog = codec;
    }
    return codec;
  }

  private SecretCodec secrets() {
    SecretCodec codec = secrets;
    if (codec == null) {
      codec = new SecretCodec(resolver());
      secrets = codec;
    }
    return codec;
  }

  private ClusterCodec cluster() {
    ClusterCodec codec = cluster;
    if (codec == null) {
      codec = new ClusterCodec(resolver());
      cluster = codec;
    }
    return codec;
  }

  private ActorRefResolver resolver() {
    return ActorRefResolver.get(Adapter.toTyped(system));
  }
}
