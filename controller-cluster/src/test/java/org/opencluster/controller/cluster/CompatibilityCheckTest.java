package org.opencluster.controller.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.cluster.Invalid;
import org.apache.pekko.cluster.Valid;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.ControllerConfig;

/** The rule at join: each controller reads what the other writes, and the shared settings are equal. */
class CompatibilityCheckTest {

  private static final Config BUILD = ControllerConfig.load(ConfigFactory.empty());

  private static Config journal(int writes, int readsFrom, int readsTo) {
    return ConfigFactory.parseString("opencluster.compatibility.journal { writes = %d, reads-from = %d, reads-to = %d }"
        .formatted(writes, readsFrom, readsTo)).withFallback(BUILD);
  }

  @Test
  void twoControllersOfThisBuild_areCompatible() {
    assertThat(new CompatibilityCheck().check(BUILD, BUILD)).isEqualTo(Valid.getInstance());
    assertThat(new CompatibilityCheck().requiredKeys().contains("opencluster.compatibility.journal.writes")).isTrue();
  }

  @Test
  void aReleaseThatReadsTheNextSchema_mixesWithBoth_andTheOneThatWritesIt_onlyWithThatRelease() {
    Config old = journal(1, 1, 1);
    Config reading = journal(1, 1, 2);
    Config writing = journal(2, 1, 2);
    assertThat(CompatibilityCheck.problems(reading, old)).isEmpty();
    assertThat(CompatibilityCheck.problems(writing, reading)).isEmpty();
    assertThat(CompatibilityCheck.problems(reading, writing)).isEmpty();
    assertThat(CompatibilityCheck.problems(writing, old)).singleElement().asString()
        .contains("journal").contains("writes schema 2").contains("reads only 1");
    assertThat(CompatibilityCheck.problems(old, writing)).singleElement().asString()
        .contains("this controller writes schema 2, the other reads only 1");
  }

  @Test
  void aControllerThatNoLongerReadsWhatTheClusterWrites_isRefused() {
    assertThat(CompatibilityCheck.problems(journal(1, 1, 1), journal(3, 3, 3))).hasSize(2);
  }

  @Test
  void aDifferentNumberOfShards_isRefused_withTheSettingNamed() {
    Config other = ConfigFactory.parseString("pekko.cluster.sharding.number-of-shards = 100").withFallback(BUILD);
    Object result = new CompatibilityCheck().check(other, BUILD);
    assertThat(result).isInstanceOf(Invalid.class);
    assertThat(((Invalid) result).errorMessages().mkString("; ")).contains("number-of-shards differs: 100 there, 1000 here");
  }

  @Test
  void aMissingDeclaration_countsAsSchemaOne() {
    assertThat(CompatibilityCheck.problems(ConfigFactory.empty(), BUILD)).isEmpty();
    assertThat(CompatibilityCheck.problems(ConfigFactory.empty(), journal(2, 2, 2))).isNotEmpty();
  }
}
