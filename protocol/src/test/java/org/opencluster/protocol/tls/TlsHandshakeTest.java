package org.opencluster.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.CertificateValidationException;
import org.opencluster.protocol.pki.Certificates;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.Role;
import org.opencluster.protocol.pki.SubjectAltNames;

/** Real TLS handshakes on 127.0.0.1 between contexts built by {@link TlsContexts}. */
class TlsHandshakeTest {

  @TempDir
  Path tmp;

  private final Clock clock = Clock.systemUTC();
  private final CertificateAuthority root;
  private final CertificateAuthority agentCa;
  private final List<CertificateValidationException> refusals = new CopyOnWriteArrayList<>();

  TlsHandshakeTest() throws Exception {
    root = CertificateAuthority.createRoot(EcKeys.generate(), "tls-test", Duration.ofDays(30), clock);
    agentCa = root.createAgentCa(EcKeys.generate(), Duration.ofDays(20));
  }

  @Test
  void twoControllers_completeTheHandshake_andSeeEachOthersIdentity() throws Exception {
    SSLContext server = controllers(material(root, Identity.controller("ctl-1")), c -> false);
    SSLContext client = controllers(material(root, Identity.controller("ctl-2")), c -> false);
    X509Certificate seenByClient = handshake(server, client);
    assertThat(Certificates.identityOf(seenByClient)).isEqualTo(Identity.controller("ctl-1"));
    assertThat(refusals).isEmpty();
  }

  @Test
  void aControllerOfAnotherCluster_isRefusedAtTheHandshake() throws Exception {
    CertificateAuthority otherRoot = CertificateAuthority.createRoot(EcKeys.generate(), "other", Duration.ofDays(30), clock);
    SSLContext server = controllers(material(root, Identity.controller("ctl-1")), c -> false);
    SSLContext intruder = controllers(material(otherRoot, Identity.controller("ctl-9"), root.certificate()), c -> false);
    assertRefused(server, intruder, CertificateValidationException.Reason.UNKNOWN_ISSUER);
  }

  @Test
  void anOperatorCertificate_isRefusedAtTheHandshake() throws Exception {
    SSLContext server = controllers(material(root, Identity.controller("ctl-1")), c -> false);
    SSLContext operator = controllers(material(root, Identity.operator("alice", Role.ADMIN)), c -> false);
    assertRefused(server, operator, CertificateValidationException.Reason.WRONG_IDENTITY_KIND);
  }

  @Test
  void aNodeCertificate_isRefusedAtTheHandshake() throws Exception {
    SSLContext server = controllers(material(root, Identity.controller("ctl-1")), c -> false);
    SSLContext node = controllers(material(agentCa, Identity.node("n-1")), c -> false);
    assertRefused(server, node, CertificateValidationException.Reason.WRONG_IDENTITY_KIND);
  }

  @Test
  void aRevokedController_isRefusedAtTheHandshake() throws Exception {
    KeyMaterial revoked = material(root, Identity.controller("ctl-2"));
    X509Certificate revokedCertificate = revoked.chain().get(0);
    SSLContext server = controllers(material(root, Identity.controller("ctl-1")), c -> c.equals(revokedCertificate));
    assertRefused(server, controllers(revoked, c -> false), CertificateValidationException.Reason.REVOKED);
  }

  @Test
  void aNodeDeniedAfterAHandshake_isRefusedByArteryTls_whenItResumesItsSession() throws Exception {
    KeyMaterial node = material(agentCa, Identity.node("n-1"));
    X509Certificate nodeCertificate = node.chain().get(0);
    java.util.Set<X509Certificate> denied = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Path dir = write(root, Identity.controller("ctl-1"), "edge");
    ReloadingTlsContext edgeTls = ReloadingTlsContext.load(dir.resolve("cert.pem"), dir.resolve("key.pem"),
        dir.resolve("ca.pem"), TlsPolicy.edge(denied::contains, refusals::add, clock), Duration.ofMinutes(10), e -> { });
    ArteryTls edge = new ArteryTls(edgeTls);
    SSLContext agent = TlsContexts.create(node, TlsPolicy.clientOfControllers(refusals::add, clock));
    try (SSLServerSocket listener = listen(edgeTls.current())) {
      java.util.function.Function<javax.net.ssl.SSLSession, scala.Option<Throwable>> artery =
          session -> edge.verifyClientSession("127.0.0.1", session);
      long first = handshake(listener, agent, artery).getCreationTime();
      long second = handshake(listener, agent, artery).getCreationTime();
      assertThat(second).as("the second handshake resumed the first session").isEqualTo(first);

      denied.add(nodeCertificate);

      assertThatThrownBy(() -> handshake(listener, agent, artery)).isInstanceOf(Exception.class);
      assertThat(refusals).extracting(CertificateValidationException::reason)
          .contains(CertificateValidationException.Reason.REVOKED);
    }
  }

