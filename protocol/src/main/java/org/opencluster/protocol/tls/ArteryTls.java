package org.opencluster.protocol.tls;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import org.apache.pekko.remote.artery.tcp.SSLEngineProvider;
import scala.Option;

/**
 * Pekko Artery's TLS ({@code transport = tls-tcp}) with OpenCluster identities: EC keys held in
 * memory, chains through intermediate CAs, the peer checked by identity kind (only controllers
 * join the cluster; only nodes reach the edge), a deny list read at every handshake, and key
 * material reloaded from its files for new connections. Hand it to the actor system with
 * {@code SSLEngineProviderSetup.create(system -> new ArteryTls(context))}.
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

  /** The trust manager already checked the client's identity; this only insists on TLS 1.3. */
  @Override
  public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
    return requireProtocol(session);
  }

  @Override
  public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
    return requireProtocol(session);
  }

  private static Option<Throwable> requireProtocol(SSLSession session) {
    if (TlsContexts.PROTOCOL.equals(session.getProtocol())) {
      return Option.empty();
    }
    return Option.apply(new javax.net.ssl.SSLException("TLS session uses " + session.getProtocol() + ", not " + TlsContexts.PROTOCOL));
  }
}
