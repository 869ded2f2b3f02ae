package org.opencluster.protocol.tls;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import javax.security.auth.x500.X500Principal;

/**
 * Revoked certificates, by issuer and serial number, consulted at every TLS handshake. The
 * controllers keep it in step across the cluster; here it is just the set and the check.
 */
public final class DenyList implements Predicate<X509Certificate> {

  private record Entry(X500Principal issuer, BigInteger serial) {}

  private final Set<Entry> revoked = ConcurrentHashMap.newKeySet();

  public void revoke(X500Principal issuer, BigInteger serial) {
    revoked.add(new Entry(issuer, serial));
  }

  public void revoke(X509Certificate certificate) {
    revoke(certificate.getIssuerX500Principal(), certificate.getSerialNumber());
  }

  public int size() {
    return revoked.size();
  }

  @Override
  public boolean test(X509Certificate certificate) {
    return revoked.contains(new Entry(certificate.getIssuerX500Principal(), certificate.getSerialNumber()));
  }
}
