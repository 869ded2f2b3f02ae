package org.opencluster.bench.fleet;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.opencluster.protocol.tls.KeyMaterial;
import org.opencluster.protocol.tls.TlsContexts;
import org.opencluster.protocol.tls.TlsPolicy;

/**
 * Fresh TLS 1.3 handshakes to the edge with one node's certificate, as an agent's link opens
 * them after a restart: each with a context of its own, so no session is resumed. In TLS 1.3 the client's handshake ends before the server has judged the client's
 * certificate, so each probe then reads: the server's alert (an {@link SSLException}) means
 * refused; silence for {@link #READ_WAIT} (the edge waits for the link's first bytes) means
 * accepted.
 */
final class HandshakeProbe {

  /** One probe's read wait: the resolution of the refusal time. */
  static final Duration READ_WAIT = Duration.ofMillis(300);
  private static final int HANDSHAKE_WAIT_MILLIS = 10_000;
  private static final String ACCEPTED = "accepted";
  private static final String REFUSED = "refused:";

  /**
   * @param refused whether the last probe was refused
   * @param atMillis when the last probe started (unix millis)
   * @param attempts probes made
   * @param detail the refusal's message or what the accepted probe saw, one word per space replaced
   */
  record Outcome(boolean refused, long atMillis, int attempts, String detail) {}

  private final KeyMaterial material;
  private final InetSocketAddress edge;

  HandshakeProbe(Path bundle, String edge) throws Exception {
    this.material = KeyMaterial.load(bundle.resolve("node.pem"), bundle.resolve("node.key"), bundle.resolve("ca.pem"));
    int colon = edge.lastIndexOf(':');
    this.edge = new InetSocketAddress(edge.substring(0, colon), Integer.parseInt(edge.substring(colon + 1)));
  }

  /** Probes back to back until one is refused ({@code refused}) or accepted, or {@code limit} passes. */
  Outcome until(boolean refused, Duration limit) throws InterruptedException {
    long giveUp = System.nanoTime() + limit.toNanos();
    int attempts = 0;
    Outcome last = new Outcome(!refused, System.currentTimeMillis(), 0, "no-probe");
    while (System.nanoTime() < giveUp) {
      attempts++;
      long at = System.currentTimeMillis();
      String seen = probe();
      last = new Outcome(seen.startsWith(REFUSED), at, attempts, seen);
      if (refused ? last.refused() : seen.equals(ACCEPTED)) {
        return last;
      }
      if (!seen.equals(ACCEPTED)) {
        Thread.sleep(READ_WAIT.toMillis());
      }
    }
    return last;
  }

  /** {@value #ACCEPTED}, {@value #REFUSED} and the alert, or what else happened (no spaces). */
  private String probe() {
    SSLContext context;
    try {
      context = TlsContexts.create(material, TlsPolicy.clientOfControllers(refusal -> { }, Clock.systemUTC()));
    } catch (java.security.GeneralSecurityException e) {
      return "failed:" + e.getClass().getSimpleName();
    }
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
      socket.connect(edge, HANDSHAKE_WAIT_MILLIS);
      socket.setEnabledProtocols(new String[] {TlsContexts.PROTOCOL});
      socket.setSoTimeout(HANDSHAKE_WAIT_MILLIS);
      socket.startHandshake();
      socket.setSoTimeout((int) READ_WAIT.toMillis());
      try {
        return socket.getInputStream().read() < 0 ? "closed-by-the-edge" : "bytes-from-the-edge";
      } catch (SocketTimeoutException e) {
        return ACCEPTED;
      }
    } catch (SSLException e) {
      return (REFUSED + e.getMessage()).replace(' ', '_').toLowerCase(Locale.ROOT);
    } catch (IOException e) {
      return "failed:" + e.getClass().getSimpleName();
    }
  }
}
