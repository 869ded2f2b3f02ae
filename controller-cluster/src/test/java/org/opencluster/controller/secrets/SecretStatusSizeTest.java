package org.opencluster.controller.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.secrets.SecretEntity.Distribution;
import org.opencluster.controller.secrets.SecretEntity.DistributionSummary;
import org.opencluster.controller.secrets.SecretEntity.SecretStatus;

/**
 * A secret's status crosses the cluster link when its entity runs on another controller than the
 * one asked: at 10,000 consumers it must still fit Artery's frame (256 KiB), and it says what the
 * API shows (counts and the first consumers behind).
 */
class SecretStatusSizeTest {

  private static final int ARTERY_FRAME = 256 * 1024;
  private static final Instant AT = Instant.parse("2026-11-23T03:30:00Z");

  @Test
  void aStatusOfTenThousandConsumers_fitsAClusterMessage_andSaysWhatTheApiShows() throws Exception {
    Distribution distribution = distribution(10_000, 9_000);
    SecretStatus status = status(Optional.of(DistributionSummary.of(distribution)));
    SecretCodec codec = new SecretCodec(null);

    byte[] bytes = codec.toBinary(status);

    assertThat(bytes.length).isLessThan(ARTERY_FRAME / 8);
    DistributionSummary read = ((SecretStatus) codec.fromBinary(bytes, SecretCodec.manifest(status).orElseThrow()))
        .distribution().orElseThrow();
    assertThat(read.expected()).isEqualTo(10_000);
    assertThat(read.acknowledged()).isEqualTo(9_000);
    assertThat(read.behindCount()).isEqualTo(1_000);
    assertThat(read.behind()).hasSize(DistributionSummary.BEHIND_SHOWN).startsWith("node-09000", "node-09001");
  }

  @Test
  void theWholeDistributionOfAnOlderController_isReadAsItsSummary() throws Exception {
    Distribution distribution = distribution(300, 250);
    var older = org.opencluster.controller.proto.v1.SecretStatus.newBuilder().setName("db/password")
        .setDistribution(org.opencluster.controller.proto.v1.SecretDistribution.newBuilder().setVersion(2)
            .addAllExpected(distribution.expected()).putAllAcknowledgedUnixMillis(millis(distribution.acknowledged())))
        .build();

    SecretStatus read = (SecretStatus) new SecretCodec(null).fromBinary(older.toByteArray(), "secret-status");

    DistributionSummary summary = read.distribution().orElseThrow();
    assertThat(summary.version()).isEqualTo(2);
    assertThat(summary.expected()).isEqualTo(300);
    assertThat(summary.acknowledged()).isEqualTo(250);
    assertThat(summary.behindCount()).isEqualTo(50);
    assertThat(summary.behind()).hasSize(50).first().isEqualTo("node-00250");
  }

  /** {@code expected} consumers node-00000..., the first {@code acknowledged} of which acknowledged. */
  private static Distribution distribution(int expected, int acknowledged) {
    Set<String> nodes = new HashSet<>();
    Map<String, Instant> acked = new HashMap<>();
    for (int i = 0; i < expected; i++) {
      String node = String.format("node-%05d", i);
      nodes.add(node);
      if (i < acknowledged) {
        acked.put(node, AT);
      }
    }
    return new Distribution(2, nodes, acked);
  }

  private static Map<String, Long> millis(Map<String, Instant> at) {
    Map<String, Long> millis = new HashMap<>();
    at.forEach((node, instant) -> millis.put(node, instant.toEpochMilli()));
    return millis;
  }

  private static SecretStatus status(Optional<DistributionSummary> distribution) {
    return new SecretStatus("db/password", Optional.empty(), List.of(), Optional.empty(), distribution, Optional.empty(),
        Optional.empty(), List.of(), Optional.empty(), "pekko://opencluster@127.0.0.1:25520", 0);
  }
}
