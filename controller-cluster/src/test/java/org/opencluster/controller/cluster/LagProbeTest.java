package org.opencluster.controller.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The congestion probe's arithmetic: a run late by the threshold or more is congestion, less is not. */
class LagProbeTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void runsOnTime_orLateByLessThanTheThreshold_areNotCongestion() {
    ClusterChangeWatch.LagProbe probe = new ClusterChangeWatch.LagProbe(Duration.ofSeconds(1), Duration.ofSeconds(3));
    assertThat(probe.ranAt(100 * SECOND)).as("the first run has nothing to compare with").isNull();
    assertThat(probe.ranAt(101 * SECOND)).isNull();
    assertThat(probe.ranAt(102 * SECOND + SECOND / 2)).as("half a second late").isNull();
    assertThat(probe.ranAt(106 * SECOND + SECOND / 2 - 1)).as("a nanosecond short of 3 s late").isNull();
  }

  @Test
  void aRunLateByTheThresholdOrMore_isCongestion_measuredFromThePreviousRun() {
    ClusterChangeWatch.LagProbe probe = new ClusterChangeWatch.LagProbe(Duration.ofSeconds(1), Duration.ofSeconds(3));
    probe.ranAt(0);
    assertThat(probe.ranAt(4 * SECOND)).isEqualTo(Duration.ofSeconds(3));
    assertThat(probe.ranAt(5 * SECOND)).as("on time again").isNull();
    assertThat(probe.ranAt(16 * SECOND)).isEqualTo(Duration.ofSeconds(10));
  }
}
