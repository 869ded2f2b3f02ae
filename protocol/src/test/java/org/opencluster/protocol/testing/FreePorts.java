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
 * <p>A port is taken at random from below the kernel's ephemeral range. A port from that range (what
 * binding port 0 gives) can be handed to any outgoing connection between this check and the
 * server's bind, and was, in CI. Ports below the range are only taken by servers that ask for them
 * by number, and this JVM hands out each one once.
 */
public final class FreePorts {

  /** The lowest port handed out: above the well-known and most registered service ports. */
  static final int LOWEST = 20000;
  private static final int TRIES = 200;
  private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
  /** Linux's default start of the ephemeral range, when the kernel's setting cannot be read. */
  private static final int DEFAULT_EPHEMERAL_START = 32768;
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private FreePorts() {}

  /** A free port on 127.0.0.1, never handed out before by this JVM. */
  public static int loopback() {
    int below = ephemeralRangeStart();
    for (int attempt = 0; attempt < TRIES; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
      if (HANDED_OUT.add(port) && bindable(port)) {
        return port;
      }
    }
    throw new IllegalStateException(
        "no free loopback port between " + LOWEST + " and " + below + " after " + TRIES + " tries");
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

  /** The first port of the kernel's ephemeral range. */
  static int ephemeralRangeStart() {
    int start = DEFAULT_EPHEMERAL_START;
    if (Files.isReadable(EPHEMERAL_RANGE)) {
      try {
        // Not Files.readString: procfs reports a size of 0 and that read stops after one byte.
        start = Integer.parseInt(Files.readAllLines(EPHEMERAL_RANGE).get(0).trim().split("\\s+")[0]);
      } catch (IOException | RuntimeException e) {
        throw new IllegalStateException("cannot read the ephemeral port range from " + EPHEMERAL_RANGE, e);
      }
    }
    if (start <= LOWEST + 1000) {
      throw new IllegalStateException("the ephemeral port range starts at " + start
          + ", too low to choose test ports below it: tests need it above " + (LOWEST + 1000));
    }
    return start;
  }
}
