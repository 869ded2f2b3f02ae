package org.opencluster.controller.seal;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.keys.SealException;
import org.opencluster.protocol.crypto.EcKeys;

/**
 * Keeps the cluster key moving between controllers, so that a rolling restart needs no operator:
 * while this controller is sealed (and the store initialized) it asks the custodians of the other
 * members for the key; while it is unsealed it answers those who ask, if they are members of the
 * cluster. The key travels over the mutual-TLS cluster link, sealed to a one-off key of the asker
 * and bound to its address.
 */
public final class KeyCustodian {

  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "opencluster-key-custodian");

  /** What a custodian handles. */
  public sealed interface Command permits RequestKey, KeyOffer, AskPeers, Peers {}

  /** From a sealed peer: send the key, sealed to {@code ephemeralPoint}. */
  public record RequestKey(byte[] ephemeralPoint, ActorRef<Command> replyTo) implements Command {}

  /** From an unsealed peer: the key, sealed to this custodian's one-off key. */
  public record KeyOffer(byte[] sealedKey, String from) implements Command {}

  record AskPeers() implements Command {}

  record Peers(Set<ActorRef<Command>> custodians) implements Command {}

  private static final Set<MemberStatus> MEMBERS = Set.of(MemberStatus.up(), MemberStatus.weaklyUp(), MemberStatus.joining());

  private final ActorContext<Command> context;
  private final Seal seal;
  private final Cluster cluster;
  private Set<ActorRef<Command>> peers = Set.of();
  private KeyPair ephemeral;

  private KeyCustodian(ActorContext<Command> context, Seal seal) {
    this.context = context;
    this.seal = seal;
    this.cluster = Cluster.get(context.getSystem());
  }

  /**
   * @param askPeers whether to ask peers for the key while sealed
   * @param interval how often to ask while sealed
   */
  public static Behavior<Command> create(Seal seal, boolean askPeers, Duration interval) {
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
      ActorRef<Receptionist.Listing> listings = context.messageAdapter(Receptionist.Listing.class,
          listing -> new Peers(listing.getServiceInstances(SERVICE_KEY)));
      context.getSystem().receptionist().tell(Receptionist.subscribe(SERVICE_KEY, listings));
      KeyCustodian custodian = new KeyCustodian(context, seal);
      if (!askPeers) {
        return custodian.behavior();
      }
      return Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay(new AskPeers(), interval);
        return custodian.behavior();
      });
    });
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Peers.class, this::onPeers)
        .onMessage(AskPeers.class, this::onAskPeers)
        .onMessage(RequestKey.class, this::onRequestKey)
        .onMessage(KeyOffer.class, this::onKeyOffer)
        .build();
  }

  private Behavior<Command> onPeers(Peers message) {
    peers = message.custodians();
    return Behaviors.same();
  }

  private Behavior<Command> onAskPeers(AskPeers message) {
    if (seal.status().state() != Seal.State.SEALED) {
      return Behaviors.same();
    }
    if (ephemeral == null) {
      ephemeral = EcKeys.generate();
    }
    byte[] point = EcKeys.encodePoint((ECPublicKey) ephemeral.getPublic());
    for (ActorRef<Command> peer : peers) {
      if (!peer.equals(context.getSelf())) {
        peer.tell(new RequestKey(point, context.getSelf()));
      }
    }
    return Behaviors.same();
  }

  private Behavior<Command> onRequestKey(RequestKey request) {
    if (!seal.isUnsealed()) {
      return Behaviors.same();
    }
    Address asker = request.replyTo().path().address();
    boolean member = false;
    for (Member m : cluster.state().getMembers()) {
      if (m.address().equals(asker) && MEMBERS.contains(m.status())) {
        member = true;
      }
    }
    if (!member) {
      context.getLog().warn("Refused the cluster key to {}: not a member of this cluster", asker);
      return Behaviors.same();
    }
    try {
      byte[] sealedKey = seal.exportKeyTo(EcKeys.decodePoint(request.ephemeralPoint()), addressBytes(asker));
      request.replyTo().tell(new KeyOffer(sealedKey, cluster.selfMember().address().toString()));
      context.getLog().info("Sent the cluster key to {} (sealed to its one-off key)", asker);
    } catch (SealException | InvalidKeyException e) {
      context.getLog().warn("Could not send the cluster key to {}: {}", asker, e.getMessage());
    }
    return Behaviors.same();
  }

  private Behavior<Command> onKeyOffer(KeyOffer offer) {
    if (ephemeral == null || seal.isUnsealed()) {
      return Behaviors.same();
    }
    try {
      seal.unsealFromPeer(ephemeral, offer.sealedKey(), addressBytes(cluster.selfMember().address()));
      ephemeral = null;
      context.getLog().info("Unsealed with the cluster key from {}", offer.from());
    } catch (SealException e) {
      context.getLog().warn("Refused the cluster key from {}: {}", offer.from(), e.getMessage());
    }
    return Behaviors.same();
  }

  private static byte[] addressBytes(Address address) {
    return address.toString().getBytes(StandardCharsets.UTF_8);
  }
}