  @Test
  void theClient_refusesAServerThatIsNotAController() throws Exception {
    SSLContext fakeServer = controllers(material(root, Identity.operator("mallory", Role.ADMIN)), c -> false);
    SSLContext client = controllers(material(root, Identity.controller("ctl-2")), c -> false);
    assertThatThrownBy(() -> handshake(fakeServer, client)).isInstanceOf(Exception.class);
    assertThat(refusals).extracting(CertificateValidationException::reason)
        .contains(CertificateValidationException.Reason.WRONG_IDENTITY_KIND);
  }

  @Test
  void aKeyFileReadableByOthers_isRefused() throws Exception {
    Path dir = write(root, Identity.controller("ctl-1"), "ctl-1");
    Files.setPosixFilePermissions(dir.resolve("key.pem"), PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> KeyMaterial.load(dir.resolve("cert.pem"), dir.resolve("key.pem"), dir.resolve("ca.pem")))
        .isInstanceOf(GeneralSecurityException.class).hasMessageContaining("chmod 600");
  }

  @Test
  void aKeyOfAnotherCertificate_isRefused() throws Exception {
    Path one = write(root, Identity.controller("ctl-1"), "ctl-1");
    Path two = write(root, Identity.controller("ctl-2"), "ctl-2");
    assertThatThrownBy(() -> KeyMaterial.load(one.resolve("cert.pem"), two.resolve("key.pem"), one.resolve("ca.pem")))
        .isInstanceOf(GeneralSecurityException.class).hasMessageContaining("is not the key of");
  }

