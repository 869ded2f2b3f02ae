package org.opencluster.controller.node;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.opencluster.controller.files.ContentCipher;
import org.opencluster.controller.files.LocalCatalog;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateAuthority;

/**
 * Where a node entity finds the secure files its agent should hold: this controller's copy of the
 * file catalog, the cipher that opens their content just before it is sealed to the agent, and the
 * service CA that signs its {@code tls-certificate} files.
 *
 * @param serviceCa the service CA as last loaded; never blocks (entities call it)
 * @param resendAfter an InfoSet the agent has not acknowledged is sent again after this
 * @param budget how many sets this controller builds per second, across its node entities
 */
public record FileSource(LocalCatalog catalog, ContentCipher cipher, Supplier<Optional<CertificateAuthority>> serviceCa,
    Duration resendAfter, SetBudget budget) {

  /** Without a limit on sets per second. */
  public FileSource(LocalCatalog catalog, ContentCipher cipher, Supplier<Optional<CertificateAuthority>> serviceCa,
      Duration resendAfter) {
    this(catalog, cipher, serviceCa, resendAfter, SetBudget.UNLIMITED);
  }

  /** No files at all: for entities run without a catalog (tests, tools). */
  public static final FileSource NONE = new FileSource(new LocalCatalog(), new ContentCipher() {
    @Override
    public byte[] encrypt(SecretBytes plaintext, byte[]... associatedData) {
      throw new IllegalStateException("no content cipher here");
    }

    @Override
    public SecretBytes decrypt(byte[] record, byte[]... associatedData) {
      throw new IllegalStateException("no content cipher here");
    }
  }, Optional::empty, Duration.ofSeconds(10));
}
