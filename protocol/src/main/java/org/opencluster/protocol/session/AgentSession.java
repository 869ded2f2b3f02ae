package org.opencluster.protocol.session;

import java.security.KeyPair;
import org.opencluster.protocol.crypto.SealedBox;
import org.opencluster.protocol.crypto.SealedBoxException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Identity;

/**
 * An agent's established session: who the controller is, what it granted, the frame channel, and
 * the ephemeral key that opens what the controller sealed to this boot.
 */
public final class AgentSession implements AutoCloseable {

  private final Identity controller;
  private final SessionTerms terms;
  private final int protocolVersion;
  private final SessionChannel channel;
  private final KeyPair ephemeral;

  AgentSession(Identity controller, SessionTerms terms, int protocolVersion, SessionChannel channel, KeyPair ephemeral) {
    this.controller = controller;
    this.terms = terms;
    this.protocolVersion = protocolVersion;
    this.channel = channel;
    this.ephemeral = ephemeral;
  }

  public Identity controller() {
    return controller;
  }

  public SessionTerms terms() {
    return terms;
  }

  public int protocolVersion() {
    return protocolVersion;
  }

  public SessionChannel channel() {
    return channel;
  }

  /** Opens a sealed box the controller addressed to this boot's ephemeral key. */
  public SecretBytes open(String context, byte[] box, byte[]... associatedData) throws SealedBoxException {
    return SealedBox.open(ephemeral, context, box, associatedData);
  }

  /**
   * Opens a secure file's content sealed to this boot ({@link SecureFileBox}).
   *
   * @throws SealedBoxException if it was sealed to another key, node, name or version, or altered
   */
  public SecretBytes openSecureFile(String name, long version, byte[] box) throws SealedBoxException {
    return SealedBox.open(ephemeral, SecureFileBox.CONTEXT, box, SecureFileBox.associatedData(channel.nodeId(), name, version));
  }

  @Override
  public void close() {
    channel.close();
  }

  @Override
  public String toString() {
    return "AgentSession[" + channel.nodeId() + " with " + controller + ", keys=[secret]]";
  }
}
