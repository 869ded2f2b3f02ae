package org.opencluster.controller.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.testing.MovableClock;

/** The controller's budget of InfoSets per second. */
class SetBudgetTest {

  private static final Instant START = Instant.parse("2026-11-23T03:00:00Z");

  @Test
  void aBudget_givesAtMostOneSecondsWorthAtOnce() {
    SetBudget budget = new SetBudget(3, 3, Duration.ZERO, NodeEnvironment.ClusterChanges.NONE,
        Clock.fixed(START, ZoneOffset.UTC));
    assertThat(taken(budget, 10)).as("spent after three: the fourth waits for the refill").isEqualTo(3);
  }

  @Test
  void aSpentBudget_refillsWithTime_uptoOneSecondsWorth() {
    MovableClock clock = new MovableClock(START);
    SetBudget budget = new SetBudget(4, 4, Duration.ZERO, NodeEnvironment.ClusterChanges.NONE, clock);
    assertThat(taken(budget, 10)).isEqualTo(4);
    clock.advance(Duration.ofMillis(500));
    assertThat(taken(budget, 10)).as("half a second: two").isEqualTo(2);
    clock.advance(Duration.ofMinutes(1));
    assertThat(taken(budget, 10)).as("never more than one second's worth").isEqualTo(4);
  }

  @Test
  void afterAClusterChange_theSmallerBudgetHolds_untilTheWindowEnds() {
    MovableClock clock = new MovableClock(START);
    AtomicReference<Instant> lastChange = new AtomicReference<>();
    SetBudget budget = new SetBudget(8, 2, Duration.ofSeconds(60), () -> Optional.ofNullable(lastChange.get()), clock);
    assertThat(taken(budget, 20)).as("no change yet: the full budget").isEqualTo(8);

    lastChange.set(clock.instant());
    clock.advance(Duration.ofSeconds(1));
    assertThat(taken(budget, 20)).as("a controller left a second ago").isEqualTo(2);
    clock.advance(Duration.ofSeconds(58));
    assertThat(taken(budget, 20)).as("59 s after the change: still the smaller budget").isEqualTo(2);

    clock.advance(Duration.ofSeconds(2));
    assertThat(taken(budget, 20)).as("61 s after: the full budget again").isEqualTo(8);
  }

  @Test
  void aClockSteppedBack_refillsNothing() {
    MovableClock clock = new MovableClock(START);
    SetBudget budget = new SetBudget(4, 4, Duration.ZERO, NodeEnvironment.ClusterChanges.NONE, clock);
    assertThat(taken(budget, 10)).isEqualTo(4);
    clock.advance(Duration.ofHours(-1));
    assertThat(taken(budget, 10)).isZero();
  }

  @Test
  void noLimit_neverRefuses_andBadSettingsAreRefused() {
    for (int i = 0; i < 10_000; i++) {
      assertThat(SetBudget.UNLIMITED.tryTake()).isTrue();
    }
    Clock clock = Clock.systemUTC();
    assertThatThrownBy(() -> new SetBudget(-1)).hasMessageContaining("max-sets-per-second");
    assertThatThrownBy(() -> new SetBudget(10, 0, Duration.ofSeconds(60), NodeEnvironment.ClusterChanges.NONE, clock))
        .hasMessageContaining("max-sets-per-second-after-cluster-change").hasMessageContaining("from 1 to");
    assertThatThrownBy(() -> new SetBudget(10, 11, Duration.ofSeconds(60), NodeEnvironment.ClusterChanges.NONE, clock))
        .hasMessageContaining("max-sets-per-second-after-cluster-change");
    assertThatThrownBy(() -> new SetBudget(10, 5, Duration.ofSeconds(-1), NodeEnvironment.ClusterChanges.NONE, clock))
        .hasMessageContaining("slower-after-cluster-change");
  }

  private static int taken(SetBudget budget, int tries) {
    int taken = 0;
    for (int i = 0; i < tries; i++) {
      if (budget.tryTake()) {
        taken++;
      }
    }
    return taken;
  }
}
