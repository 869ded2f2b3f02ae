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
  private KeyMaterial ownMaterial;
  private KeyMaterial askerMaterial;
  private DenyList denyList;
  private String selfAddress;

  @BeforeAll
  void start(@TempDir Path directory) throws Exception {
    pki = new TestCluster(directory);
    ownMaterial = material(pki.issue(pki.root(), Identity.controller("ctl-1"), "ctl-1"));
    askerMaterial = material(pki.issue(pki.root(), Identity.controller("ctl-2"), "ctl-2"));
    storage = Storage.open(TestDatabases.freshH2());
    seal = TestSeals.unsealed(storage);
    approvals = new ControllerApprovals(new SealedValues(storage.dataSource(), seal, Clock.systemUTC()), Clock.systemUTC());
    kit = ActorTestKit.create("custodian-test", ControllerConfig.load(ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
        pekko.remote.artery.transport = tcp
        pekko.coordinated-shutdown.exit-jvm = off
        """)));
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    await().atMost(Duration.ofSeconds(30)).until(() -> cluster.selfMember().status().equals(MemberStatus.up()));
    selfAddress = cluster.selfMember().address().toString();
  }

  @AfterAll
  void stop() {
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
    TestProbe<KeyCustodian.Command> replies = kit.createTestProbe();
    CustodyLog log = new CustodyLog(Clock.systemUTC());
    custodian(KeyCustodian.Policy.APPROVED, log).tell(asker.request(b -> b, replies.getRef()));

    KeyCustodian.KeyOffer offer = replies.expectMessageClass(KeyCustodian.KeyOffer.class);
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
  }

  @Test
  void aControllerNobodyApproved_isRefused() throws Exception {
    assertRefused(KeyCustodian.Policy.APPROVED, new Asker(askerMaterial).request(b -> b, null), "is not approved");
  }

  @Test
  void anyControllerPolicy_givesTheKeyWithoutApproval() throws Exception {
    TestProbe<KeyCustodian.Command> replies = kit.createTestProbe();
    custodian(KeyCustodian.Policy.ANY_CONTROLLER, KeyCustodian.Observer.NONE)
        .tell(new Asker(askerMaterial).request(b -> b, replies.getRef()));
    replies.expectMessageClass(KeyCustodian.KeyOffer.class);
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
    TestProbe<KeyCustodian.Command> replies = kit.createTestProbe();
    KeyCustodian.RequestKey garbage = new KeyCustodian.RequestKey(new byte[] {1, 2, 3}, new byte[0], List.of(),
        replies.getRef());
    assertRefused(KeyCustodian.Policy.ANY_CONTROLLER, garbage, "malformed request");
  }

  // ---- helpers ------------------------------------------------------------------------------

  private void assertRefused(KeyCustodian.Policy policy, KeyCustodian.RequestKey request, String reason) {
    TestProbe<KeyCustodian.Command> replies = kit.createTestProbe();
    KeyCustodian.RequestKey addressed = new KeyCustodian.RequestKey(request.body(), request.signature(),
        request.certificateChain(), replies.getRef());
    CustodyLog log = new CustodyLog(Clock.systemUTC());
    custodian(policy, log).tell(addressed);
    await().atMost(Duration.ofSeconds(10)).until(() -> !log.entries().isEmpty());
    assertThat(log.entries()).singleElement().satisfies(e -> {
      assertThat(e.granted()).isFalse();
      assertThat(e.detail()).contains(reason);
    });
    replies.expectNoMessage(Duration.ofMillis(50));
  }

  private ActorRef<KeyCustodian.Command> custodian(KeyCustodian.Policy policy, KeyCustodian.Observer observer) {
    return kit.spawn(KeyCustodian.create(seal, approvals, () -> ownMaterial, denyList,
        new KeyCustodian.Settings("ctl-1", false, Duration.ofMinutes(1), policy, SKEW), observer, Clock.systemUTC()));
  }

  private byte[][] bound(String controller, byte[] nonce) {
    return new byte[][] {selfAddress.getBytes(StandardCharsets.UTF_8), controller.getBytes(StandardCharsets.UTF_8), nonce};
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
              .setAddress(selfAddress)
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
