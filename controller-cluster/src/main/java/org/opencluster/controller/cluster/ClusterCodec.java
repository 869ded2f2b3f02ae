package org.opencluster.controller.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.NotSerializableException;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.opencluster.controller.proto.v1.ControllerDescription;
import org.opencluster.controller.proto.v1.DescribeController;

/** The directory's messages to and from protobuf ({@code cluster.proto}). */
public final class ClusterCodec {

  private final ActorRefResolver resolver;

  public ClusterCodec(ActorRefResolver resolver) {
    this.resolver = resolver;
  }

  public static Optional<String> manifest(Object o) {
    if (o instanceof ControllerDirectory.Describe) {
      return Optional.of("cluster-describe");
    } else if (o instanceof ControllerDirectory.Description) {
      return Optional.of("cluster-description");
    }
    return Optional.empty();
  }

  public byte[] toBinary(Object o) {
    if (o instanceof ControllerDirectory.Describe d) {
      return DescribeController.newBuilder().setReplyTo(resolver.toSerializationFormat(d.replyTo())).build().toByteArray();
    } else if (o instanceof ControllerDirectory.Description d) {
      return ControllerDescription.newBuilder().setController(d.controller()).setAddress(d.address())
          .setAppVersion(d.appVersion()).setSealState(d.sealState()).setAgents(d.agents()).setEdge(d.edge())
          .setLeaving(d.leaving()).build().toByteArray();
    }
    throw new IllegalArgumentException("ClusterCodec cannot serialize " + o.getClass().getName());
  }

  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case "cluster-describe" -> new ControllerDirectory.Describe(
            resolver.resolveActorRef(DescribeController.parseFrom(bytes).getReplyTo()));
        case "cluster-description" -> {
          ControllerDescription p = ControllerDescription.parseFrom(bytes);
          yield new ControllerDirectory.Description(p.getController(), p.getAddress(), p.getAppVersion(),
              p.getSealState(), p.getAgents(), p.getEdge(), p.getLeaving());
        }
        default -> throw new NotSerializableException("unknown manifest '" + manifest + "'");
      };
    } catch (InvalidProtocolBufferException e) {
      throw new NotSerializableException("malformed " + manifest + ": " + e.getMessage());
    }
  }
}
