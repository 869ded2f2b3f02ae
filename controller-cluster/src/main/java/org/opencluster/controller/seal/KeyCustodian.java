package org.opencluster.controller.seal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.SignatureException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.opencluster.controller.proto.v1.KeyRequestBody;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.keys.SealException;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.EcdsaSigner;
import org.opencluster.protocol.crypto.EcdsaVerifier;
import org.opencluster.protocol.pki.CertificateProfile;
import org.opencluster.protocol.pki.CertificateValidationException;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.tls.KeyMaterial;

/**
 * Keeps the cluster key moving between controllers, so that a rolling restart needs no operator.
 *
 * <p>While this controller is sealed (and the store initialized) it asks the custodians of the
 * other members for the key, with a request signed by its controller certificate's key. While it
 * is unsealed it answers a request only when every check passes, and otherwise logs why not:
 *
 * <ol>
 *   <li>this controller gives the key at all ({@link Policy});
 *   <li>the certificate chain leads to the cluster root, names a controller, and is not on the
 *       deny list; the signature is that certificate's, over the exact request;
 *   <li>the request is fresh (within {@link Settings#maxSkew()}) and names the address its reply
 *       goes to, which is a member of this cluster that is Up;
 *   <li>the named controller is approved ({@link ControllerApprovals}), unless the policy is
 *       {@link Policy#ANY_CONTROLLER}.
 * </ol>
 *
 * The key travels over the mutual-TLS cluster link, sealed to a one-off key of the asker and bound
 * to its address, name and the request's nonce: a copied request earns a box only the original
 * asker can open, and a replayed one is refused (nonces are remembered for twice the skew).
 */