  @Test
  void renewedKeyMaterial_isUsedByTheNextConnection() throws Exception {
    Path dir = write(root, Identity.controller("ctl-1"), "ctl-1");
    MovableClock movable = new MovableClock();
    ReloadingTlsContext server = ReloadingTlsContext.load(dir.resolve("cert.pem"), dir.resolve("key.pem"), dir.resolve("ca.pem"),
        TlsPolicy.controllers(c -> false, refusals::add, movable), Duration.ofSeconds(10), e -> { });
    SSLContext client = controllers(material(root, Identity.controller("ctl-2")), c -> false);
    X509Certificate before = handshake(server.current(), client);

    Path renewed = write(root, Identity.controller("ctl-1"), "ctl-1-renewed");
    for (String file : new String[] {"cert.pem", "key.pem"}) {
      Files.copy(renewed.resolve(file), dir.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    assertThat(handshake(server.current(), client)).as("within the check interval").isEqualTo(before);
    movable.advance(Duration.ofSeconds(11));
    X509Certificate after = handshake(server.current(), client);
    assertThat(after.getSerialNumber()).isNotEqualTo(before.getSerialNumber());
    assertThat(server.keyMaterial().chain().get(0)).as("signing outside TLS uses the renewed key too").isEqualTo(after);
  }

  @Test
  void aBrokenRenewal_keepsThePreviousMaterial_andIsReported() throws Exception {
    Path dir = write(root, Identity.controller("ctl-1"), "ctl-1");
    MovableClock movable = new MovableClock();
    List<Exception> failures = new CopyOnWriteArrayList<>();
    ReloadingTlsContext server = ReloadingTlsContext.load(dir.resolve("cert.pem"), dir.resolve("key.pem"), dir.resolve("ca.pem"),
        TlsPolicy.controllers(c -> false, refusals::add, movable), Duration.ofSeconds(10), failures::add);
    SSLContext client = controllers(material(root, Identity.controller("ctl-2")), c -> false);
    X509Certificate before = handshake(server.current(), client);
    Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\nhalf written");
    movable.advance(Duration.ofSeconds(11));
    assertThat(handshake(server.current(), client)).isEqualTo(before);
    assertThat(failures).hasSize(1);
  }

  // ---- helpers ------------------------------------------------------------------------------

  private SSLContext controllers(KeyMaterial material, Predicate<X509Certificate> revoked) throws GeneralSecurityException {
    return TlsContexts.create(material, TlsPolicy.controllers(revoked, refusals::add, clock));
  }

  private KeyMaterial material(CertificateAuthority issuer, Identity identity, X509Certificate... anchors) throws Exception {
    KeyPair keys = EcKeys.generate();
    X509Certificate certificate = issuer.issue(identity, keys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE);
    List<X509Certificate> chain = issuer.identity().equals(Identity.AGENT_CA) ? List.of(certificate, issuer.certificate()) : List.of(certificate);
    return new KeyMaterial(keys.getPrivate(), chain, anchors.length == 0 ? List.of(root.certificate()) : List.of(anchors));
  }

  private Path write(CertificateAuthority issuer, Identity identity, String name) throws Exception {
    KeyPair keys = EcKeys.generate();
    X509Certificate certificate = issuer.issue(identity, keys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE);
    Path dir = Files.createDirectories(tmp.resolve(name));
    Files.writeString(dir.resolve("cert.pem"), Pem.encodeCertificates(List.of(certificate)));
    Files.writeString(dir.resolve("ca.pem"), Pem.encodeCertificates(List.of(root.certificate())));
    Path key = dir.resolve("key.pem");
    Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (SecretBytes pem = Pem.encodePrivateKey(keys.getPrivate())) {
      Files.write(key, pem.copyBytes());
    }
    return dir;
  }

  private void assertRefused(SSLContext server, SSLContext client, CertificateValidationException.Reason reason) {
    assertThatThrownBy(() -> handshake(server, client)).isInstanceOf(Exception.class);
    assertThat(refusals).extracting(CertificateValidationException::reason).contains(reason);
  }

  /** Runs one handshake on 127.0.0.1; returns the server certificate the client saw. */
  private static X509Certificate handshake(SSLContext serverContext, SSLContext clientContext) throws Exception {
    try (SSLServerSocket listener = listen(serverContext)) {
      return handshake(listener, clientContext);
    }
  }

  private static SSLServerSocket listen(SSLContext serverContext) throws IOException {
    SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
    listener.setNeedClientAuth(true);
    listener.setEnabledProtocols(new String[] {TlsContexts.PROTOCOL});
    listener.setSoTimeout(10_000);
    return listener;
  }

  private static X509Certificate handshake(SSLServerSocket listener, SSLContext clientContext) throws Exception {
    return (X509Certificate) handshake(listener, clientContext, session -> scala.Option.empty()).getPeerCertificates()[0];
  }

  /**
   * One handshake with {@code listener}, which may have served others; the server closes the
   * connection if {@code serverCheck} finds fault with the session (as Artery does). Returns the
   * client's session.
   */
  private static javax.net.ssl.SSLSession handshake(SSLServerSocket listener, SSLContext clientContext,
      java.util.function.Function<javax.net.ssl.SSLSession, scala.Option<Throwable>> serverCheck) throws Exception {
    CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
      try (SSLSocket socket = (SSLSocket) listener.accept()) {
        socket.startHandshake();
        if (serverCheck.apply(socket.getSession()).isDefined()) {
          return;
        }
        socket.getOutputStream().write(1);
        socket.getOutputStream().flush();
        socket.getInputStream().read();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    try (SSLSocket socket = (SSLSocket) clientContext.getSocketFactory()
        .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
      socket.setSoTimeout(10_000);
      socket.setEnabledProtocols(new String[] {TlsContexts.PROTOCOL});
      socket.startHandshake();
      int first = socket.getInputStream().read();
      if (first != 1) {
        throw new IOException("connection closed by the server");
      }
      socket.getOutputStream().write(2);
      socket.getOutputStream().flush();
      accepted.get(10, TimeUnit.SECONDS);
      return socket.getSession();
    } finally {
      if (!accepted.isDone()) {
        accepted.exceptionally(e -> null).get(10, TimeUnit.SECONDS);
      }
    }
  }

  /** A clock the test moves. */
  static final class MovableClock extends Clock {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());

    void advance(Duration by) {
      now.updateAndGet(t -> t.plus(by));
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public ZoneId getZone() {
      return ZoneId.of("UTC");
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

}
