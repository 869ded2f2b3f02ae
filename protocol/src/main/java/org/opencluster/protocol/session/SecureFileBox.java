package org.opencluster.protocol.session;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.interfaces.ECPublicKey;
import org.opencluster.protocol.crypto.SealedBox;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * How a secure file's content is sealed to one agent's session (agent.proto {@code
 * SecureFile.sealed_content}): a {@link SealedBox} to the agent's one-off key of this boot, with
 * the context {@value #CONTEXT} and, as associated data, the node id, the file's name and its
 * version. A box made for another node, another file or another version does not open.
 */
public final class SecureFileBox {

  public static final String CONTEXT = "opencluster/secure-file/v1";

  private SecureFileBox() {}

  /** Controller side: seals {@code content} to the agent key of {@code nodeId}'s session. */
  public static byte[] seal(ECPublicKey agentKey, String nodeId, String name, long version, SecretBytes content)
      throws InvalidKeyException {
    return SealedBox.seal(agentKey, CONTEXT, content, associatedData(nodeId, name, version));
  }

  /**
   * The name a staged file (agent.proto {@code StagedFile}) is sealed under: the pending version
   * {@code secretVersion} of the rotating secret {@code secret}, rendered into file {@code file}.
   * No file or secret name holds ':' or '@', so it never equals a live file's name.
   */
  public static String stagedName(String secret, long secretVersion, String file) {
    return "pending:" + secret + "@" + secretVersion + ":" + file;
  }

  static byte[][] associatedData(String nodeId, String name, long version) {
    return new byte[][] {nodeId.getBytes(StandardCharsets.UTF_8), name.getBytes(StandardCharsets.UTF_8),
        ByteBuffer.allocate(Long.BYTES).putLong(version).array()};
  }
}
