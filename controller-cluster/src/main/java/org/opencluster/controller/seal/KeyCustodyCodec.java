package org.opencluster.controller.seal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.NotSerializableException;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** KeyCustodian's messages to and from protobuf ({@code custody.proto}). */
public final class KeyCustodyCodec {

  private final ActorRefResolver resolver;

  public KeyCustodyCodec(ActorRefResolver resolver) {
    this.resolver = resolver;
  }

  public static Optional<String> manifest(Object o) {
    if (o instanceof KeyCustodian.RequestKey) {
      return Optional.of("custody-request-key");
    } else if (o instanceof KeyCustodian.KeyOffer) {
      return Optional.of("custody-key-offer");
    }
    return Optional.empty();
  }

  public byte[] toBinary(Object o) {
    if (o instanceof KeyCustodian.RequestKey r) {
      var builder = org.opencluster.controller.proto.v1.RequestKey.newBuilder()
          .setBody(ByteString.copyFrom(r.body()))
          .setSignature(ByteString.copyFrom(r.signature()))
          .setReplyTo(resolver.toSerializationFormat(r.replyTo()));
      r.certificateChain().forEach(c -> builder.addCertificateChain(ByteString.copyFrom(c)));
      return builder.build().toByteArray();
    } else if (o instanceof KeyCustodian.KeyOffer r) {
      return org.opencluster.controller.proto.v1.KeyOffer.newBuilder()
          .setSealedKey(ByteString.copyFrom(r.sealedKey())).setFrom(r.from()).setNonce(ByteString.copyFrom(r.nonce()))
          .build().toByteArray();
    }
    throw new IllegalArgumentException("KeyCustodyCodec cannot serialize " + o.getClass().getName());
  }

  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case "custody-request-key" -> {
          var p = org.opencluster.controller.proto.v1.RequestKey.parseFrom(bytes);
          yield new KeyCustodian.RequestKey(p.getBody().toByteArray(), p.getSignature().toByteArray(),
              p.getCertificateChainList().stream().map(ByteString::toByteArray).toList(),
              resolver.resolveActorRef(p.getReplyTo()));
        }
        case "custody-key-offer" -> {
          var p = org.opencluster.controller.proto.v1.KeyOffer.parseFrom(bytes);
          yield new KeyCustodian.KeyOffer(p.getSealedKey().toByteArray(), p.getFrom(), p.getNonce().toByteArray());
        }
        default -> throw new NotSerializableException("unknown manifest '" + manifest + "'");
      };
    } catch (InvalidProtocolBufferException e) {
      throw new NotSerializableException("malformed " + manifest + ": " + e.getMessage());
    }
  }
}
