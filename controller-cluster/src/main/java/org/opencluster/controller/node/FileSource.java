package org.opencluster.controller.node;

import java.time.Duration;
import org.opencluster.controller.files.ContentCipher;
import org.opencluster.controller.files.LocalCatalog;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * Where a node entity finds the secure files its agent should hold: this controller's copy of the
 * file catalog, and the cipher that opens their content just before it is sealed to the agent.
 *
 * @param resendAfter an InfoSet the agent has not acknowledged is sent again after this
 */
public record FileSource(LocalCatalog catalog, ContentCipher cipher, Duration resendAfter) {

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
  }, Duration.ofSeconds(10));
}
