package org.opencluster.protocol.edge;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import java.io.NotSerializableException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.opencluster.protocol.agent.v1.Frame;
import org.opencluster.protocol.agent.v1.Refused;
import org.opencluster.protocol.agent.v1.SignedHello;
import org.opencluster.protocol.agent.v1.SignedWelcome;
import org.opencluster.protocol.pki.CertificateValidator;

/**
 * The only messages that cross the edge link between an agent and a controller's edge system, as
 * their {@code agent.proto} bytes: SignedHello, SignedWelcome, Refused and Frame. A closed list:
 * a manifest it does not know, or more than {@link #MAX_MESSAGE_BYTES}, is refused before any
 * parsing, so a peer cannot make either side instantiate anything else. Identifier 7304, fixed
 * forever.
 */
public final class EdgeSerializer extends SerializerWithStringManifest {

  public static final int IDENTIFIER = 7304;
  /** Artery's frame limit less its envelope: larger content travels in several frames. */
  public static final int MAX_MESSAGE_BYTES = 240 * 1024;

  static final String HELLO = "hello";
  static final String WELCOME = "welcome";
  static final String REFUSED = "refused";
  static final String FRAME = "frame";

  public EdgeSerializer(ExtendedActorSystem system) {
    // Pekko instantiates serializers with the system; nothing here needs it.
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof SignedHello) {
      return HELLO;
    } else if (o instanceof SignedWelcome) {
      return WELCOME;
    } else if (o instanceof Refused) {
      return REFUSED;
    } else if (o instanceof Frame) {
      return FRAME;
    }
    throw new IllegalArgumentException("the edge link carries no " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    manifest(o);
    return ((MessageLite) o).toByteArray();
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (bytes.length > MAX_MESSAGE_BYTES) {
      throw new NotSerializableException("edge message of " + bytes.length + " bytes exceeds " + MAX_MESSAGE_BYTES);
    }
    try {
      return switch (manifest) {
        case HELLO -> SignedHello.parseFrom(bytes);
        case WELCOME -> SignedWelcome.parseFrom(bytes);
        case REFUSED -> Refused.parseFrom(bytes);
        case FRAME -> Frame.parseFrom(bytes);
        default -> throw new NotSerializableException("unknown edge manifest '"
            + CertificateValidator.sanitize(manifest) + "'");
      };
    } catch (InvalidProtocolBufferException e) {
      throw new NotSerializableException("malformed edge " + manifest + " message");
    }
  }
}