public final class KeyCustodian {

  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "opencluster-key-custodian");

  /** The signature context of a key request. */
  static final String REQUEST_CONTEXT = "opencluster/kek-request/v1";
  private static final int NONCE_LENGTH = 16;
  private static final int OUTSTANDING_NONCES = 8;
  private static final int MAX_SEEN_NONCES = 10_000;
  private static final Set<MemberStatus> UP = Set.of(MemberStatus.up(), MemberStatus.weaklyUp());
  private static final SecureRandom RANDOM = new SecureRandom();

  /** To whom an unsealed controller gives the cluster key. */
  public enum Policy {
    /** Controllers an operator approved, or that were once unsealed by operators' shares. */
    APPROVED,
    /** Any controller of this cluster (its certificate is the only check): development, tests. */
    ANY_CONTROLLER,
    /** Nobody: every controller is unsealed by operators. */
    NONE
  }

  /**
   * @param name this controller's name
   * @param ask whether to ask peers for the key while sealed
   * @param askEvery how often to ask while sealed
   * @param policy to whom to give the key
   * @param maxSkew how far a request's time may be from this controller's
   */
  public record Settings(String name, boolean ask, Duration askEvery, Policy policy, Duration maxSkew) {}

  /** Told of every key given and every request refused: the log, the audit trail, tests. */
  public interface Observer {
    void granted(String controller, Address to);

    void refused(Address from, String reason);

    /** Logs only. */
    Observer NONE = new Observer() {
      @Override
      public void granted(String controller, Address to) {}

      @Override
      public void refused(Address from, String reason) {}
    };
  }

  /** What a custodian handles. */
  public sealed interface Command permits RequestKey, KeyOffer, AskPeers, Peers {}

  /**
   * From a sealed peer: a signed {@code KeyRequestBody} (custody.proto), the signer's certificate
   * chain (DER, leaf first), and where to send the key.
   */
  public record RequestKey(byte[] body, byte[] signature, List<byte[]> certificateChain, ActorRef<Command> replyTo)
      implements Command {
    public RequestKey {
      certificateChain = List.copyOf(certificateChain);
    }
  }

  /** From an unsealed peer: the key, sealed to this custodian's one-off key, for request {@code nonce}. */
  public record KeyOffer(byte[] sealedKey, String from, byte[] nonce) implements Command {}

  record AskPeers() implements Command {}

  record Peers(Set<ActorRef<Command>> custodians) implements Command {}

  private final ActorContext<Command> context;
  private final Seal seal;
  private final ControllerApprovals approvals;
  private final Supplier<KeyMaterial> keyMaterial;
  private final Predicate<X509Certificate> revoked;
  private final Settings settings;
  private final Observer observer;
  private final Clock clock;
  private final Cluster cluster;
  private Set<ActorRef<Command>> peers = Set.of();
  private KeyPair ephemeral;
  private final LinkedHashSet<String> outstandingNonces = new LinkedHashSet<>();
  private final LinkedHashMap<String, Instant> seenNonces = new LinkedHashMap<>();

  private KeyCustodian(ActorContext<Command> context, Seal seal, ControllerApprovals approvals,
      Supplier<KeyMaterial> keyMaterial, Predicate<X509Certificate> revoked, Settings settings, Observer observer,
      Clock clock) {
    this.context = context;
    this.seal = seal;
    this.approvals = approvals;
    this.keyMaterial = keyMaterial;
    this.revoked = revoked;
    this.settings = settings;
    this.observer = observer;
    this.clock = clock;
    this.cluster = Cluster.get(context.getSystem());
  }

  /**
   * @param keyMaterial this controller's current certificate and key (it signs requests) and the
   *     cluster root (it checks askers')
   * @param revoked the deny list
   * @param observer told of every grant and refusal
   */
  public static Behavior<Command> create(Seal seal, ControllerApprovals approvals, Supplier<KeyMaterial> keyMaterial,
      Predicate<X509Certificate> revoked, Settings settings, Observer observer, Clock clock) {
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
      ActorRef<Receptionist.Listing> listings = context.messageAdapter(Receptionist.Listing.class,
          listing -> new Peers(listing.getServiceInstances(SERVICE_KEY)));
      context.getSystem().receptionist().tell(Receptionist.subscribe(SERVICE_KEY, listings));
      KeyCustodian custodian = new KeyCustodian(context, seal, approvals, keyMaterial, revoked, settings, observer, clock);
      if (!settings.ask()) {
        return custodian.behavior();
      }
      return Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay(new AskPeers(), settings.askEvery());
        return custodian.behavior();
      });
    });
  }

  /**
   * As {@link #create}, restarted after any failure (a database that does not answer, a bug), so
   * the controller never silently stops asking for or giving the key.
   */
  public static Behavior<Command> supervised(Seal seal, ControllerApprovals approvals, Supplier<KeyMaterial> keyMaterial,
      Predicate<X509Certificate> revoked, Settings settings, Observer observer, Clock clock) {
    return Behaviors.supervise(create(seal, approvals, keyMaterial, revoked, settings, observer, clock))
        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));
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

  // ---- asking (sealed) ------------------------------------------------------------------------

  private Behavior<Command> onAskPeers(AskPeers message) {
    Seal.State state = seal.status().state();
    if (state == Seal.State.UNSEALED && ephemeral != null) {
      // Unsealed some other way (operators, a peer's late answer): the one-off key has no use left.
      ephemeral = null;
      outstandingNonces.clear();
    }
    if (state != Seal.State.SEALED || peers.size() < 2) {
      return Behaviors.same();
    }
    RequestKey request;
    try {
      request = signedRequest();
    } catch (InvalidKeyException | CertificateEncodingException e) {
      context.getLog().warn("Cannot ask peers for the cluster key: this controller's certificate or key is unusable: {}",
          e.getMessage());
      return Behaviors.same();
    }
    for (ActorRef<Command> peer : peers) {
      if (!peer.equals(context.getSelf())) {
        peer.tell(request);
      }
    }
    return Behaviors.same();
  }

  private RequestKey signedRequest() throws InvalidKeyException, CertificateEncodingException {
    if (ephemeral == null) {
      ephemeral = EcKeys.generate();
    }
    byte[] nonce = new byte[NONCE_LENGTH];
    RANDOM.nextBytes(nonce);
    outstandingNonces.add(HexFormat.of().formatHex(nonce));
    while (outstandingNonces.size() > OUTSTANDING_NONCES) {
      outstandingNonces.remove(outstandingNonces.iterator().next());
    }
    byte[] body = KeyRequestBody.newBuilder()
        .setEphemeralPublicKey(ByteString.copyFrom(EcKeys.encodePoint((ECPublicKey) ephemeral.getPublic())))
        .setAddress(selfAddress())
        .setController(settings.name())
        .setIssuedAtMillis(clock.millis())
        .setNonce(ByteString.copyFrom(nonce))
        .build().toByteArray();
    KeyMaterial own = keyMaterial.get();
    byte[] signature = EcdsaSigner.create(own.key()).sign(REQUEST_CONTEXT, body);
    List<byte[]> chain = new ArrayList<>();
    for (X509Certificate certificate : own.chain()) {
      chain.add(certificate.getEncoded());
    }
    return new RequestKey(body, signature, chain, context.getSelf());
  }

  private Behavior<Command> onKeyOffer(KeyOffer offer) {
    if (ephemeral == null || seal.isUnsealed()) {
      return Behaviors.same();
    }
    String from = CertificateValidator.sanitize(offer.from());
    if (!outstandingNonces.contains(HexFormat.of().formatHex(offer.nonce()))) {
      context.getLog().warn("Ignored a cluster key offer from {}: it answers no request of this controller", from);
      return Behaviors.same();
    }
    try {
      seal.unsealFromPeer(ephemeral, offer.sealedKey(), boundTo(selfAddress(), settings.name(), offer.nonce()));
      ephemeral = null;
      outstandingNonces.clear();
      context.getLog().info("Unsealed with the cluster key from {}", from);
    } catch (SealException e) {
      context.getLog().warn("Refused the cluster key from {}: {}", from, e.getMessage());
    }
    return Behaviors.same();
  }

  // ---- answering (unsealed) ---------------------------------------------------------------------

  private Behavior<Command> onRequestKey(RequestKey request) {
    if (!seal.isUnsealed()) {
      return Behaviors.same();
    }
    Address sender = request.replyTo().path().address();
    if (!sender.hasGlobalScope()) {
      // Requests come over the cluster link, with a reply address there. A reference without
      // host and port points into this controller itself: nobody here asks for the key.
      refuse(sender, "the reply address is not a cluster member's");
      return Behaviors.same();
    }
    if (settings.policy() == Policy.NONE) {
      refuse(sender, "this controller gives it to nobody (opencluster.controller.seal.give-key-to = none)");
      return Behaviors.same();
    }
    KeyRequestBody body;
    String controller;
    try {
      body = KeyRequestBody.parseFrom(request.body());
      controller = check(request, body, sender);
    } catch (Refused e) {
      refuse(sender, e.getMessage());
      return Behaviors.same();
    } catch (InvalidProtocolBufferException e) {
      refuse(sender, "malformed request");
      return Behaviors.same();
    } catch (RuntimeException e) {
      refuse(sender, "the request could not be checked (" + e.getClass().getSimpleName() + ")");
      return Behaviors.same();
    }
    try {
      byte[] nonce = body.getNonce().toByteArray();
      byte[] sealedKey = seal.exportKeyTo(EcKeys.decodePoint(body.getEphemeralPublicKey().toByteArray()),
          boundTo(body.getAddress(), controller, nonce));
      request.replyTo().tell(new KeyOffer(sealedKey, selfAddress(), nonce));
      context.getLog().info("Gave the cluster key to controller {} at {} (sealed to its one-off key)", controller, sender);
      observer.granted(controller, sender);
    } catch (SealException | InvalidKeyException e) {
      refuse(sender, "controller " + controller + ": " + e.getMessage());
    }
    return Behaviors.same();
  }

  private void refuse(Address sender, String reason) {
    context.getLog().warn("Refused the cluster key to {}: {}", sender, reason);
    observer.refused(sender, reason);
  }

  /** @return the asker's controller name, when every check passes */
  private String check(RequestKey request, KeyRequestBody body, Address sender) throws Refused {
    if (!body.getAddress().equals(sender.toString())) {
      throw new Refused("the request names address " + CertificateValidator.sanitize(body.getAddress())
          + " but came from " + sender);
    }
    if (body.getNonce().size() != NONCE_LENGTH) {
      throw new Refused("malformed request (nonce)");
    }
    Instant now = clock.instant();
    Instant issuedAt = Instant.ofEpochMilli(body.getIssuedAtMillis());
    if (Duration.between(issuedAt, now).abs().compareTo(settings.maxSkew()) > 0) {
      throw new Refused("the request was made at " + issuedAt + ", more than " + settings.maxSkew()
          + " from this controller's clock (" + now + ")");
    }
    String nonce = HexFormat.of().formatHex(body.getNonce().toByteArray());
    forgetNoncesBefore(now.minus(settings.maxSkew().multipliedBy(2)));
    if (seenNonces.containsKey(nonce)) {
      throw new Refused("the request was already answered (a replay)");
    }
    KeyMaterial own = keyMaterial.get();
    List<X509Certificate> chain = decode(request.certificateChain());
    Identity identity;
    try {
      identity = CertificateValidator.trusting(own.trustAnchors()).withRevocation(revoked)
          .validate(chain, CertificateProfile.Usage.TLS_CLIENT, now, EnumSet.of(Identity.Kind.CONTROLLER));
    } catch (CertificateValidationException e) {
      throw new Refused("its certificate was refused (" + e.reason() + "): " + e.getMessage());
    }
    if (!identity.name().equals(body.getController())) {
      throw new Refused("the request names controller '" + body.getController() + "' but is signed by "
          + identity);
    }
    try {
      EcdsaVerifier.create(chain.get(0).getPublicKey()).verify(REQUEST_CONTEXT, request.body(), request.signature());
    } catch (InvalidKeyException | SignatureException e) {
      throw new Refused("the request's signature does not verify under " + identity);
    }
    if (!isUpMember(sender)) {
      throw new Refused("no member of this cluster is Up at that address");
    }
    if (settings.policy() == Policy.APPROVED && !isApproved(identity.name())) {
      throw new Refused("controller " + identity.name() + " is not approved to receive the cluster key: unseal it "
          + "with operators' shares once, or run 'opencluster operator approve-controller " + identity.name() + "'");
    }
    seenNonces.put(nonce, now);
    return identity.name();
  }

  /** Nonces are remembered for twice the skew window: a request older than that is refused as stale. */
  private void forgetNoncesBefore(Instant cutoff) {
    seenNonces.values().removeIf(at -> at.isBefore(cutoff));
    while (seenNonces.size() > MAX_SEEN_NONCES) {
      seenNonces.remove(seenNonces.keySet().iterator().next());
    }
  }

  private boolean isApproved(String controller) throws Refused {
    try {
      return approvals.find(controller).isPresent();
    } catch (RuntimeException e) {
      throw new Refused("its approval could not be read: " + e.getMessage());
    }
  }

  private boolean isUpMember(Address address) {
    for (Member member : cluster.state().getMembers()) {
      if (member.address().equals(address) && UP.contains(member.status())) {
        return true;
      }
    }
    return false;
  }

  private String selfAddress() {
    return cluster.selfMember().address().toString();
  }

  private static List<X509Certificate> decode(List<byte[]> der) throws Refused {
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      List<X509Certificate> chain = new ArrayList<>();
      for (byte[] certificate : der) {
        chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(certificate)));
      }
      if (chain.isEmpty()) {
        throw new Refused("the request carries no certificate");
      }
      return chain;
    } catch (CertificateException | ClassCastException e) {
      throw new Refused("the request's certificate chain is malformed");
    }
  }

  private static byte[][] boundTo(String address, String controller, byte[] nonce) {
    return new byte[][] {address.getBytes(StandardCharsets.UTF_8), controller.getBytes(StandardCharsets.UTF_8), nonce};
  }

  /** A request that fails a check; the message says which, and holds no secret. */
  private static final class Refused extends Exception {
    Refused(String message) {
      super(message, null, false, false);
    }
  }
}
