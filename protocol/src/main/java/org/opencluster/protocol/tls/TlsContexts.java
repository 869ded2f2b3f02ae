package org.opencluster.protocol.tls;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;

/** TLS 1.3 contexts from in-memory key material and a {@link TlsPolicy}. */
public final class TlsContexts {

  public static final String PROTOCOL = "TLSv1.3";
  private static final SecureRandom RANDOM = new SecureRandom();

  private TlsContexts() {}

  /** An SSL context presenting {@code material}'s certificate and accepting peers by {@code policy}. */
  public static SSLContext create(KeyMaterial material, TlsPolicy policy) throws GeneralSecurityException {
    char[] password = new char[16];
    for (int i = 0; i < password.length; i++) {
      password[i] = (char) ('a' + RANDOM.nextInt(26));
    }
    try {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("self", material.key(), password, material.chain().toArray(X509Certificate[]::new));
      KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keyManagers.init(keys, password);
      SSLContext context = SSLContext.getInstance(PROTOCOL);
      context.init(keyManagers.getKeyManagers(),
          new TrustManager[] {new IdentityTrustManager(material.trustAnchors(), policy)}, RANDOM);
      return context;
    } catch (java.io.IOException e) {
      throw new GeneralSecurityException("cannot build the in-memory key store", e);
    } finally {
      java.util.Arrays.fill(password, '\0');
    }
  }

  /** A server engine that requires and checks a client certificate. */
  public static SSLEngine serverEngine(SSLContext context, String host, int port) {
    return server(context, host, port, true);
  }

  /** A server engine for probes (health checks): server authentication only. */
  public static SSLEngine serverEngineWithoutClientAuth(SSLContext context, String host, int port) {
    return server(context, host, port, false);
  }

  private static SSLEngine server(SSLContext context, String host, int port, boolean needClientAuth) {
    SSLEngine engine = context.createSSLEngine(host, port);
    engine.setUseClientMode(false);
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setProtocols(new String[] {PROTOCOL});
    parameters.setNeedClientAuth(needClientAuth);
    engine.setSSLParameters(parameters);
    return engine;
  }

  /** A client engine; the server is checked by identity, not by host name. */
  public static SSLEngine clientEngine(SSLContext context, String host, int port) {
    SSLEngine engine = context.createSSLEngine(host, port);
    engine.setUseClientMode(true);
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setProtocols(new String[] {PROTOCOL});
    engine.setSSLParameters(parameters);
    return engine;
  }
}
