package org.opencluster.bench.crypto;

import java.util.Random;
import org.opencluster.protocol.crypto.FrameMac;
import org.opencluster.protocol.crypto.FrameMacException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** The MAC on every frame: a heartbeat is about 64 bytes, an info set update a few KiB. */
@State(Scope.Thread)
public class FrameMacBenchmark {

  @Param({"64", "4096"})
  public int size;

  private FrameMac frameMac;
  private final byte[] sessionId = new byte[16];
  private byte[] payload;
  private byte[] mac;
  private long sequence;

  @Setup
  public void setUp() {
    try (SecretBytes key = SecretBytes.random(FrameMac.KEY_LENGTH)) {
      frameMac = FrameMac.create(key);
    }
    payload = new byte[size];
    new Random(1).nextBytes(payload);
    mac = frameMac.compute(FrameMac.Direction.AGENT_TO_CONTROLLER, "node-000001", sessionId, 42, payload);
  }

  @TearDown
  public void tearDown() {
    frameMac.close();
  }

  @Benchmark
  public byte[] compute() {
    return frameMac.compute(FrameMac.Direction.AGENT_TO_CONTROLLER, "node-000001", sessionId, ++sequence, payload);
  }

  @Benchmark
  public void verify() throws FrameMacException {
    frameMac.verify(FrameMac.Direction.AGENT_TO_CONTROLLER, "node-000001", sessionId, 42, payload, mac);
  }
}
