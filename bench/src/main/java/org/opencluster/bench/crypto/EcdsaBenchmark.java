package org.opencluster.bench.crypto;

import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.SignatureException;
import java.util.Random;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.EcdsaSigner;
import org.opencluster.protocol.crypto.EcdsaVerifier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** ECDSA P-256 over a Hello-sized message: one sign per agent start, one verify per enrolment. */
@State(Scope.Thread)
public class EcdsaBenchmark {

  private static final String CONTEXT = "opencluster/hello/v1";

  private EcdsaSigner signer;
  private EcdsaVerifier verifier;
  private final byte[] hello = new byte[160];
  private byte[] signature;

  @Setup
  public void setUp() throws InvalidKeyException {
    KeyPair keys = EcKeys.generate();
    signer = EcdsaSigner.create(keys.getPrivate());
    verifier = EcdsaVerifier.create(keys.getPublic());
    new Random(1).nextBytes(hello);
    signature = signer.sign(CONTEXT, hello);
  }

  @Benchmark
  public byte[] sign() {
    return signer.sign(CONTEXT, hello);
  }

  @Benchmark
  public void verify() throws SignatureException {
    verifier.verify(CONTEXT, hello, signature);
  }
}
