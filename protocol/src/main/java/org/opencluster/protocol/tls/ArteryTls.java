package org.opencluster.protocol.tls;

import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.apache.pekko.remote.artery.tcp.SSLEngineProvider;
import scala.Option;

/**
 * Pekko Artery's TLS ({@code transport = tls-tcp}) with OpenCluster identities: EC keys held in
 * memory, chains through intermediate CAs, the peer checked by identity kind (only controllers
 * join the cluster; only nodes reach the edge), a deny list read at every handshake, and key
 * material reloaded from its files for new connections. Hand it to the actor system with
 * {@code SSLEngineProviderSetup.create(system -> new ArteryTls(context))}.
 *
 * <p>Every session's peer is checked again once its handshake is over: a TLS 1.3 session resumed
 * with a ticket from an earlier handshake skips the trust manager, so without this a certificate
 * denied (or expired) since that handshake would still connect.
 */
public final class ArteryTls implements SSLEngineProvider {

  private final ReloadingTlsContext context;

  public ArteryTls(ReloadingTlsContext context) {
    this.context = context;
  }

  @Override
  public SSLEngine createServerSSLEngine(String hostname, int port) {
    return TlsContexts.serverEngine(context.current(), hostname, port);
  }

  @Override
  public SSLEngine createClientSSLEngine(String hostname, int port) {
    return TlsContexts.clientEngine(context.current(), hostname, port);
  }

  /** TLS 1.3, and the client's chain checked now (the deny list as it is now), also for a resumed session. */
  @Override
  public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
    Option<Throwable> protocol = requireProtocol(session);
    return protocol.isDefined() ? protocol : verifyPeer(session, true);
  }

  @Override
  public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
    Option<Throwable> protocol = requireProtocol(session);
    return protocol.isDefined() ? protocol : verifyPeer(session, false);
  }

  private Option<Throwable> verifyPeer(SSLSession session, boolean peerIsClient) {
    try {
      Certificate[] presented = session.getPeerCertificates();
      X509Certificate[] chain = Arrays.copyOf(presented, presented.length, X509Certificate[].class);
      IdentityTrustManager trust = new IdentityTrustManager(context.keyMaterial().trustAnchors(), context.policy());
      if (peerIsClient) {
        trust.checkClientTrusted(chain, "EC");
      } else {
        trust.checkServerTrusted(chain, "EC");
      }
      return Option.empty();
    } catch (SSLPeerUnverifiedException | CertificateException | ArrayStoreException e) {
      return Option.apply(e);
    }
  }

  private static Option<Throwable> requireProtocol(SSLSession session) {
    if (TlsContexts.PROTOCOL.equals(session.getProtocol())) {
      return Option.empty();
    }
    return Option.apply(new javax.net.ssl.SSLException("TLS session uses " + session.getProtocol() + ", not " + TlsContexts.PROTOCOL));
  }
}
