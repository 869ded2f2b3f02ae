package org.opencluster.controller.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The controller's budget of InfoSets per second. */
class SetBudgetTest {

  @Test
  void aBudget_givesAtMostOneSecondsWorthAtOnce() {
    SetBudget budget = new SetBudget(3);
    assertThat(budget.tryTake()).isTrue();
    assertThat(budget.tryTake()).isTrue();
    assertThat(budget.tryTake()).isTrue();
    assertThat(budget.tryTake()).as("spent: the fourth waits for the refill").isFalse();
  }

  @Test
  void noLimit_neverRefuses_andANegativeRateIsRefused() {
    for (int i = 0; i < 10_000; i++) {
      assertThat(SetBudget.UNLIMITED.tryTake()).isTrue();
    }
    assertThatThrownBy(() -> new SetBudget(-1)).hasMessageContaining("max-sets-per-second");
  }
}
