package org.opencluster.protocol.tls;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.opencluster.protocol.pki.CertificateProfile;
import org.opencluster.protocol.pki.CertificateValidationException;
import org.opencluster.protocol.pki.Identity;

/**
 * Whom a TLS endpoint accepts: which identity kinds, checked for which use on each side of the
 * handshake, minus a deny list; and who hears about refusals (metrics, audit).
 *
 * @param acceptedPeers identity kinds allowed at the other end
 * @param peerAsClient the use a peer's certificate is checked for when it connects to us
 * @param peerAsServer the use a peer's certificate is checked for when we connect to it
 * @param revoked certificates refused whatever else they prove (the deny list); read at every
 *     handshake, so a change applies to the next connection
 * @param refusals told of every refused peer, with the reason; never told secrets
 */
public record TlsPolicy(Set<Identity.Kind> acceptedPeers, CertificateProfile.Usage peerAsClient,
    CertificateProfile.Usage peerAsServer, Predicate<X509Certificate> revoked,
    Consumer<CertificateValidationException> refusals, Clock clock) {

  public TlsPolicy {
    acceptedPeers = Set.copyOf(acceptedPeers);
  }

  /**
   * A controller's edge system facing agents: only node identities, in both directions. Artery
   * connects back, so the edge is the TLS client of the agent's listener too; there the agent
   * presents its node certificate (client-only by design), and it is checked as a client's.
   */
  public static TlsPolicy edge(Predicate<X509Certificate> revoked, Consumer<CertificateValidationException> refusals,
      Clock clock) {
    return new TlsPolicy(EnumSet.of(Identity.Kind.NODE), CertificateProfile.Usage.TLS_CLIENT,
        CertificateProfile.Usage.TLS_CLIENT, revoked, refusals, clock);
  }

  /**
   * A client of controllers (an agent facing their edges, octl facing their API): only controller
   * identities, without a deny list of its own.
   */
  public static TlsPolicy clientOfControllers(Consumer<CertificateValidationException> refusals, Clock clock) {
    return controllers(certificate -> false, refusals, clock);
  }

  /** Controllers talking to controllers: the cluster link. */
  public static TlsPolicy controllers(Predicate<X509Certificate> revoked, Consumer<CertificateValidationException> refusals,
      Clock clock) {
    return new TlsPolicy(EnumSet.of(Identity.Kind.CONTROLLER), CertificateProfile.Usage.TLS_CLIENT,
        CertificateProfile.Usage.TLS_SERVER, revoked, refusals, clock);
  }
}
