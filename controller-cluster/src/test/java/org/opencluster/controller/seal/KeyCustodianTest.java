package org.opencluster.controller.seal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.controller.ControllerConfig;
import org.opencluster.controller.proto.v1.KeyRequestBody;
import org.opencluster.controller.testing.TestCluster;
import org.opencluster.persistence.jdbc.SealedValues;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.keys.SealException;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.persistence.testing.TestSeals;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.EcdsaSigner;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Role;
import org.opencluster.protocol.tls.DenyList;
import org.opencluster.protocol.tls.KeyMaterial;

/**
 * The custodian gives the cluster key only to an approved controller that proves who it is, and
 * refuses everything else, each refusal with its reason. It runs in a one-node cluster here; the
 * requests come from a probe standing in for a sealed peer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeyCustodianTest {

  private static final Duration SKEW = Duration.ofSeconds(60);

  private TestCluster pki;
  private Storage storage;
  private Seal seal;
  private ControllerApprovals approvals;
  private ActorTestKit kit;
  private ActorTestKit askerKit;
  private KeyMaterial ownMaterial;
  private KeyMaterial askerMaterial;
  private DenyList denyList;
  private String askerAddress;

  @BeforeAll
  void start(@TempDir Path directory) throws Exception {
    pki = new TestCluster(directory);
    ownMaterial = material(pki.issue(pki.root(), Identity.controller("ctl-1"), "ctl-1"));
    askerMaterial = material(pki.issue(pki.root(), Identity.controller("ctl-2"), "ctl-2"));
    storage = Storage.open(TestDatabases.freshH2());
    seal = TestSeals.unsealed(storage);
    approvals = new ControllerApprovals(new SealedValues(storage.dataSource(), seal, Clock.systemUTC()), Clock.systemUTC());
    kit = ActorTestKit.create("custodian-test", clusterConfig());
    askerKit = ActorTestKit.create("custodian-test", clusterConfig());
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    Cluster.get(askerKit.system()).manager().tell(Join.create(cluster.selfMember().address()));
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      List<MemberStatus> members = new ArrayList<>();
      cluster.state().getMembers().forEach(m -> members.add(m.status()));
      return members.size() == 2 && members.stream().allMatch(MemberStatus.up()::equals);
    });
    askerAddress = Cluster.get(askerKit.system()).selfMember().address().toString();
  }

  private static com.typesafe.config.Config clusterConfig() {
    return ControllerConfig.load(ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
        pekko.remote.artery.transport = tcp
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
        """));
  }

  /** A probe on the asking member, and how the custodian's system refers to it: over the cluster link. */
  private Replies replies() {
    TestProbe<KeyCustodian.Command> probe = askerKit.createTestProbe();
    ActorRef<KeyCustodian.Command> remote = ActorRefResolver.get(kit.system()).resolveActorRef(
        ActorRefResolver.get(askerKit.system()).toSerializationFormat(probe.getRef()));
    return new Replies(probe, remote);
  }

  private record Replies(TestProbe<KeyCustodian.Command> probe, ActorRef<KeyCustodian.Command> ref) {}

  @AfterAll
  void stop() {
    askerKit.shutdownTestKit();
    kit.shutdownTestKit();
    seal.seal();
    storage.close();
  }

  @BeforeEach
  void freshDenyList() {
    denyList = new DenyList();
    approvals.revoke("ctl-2");
  }

  @Test
  void anApprovedController_getsTheKey_andItUnsealsAnotherSealOverTheSameStore() throws Exception {
    approvals.approve("ctl-2", "test");
    Asker asker = new Asker(askerMaterial);
    Replies replies = replies();
    CustodyLog log = new CustodyLog(Clock.systemUTC());
    ActorRef<KeyCustodian.Command> custodian = custodian(KeyCustodian.Policy.APPROVED, log);
    KeyCustodian.RequestKey request = asker.request(b -> b, replies.ref());
    custodian.tell(request);

    KeyCustodian.KeyOffer offer = replies.probe().expectMessageClass(KeyCustodian.KeyOffer.class, Duration.ofSeconds(10));
    await().atMost(Duration.ofSeconds(10)).until(() -> !log.entries().isEmpty());
    assertThat(log.entries()).singleElement().satisfies(e -> {
      assertThat(e.granted()).isTrue();
      assertThat(e.detail()).isEqualTo("ctl-2");
    });
    Seal joiner = new Seal(storage.keyRingStore(), Clock.systemUTC(), Duration.ofMinutes(1));
    assertThatThrownBy(() -> joiner.unsealFromPeer(asker.ephemeral, offer.sealedKey(), bound("ctl-9", offer.nonce())))
        .as("the box is bound to the asker's name").isInstanceOf(SealException.class);
    joiner.unsealFromPeer(asker.ephemeral, offer.sealedKey(), bound("ctl-2", offer.nonce()));
    assertThat(joiner.isUnsealed()).isTrue();
    joiner.seal();

    custodian.tell(request);
    await().atMost(Duration.ofSeconds(10)).until(() -> log.entries().size() == 2);
    assertThat(log.entries().get(1).granted()).isFalse();
    assertThat(log.entries().get(1).detail()).as("the same request again").contains("a replay");
  }

  @Test
  void aReplyAddressInsideTheCustodiansOwnSystem_isRefused() throws Exception {
    approvals.approve("ctl-2", "test");
    TestProbe<KeyCustodian.Command> local = kit.createTestProbe();
    CustodyLog log = new CustodyLog(Clock.systemUTC());
    custodian(KeyCustodian.Policy.ANY_CONTROLLER, log).tell(new Asker(askerMaterial).request(b -> b, local.getRef()));
    await().atMost(Duration.ofSeconds(10)).until(() -> !log.entries().isEmpty());
    assertThat(log.entries().get(0).detail()).contains("not a cluster member's");
    local.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aControllerNobodyApproved_isRefused() throws Exception {
    assertRefused(KeyCustodian.Policy.APPROVED, new Asker(askerMaterial).request(b -> b, null), "is not approved");
  }

  @Test
  void anyControllerPolicy_givesTheKeyWithoutApproval() throws Exception {
    Replies replies = replies();
    custodian(KeyCustodian.Policy.ANY_CONTROLLER, KeyCustodian.Observer.NONE)
        .tell(new Asker(askerMaterial).request(b -> b, replies.ref()));
    replies.probe().expectMessageClass(KeyCustodian.KeyOffer.class, Duration.ofSeconds(10));
  }

  @Test
  void policyNone_refusesEvenAnApprovedController() throws Exception {
    approvals.approve("ctl-2", "test");
    assertRefused(KeyCustodian.Policy.NONE, new Asker(askerMaterial).request(b -> b, null), "gives it to nobody");
  }

  @Test
  void aCertificateFromAnotherCa_isRefused() throws Exception {
    CertificateAuthority otherRoot = CertificateAuthority.createRoot(EcKeys.generate(), "other", Duration.ofDays(2),
        Clock.systemUTC());
    KeyPair keys = EcKeys.generate();
    X509Certificate foreign = otherRoot.issue(Identity.controller("ctl-2"), keys.getPublic(), Duration.ofDays(1),
        org.opencluster.protocol.pki.SubjectAltNames.NONE);
    approvals.approve("ctl-2", "test");
    KeyMaterial impostor = new KeyMaterial(keys.getPrivate(), List.of(foreign), List.of(otherRoot.certificate()));
    assertRefused(KeyCustodian.Policy.APPROVED, new Asker(impostor).request(b -> b, null), "certificate was refused");
  }

  @Test
  void operatorAndNodeCertificates_areRefused() throws Exception {
    KeyMaterial operator = material(pki.issueOperator("olga", Role.ADMIN));
    assertRefused(KeyCustodian.Policy.ANY_CONTROLLER, new Asker(operator).request(b -> b.setController("olga"), null),
        "certificate was refused");
    KeyMaterial node = material(pki.issue(pki.agentCa(), Identity.node("n-1"), "node-n-1"));
    assertRefused(KeyCustodian.Policy.ANY_CONTROLLER, new Asker(node).request(b -> b.setController("n-1"), null),
        "certificate was refused");
  }

  @Test
  void aRevokedCertificate_isRefused() throws Exception {
    approvals.approve("ctl-2", "test");
    denyList.revoke(askerMaterial.chain().get(0));
    assertRefused(KeyCustodian.Policy.APPROVED, new Asker(askerMaterial).request(b -> b, null), "REVOKED");
  }

  @Test
  void aSignatureByAnotherKey_isRefused() throws Exception {
    approvals.approve("ctl-2", "test");
    KeyMaterial wrongKey = new KeyMaterial(EcKeys.generate().getPrivate(), askerMaterial.chain(),
        askerMaterial.trustAnchors());
    assertRefused(KeyCustodian.Policy.APPROVED, new Asker(wrongKey).request(b -> b, null), "signature does not verify");
  }

  @Test
  void aRequestNamingAnotherControllerThanItsCertificate_isRefused() throws Exception {
    approvals.approve("ctl-1", "test");
    assertRefused(KeyCustodian.Policy.APPROVED, new Asker(askerMaterial).request(b -> b.setController("ctl-1"), null),
        "is signed by opencluster://controller/ctl-2");
  }

  @Test
  void aStaleRequest_isRefused() throws Exception {
    approvals.approve("ctl-2", "test");
    long stale = Instant.now().minus(SKEW).minusSeconds(5).toEpochMilli();
    assertRefused(KeyCustodian.Policy.APPROVED, new Asker(askerMaterial).request(b -> b.setIssuedAtMillis(stale), null),
        "from this controller's clock");
  }

  @Test
  void aRequestNamingAnotherAddressThanItsSender_isRefused() throws Exception {
    approvals.approve("ctl-2", "test");
    assertRefused(KeyCustodian.Policy.APPROVED,
        new Asker(askerMaterial).request(b -> b.setAddress("pekko://opencluster@10.0.0.9:25520"), null),
        "but came from");
  }

  @Test
  void aMalformedRequest_isRefused() throws Exception {
    KeyCustodian.RequestKey garbage = new KeyCustodian.RequestKey(new byte[] {1, 2, 3}, new byte[0], List.of(), null);
    assertRefused(KeyCustodian.Policy.ANY_CONTROLLER, garbage, "malformed request");
  }

  // ---- helpers ------------------------------------------------------------------------------

  private void assertRefused(KeyCustodian.Policy policy, KeyCustodian.RequestKey request, String reason) {
    Replies replies = replies();
    KeyCustodian.RequestKey addressed = new KeyCustodian.RequestKey(request.body(), request.signature(),
        request.certificateChain(), replies.ref());
    CustodyLog log = new CustodyLog(Clock.systemUTC());
    custodian(policy, log).tell(addressed);
    await().atMost(Duration.ofSeconds(10)).until(() -> !log.entries().isEmpty());
    assertThat(log.entries()).singleElement().satisfies(e -> {
      assertThat(e.granted()).isFalse();
      assertThat(e.detail()).contains(reason);
    });
    replies.probe().expectNoMessage(Duration.ofMillis(200));
  }

  private ActorRef<KeyCustodian.Command> custodian(KeyCustodian.Policy policy, KeyCustodian.Observer observer) {
    return kit.spawn(KeyCustodian.create(seal, approvals, () -> ownMaterial, denyList,
        new KeyCustodian.Settings("ctl-1", false, Duration.ofMinutes(1), policy, SKEW), observer, Clock.systemUTC()));
  }

  private byte[][] bound(String controller, byte[] nonce) {
    return new byte[][] {askerAddress.getBytes(StandardCharsets.UTF_8), controller.getBytes(StandardCharsets.UTF_8), nonce};
  }

  private static KeyMaterial material(Path files) throws Exception {
    return KeyMaterial.load(files.resolve("cert.pem"), files.resolve("key.pem"), files.resolve("ca.pem"));
  }

  /** A sealed peer: its one-off key, and requests signed with its certificate's key. */
  private final class Asker {
    final KeyPair ephemeral = EcKeys.generate();
    final KeyMaterial material;

    Asker(KeyMaterial material) {
      this.material = material;
    }

    KeyCustodian.RequestKey request(UnaryOperator<KeyRequestBody.Builder> change, ActorRef<KeyCustodian.Command> replyTo)
        throws Exception {
      byte[] nonce = new byte[16];
      new java.security.SecureRandom().nextBytes(nonce);
      Identity identity = org.opencluster.protocol.pki.Certificates.identityOf(material.chain().get(0));
      byte[] body = change.apply(KeyRequestBody.newBuilder()
              .setEphemeralPublicKey(ByteString.copyFrom(EcKeys.encodePoint((ECPublicKey) ephemeral.getPublic())))
              .setAddress(askerAddress)
              .setController(identity.name())
              .setIssuedAtMillis(System.currentTimeMillis())
              .setNonce(ByteString.copyFrom(nonce)))
          .build().toByteArray();
      List<byte[]> chain = new ArrayList<>();
      for (X509Certificate certificate : material.chain()) {
        chain.add(certificate.getEncoded());
      }
      return new KeyCustodian.RequestKey(body, EcdsaSigner.create(material.key()).sign(KeyCustodian.REQUEST_CONTEXT, body),
          chain, replyTo);
    }
  }
}
