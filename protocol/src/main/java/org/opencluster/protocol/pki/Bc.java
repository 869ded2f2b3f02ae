package org.opencluster.protocol.pki;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/** The Bouncy Castle provider, used by instance; never installed into the JVM's provider list. */
final class Bc {

  static final Provider PROVIDER = new BouncyCastleProvider();

  private Bc() {}
}
