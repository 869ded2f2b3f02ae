package org.opencluster.protocol.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortsTest {

  @Test
  void portsComeFromOutsideTheEphemeralRangeAndAreNeverHandedOutTwice() {
    int[] range = FreePorts.ephemeralRange();
    Set<Integer> ports = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      int port = FreePorts.loopback();
      assertThat(port < range[0] || port > range[1]).as("port %d outside %d-%d", port, range[0], range[1]).isTrue();
      assertThat(port).isGreaterThanOrEqualTo(FreePorts.LOWEST);
      assertThat(ports.add(port)).as("port %d handed out twice", port).isTrue();
    }
  }

  @Test
  void aHandedOutPortCanBeBound() throws Exception {
    int port = FreePorts.loopback();
    try (ServerSocket server = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      assertThat(server.getLocalPort()).isEqualTo(port);
    }
  }
}
