package org.opencluster.bench.crypto;

import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.util.Random;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SealedBox;
import org.opencluster.protocol.crypto.SealedBoxException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Sealing a secure file to an agent's session key, and opening it on the agent. */
@State(Scope.Thread)
public class SealedBoxBenchmark {

  private static final String CONTEXT = "opencluster/secure-file/v1";
  private static final byte[] AAD = "node-1|app.conf|1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  @Param({"1024", "65536"})
  public int size;

  private KeyPair recipient;
  private SecretBytes plaintext;
  private byte[] box;

  @Setup
  public void setUp() throws InvalidKeyException {
    recipient = EcKeys.generate();
    byte[] content = new byte[size];
    new Random(1).nextBytes(content);
    plaintext = SecretBytes.adopt(content);
    box = SealedBox.seal((ECPublicKey) recipient.getPublic(), CONTEXT, plaintext, AAD);
  }

  @TearDown
  public void tearDown() {
    plaintext.close();
  }

  @Benchmark
  public byte[] seal() throws InvalidKeyException {
    return SealedBox.seal((ECPublicKey) recipient.getPublic(), CONTEXT, plaintext, AAD);
  }

  @Benchmark
  public int open() throws SealedBoxException {
    try (SecretBytes opened = SealedBox.open(recipient, CONTEXT, box, AAD)) {
      return opened.length();
    }
  }
}
