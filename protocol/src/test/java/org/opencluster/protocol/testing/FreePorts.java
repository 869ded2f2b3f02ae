package org.opencluster.protocol.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports that nothing listens on, for servers a test starts next.
 *
 * <p>A port is taken at random from outside the kernel's ephemeral range (below it, or above it if
 * it starts too low). A port from that range (what binding port 0 gives) can be handed to any
 * outgoing connection between this check and the server's bind, and was, in CI. Ports outside the
 * range are only taken by servers that ask for them by number. This JVM hands out each one once;
 * two JVMs choosing at the same moment could pick the same one (Maven runs one test JVM at a time
 * here).
 */
public final class FreePorts {

  /** The lowest port handed out: above the well-known and most registered service ports. */
  static final int LOWEST = 20000;
  private static final int TRIES = 200;
  private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
  /** Linux's default ephemeral range, when the kernel's setting cannot be read. */
  private static final int DEFAULT_EPHEMERAL_START = 32768;
  private static final int DEFAULT_EPHEMERAL_END = 60999;
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private FreePorts() {}

  /** A free port on 127.0.0.1, never handed out before by this JVM (another JVM may pick it too). */
  public static int loopback() {
    int[] range = ephemeralRange();
    // Below the range if there is room (the usual case), else above it.
    int from = range[0] > LOWEST + 1000 ? LOWEST : range[1] + 1;
    int to = range[0] > LOWEST + 1000 ? range[0] : 65536;
    if (to - from < 1000) {
      throw new IllegalStateException("the ephemeral port range " + range[0] + "-" + range[1]
          + " leaves too few ports outside it to choose test ports from");
    }
    for (int attempt = 0; attempt < TRIES; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(from, to);
      if (HANDED_OUT.add(port) && bindable(port)) {
        return port;
      }
    }
    throw new IllegalStateException(
        "no free loopback port between " + from + " and " + to + " after " + TRIES + " tries");
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (BindException taken) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("could not try port " + port + " on loopback", e);
    }
  }

  /** The kernel's ephemeral range, first and last port; Linux's default when it cannot be read. */
  static int[] ephemeralRange() {
    if (!Files.isReadable(EPHEMERAL_RANGE)) {
      return new int[] {DEFAULT_EPHEMERAL_START, DEFAULT_EPHEMERAL_END};
    }
    try {
      // Not Files.readString: procfs reports a size of 0 and that read stops after one byte.
      String[] bounds = Files.readAllLines(EPHEMERAL_RANGE).get(0).trim().split("\\s+");
      return new int[] {Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1])};
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read the ephemeral port range from " + EPHEMERAL_RANGE, e);
    }
  }
}
