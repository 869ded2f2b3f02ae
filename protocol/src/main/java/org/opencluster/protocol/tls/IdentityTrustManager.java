package org.opencluster.protocol.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.opencluster.protocol.pki.CertificateProfile;
import org.opencluster.protocol.pki.CertificateValidationException;
import org.opencluster.protocol.pki.CertificateValidator;

/**
 * A TLS trust manager that accepts a peer only if {@link CertificateValidator} proves it is one of
 * the identity kinds the {@link TlsPolicy} accepts, for the use its side of the handshake implies,
 * and it is not on the deny list. There is no host name check: peers are known by identity, not
 * by address.
 */
final class IdentityTrustManager extends X509ExtendedTrustManager {

  private final CertificateValidator validator;
  private final TlsPolicy policy;

  IdentityTrustManager(List<X509Certificate> anchors, TlsPolicy policy) {
    this.validator = CertificateValidator.trusting(anchors).withRevocation(policy.revoked());
    this.policy = policy;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, policy.peerAsClient());
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    check(chain, policy.peerAsClient());
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    check(chain, policy.peerAsClient());
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, policy.peerAsServer());
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    check(chain, policy.peerAsServer());
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    check(chain, policy.peerAsServer());
  }

  /**
   * No hint of acceptable CAs: every peer presents its certificate (each process has one), so a
   * refusal is always this validator's, with a reason that is counted, never a silent "no
   * certificate".
   */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }

  private void check(X509Certificate[] chain, CertificateProfile.Usage usage) throws CertificateException {
    try {
      validator.validate(chain == null ? List.of() : List.of(chain), usage, policy.clock().instant(), policy.acceptedPeers());
    } catch (CertificateValidationException e) {
      policy.refusals().accept(e);
      throw e;
    }
  }
}
