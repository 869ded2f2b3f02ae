package org.opencluster.controller.audit;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import org.opencluster.controller.proto.v1.AuditEntry;
import org.opencluster.persistence.keys.DataKeyRing;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.keys.StorageIntegrityException;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * The stored form of audit records and the chain through them.
 *
 * <pre>
 * record = version (1) || seq (8) || h(seq - 1) (32) || data key ring record of AuditEntry
 *          associated data: "opencluster/audit/v1", seq, h(seq - 1)
 * h(0)   = 32 zero bytes
 * h(seq) = SHA-256(h(seq - 1) || seq || record)
 * head   = data key ring record of seq (8) || h(seq), associated data "opencluster/audit-head/v1"
 * </pre>
 *
 * A record says, authenticated, where it was written and what came before it; so one found at
 * another place, or after another record, is named for what it is. Altering any byte makes it
 * fail authentication.
 */
final class AuditChain {

  static final int HASH_LENGTH = 32;
  static final byte[] GENESIS = new byte[HASH_LENGTH];
  private static final byte VERSION = 1;
  private static final int HEADER_LENGTH = 1 + 8 + HASH_LENGTH;
  private static final byte[] LABEL = "opencluster/audit/v1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] HEAD_LABEL = "opencluster/audit-head/v1".getBytes(StandardCharsets.US_ASCII);

  private AuditChain() {}

  /** A record that authenticated: where it was written, the chain hash before it, what it says. */
  record Opened(long seq, byte[] previous, AuditRecord record) {}

  /** The newest record's place and chain hash. */
  record Head(long seq, byte[] hash) {
    static final Head EMPTY = new Head(0, GENESIS);
  }

  static byte[] seal(DataKeyRing ring, long seq, byte[] previous, String controller, AuditEvent event) {
    byte[] plaintext = AuditEntry.newBuilder()
        .setAtMillis(event.at().toEpochMilli())
        .setController(controller)
        .setActor(event.actor())
        .setAction(event.action())
        .setTarget(event.target())
        .setOutcome(event.outcome())
        .setDetail(event.detail())
        .build().toByteArray();
    byte[] sealed = ring.encrypt(plaintext, LABEL, seqBytes(seq), previous);
    return ByteBuffer.allocate(HEADER_LENGTH + sealed.length).put(VERSION).putLong(seq).put(previous).put(sealed).array();
  }

  /**
   * @throws StorageIntegrityException if the record is malformed or fails authentication (altered,
   *     its header changed, or not written by this cluster)
   */
  static Opened open(Seal seal, byte[] record) {
    if (record == null || record.length <= HEADER_LENGTH || record[0] != VERSION) {
      throw new StorageIntegrityException("not an audit record");
    }
    ByteBuffer buffer = ByteBuffer.wrap(record);
    buffer.get();
    long seq = buffer.getLong();
    byte[] previous = new byte[HASH_LENGTH];
    buffer.get(previous);
    byte[] sealed = Arrays.copyOfRange(record, HEADER_LENGTH, record.length);
    try (SecretBytes plaintext = seal.keyRingHolding(DataKeyRing.keyIdOf(sealed))
        .decrypt(sealed, LABEL, seqBytes(seq), previous)) {
      AuditEntry entry = AuditEntry.parseFrom(plaintext.copyBytes());
      AuditEvent event = new AuditEvent(Instant.ofEpochMilli(entry.getAtMillis()), entry.getActor(), entry.getAction(),
          entry.getTarget(), entry.getOutcome(), entry.getDetail());
      return new Opened(seq, previous, new AuditRecord(seq, entry.getController(), event));
    } catch (InvalidProtocolBufferException e) {
      throw new StorageIntegrityException("an audit record authenticated but does not parse", e);
    }
  }

  static byte[] hash(byte[] previous, long seq, byte[] record) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(previous);
      sha256.update(seqBytes(seq));
      return sha256.digest(record);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable in this JVM", e);
    }
  }

  static byte[] sealHead(DataKeyRing ring, Head head) {
    return ring.encrypt(ByteBuffer.allocate(8 + HASH_LENGTH).putLong(head.seq()).put(head.hash()).array(), HEAD_LABEL);
  }

  /** @throws StorageIntegrityException if the head record was altered or not written by this cluster */
  static Head openHead(Seal seal, byte[] sealed) {
    if (sealed == null) {
      return Head.EMPTY;
    }
    try (SecretBytes plaintext = seal.keyRingHolding(DataKeyRing.keyIdOf(sealed)).decrypt(sealed, HEAD_LABEL)) {
      byte[] bytes = plaintext.copyBytes();
      if (bytes.length != 8 + HASH_LENGTH) {
        throw new StorageIntegrityException("the audit head authenticated but is malformed");
      }
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      long seq = buffer.getLong();
      byte[] hash = new byte[HASH_LENGTH];
      buffer.get(hash);
      return new Head(seq, hash);
    }
  }

  private static byte[] seqBytes(long seq) {
    return ByteBuffer.allocate(8).putLong(seq).array();
  }
}
