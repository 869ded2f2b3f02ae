package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller's configuration layers: the Pekko defaults it changes must win over every
 * reference.conf (in the runnable jar those are concatenated, and Pekko's come last), and a
 * deployment's file must win over them.
 */
class ControllerConfigTest {

  private static final Config MINIMAL = ConfigFactory.parseString("""
      opencluster.controller {
        name = "ctl-1"
        tls { certificate = "/c.pem", key = "/k.pem", ca = "/ca.pem" }
      }
      """);

  @Test
  void pekkoDefaultsTheControllerChanges_winOverTheReferences() {
    Config config = ControllerConfig.load(MINIMAL);
    assertThat(config.getString("pekko.actor.provider")).isEqualTo("cluster");
    assertThat(config.getString("pekko.remote.artery.transport")).isEqualTo("tls-tcp");
    assertThat(config.getBoolean("pekko.actor.allow-java-serialization")).isFalse();
    assertThat(config.getString("pekko.cluster.downing-provider-class")).endsWith("SplitBrainResolverProvider");
    assertThat(config.getString("pekko.cluster.split-brain-resolver.active-strategy")).isEqualTo("keep-majority");
    assertThat(config.getBoolean("pekko.cluster.sharding.remember-entities")).isTrue();
    assertThat(config.getString("pekko.cluster.sharding.remember-entities-store")).isEqualTo("eventsourced");
    assertThat(config.getDuration("pekko.cluster.sharding.waiting-for-state-timeout")).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.getDuration("pekko.cluster.sharding.updating-state-timeout")).isEqualTo(Duration.ofSeconds(15));
    assertThat(config.getString("pekko.cluster.sharding.journal-plugin-id")).isEqualTo("opencluster.persistence.sharding-journal");
    assertThat(config.getString("pekko.persistence.journal.plugin")).isEqualTo("jdbc-journal");
    assertThat(config.getString("pekko-persistence-jdbc.database-provider-fqcn")).endsWith("SharedDatabaseProvider");
    assertThat(config.getBoolean("pekko.http.server.parsing.ssl-session-attribute")).isTrue();
    assertThat(config.getDuration("pekko.http.server.request-timeout")).isEqualTo(Duration.ofSeconds(25));
    assertThat(config.getString("opencluster.persistence.sharding-journal.event-adapters.shard-id")).endsWith("ShardIdEventAdapter");
  }

  @Test
  void everyControllerMessage_isBoundToProtobufOrEncryption() {
    Config bindings = ControllerConfig.load(MINIMAL).getConfig("pekko.actor.serialization-bindings");
    assertThat(bindings.getString("\"org.opencluster.controller.node.NodeEntity$Command\"")).isEqualTo("opencluster-controller");
    assertThat(bindings.getString("\"org.opencluster.controller.node.NodeEntity$Event\"")).isEqualTo("opencluster-encrypted");
    assertThat(bindings.getString("\"org.opencluster.controller.node.NodeEntity$State\"")).isEqualTo("opencluster-encrypted");
  }

  @Test
  void theDeploymentsFile_winsOverTheLayers() {
    Config config = ControllerConfig.load(MINIMAL.withFallback(ConfigFactory.parseString(
        "pekko.coordinated-shutdown.exit-jvm = off")));
    assertThat(config.getBoolean("pekko.coordinated-shutdown.exit-jvm")).isFalse();
    assertThat(ControllerConfig.load(MINIMAL).getBoolean("pekko.coordinated-shutdown.exit-jvm")).isTrue();
    assertThat(ControllerConfig.load(MINIMAL).getInt("pekko.coordinated-shutdown.reason-overrides.\""
        + "org.apache.pekko.actor.CoordinatedShutdown$IncompatibleConfigurationDetectedReason$\".exit-code"))
        .as("a controller refused at join exits 3 (Pekko's System.exit after Coordinated Shutdown)").isEqualTo(3);
    assertThat(ControllerConfig.load(MINIMAL).getString("pekko.cluster.configuration-compatibility-check.checkers.opencluster"))
        .isEqualTo(org.opencluster.controller.cluster.CompatibilityCheck.class.getName());
  }

  @Test
  void settings_nameWhatIsMissing() {
    assertThatThrownBy(() -> ControllerSettings.create(ControllerConfig.load(ConfigFactory.empty())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("opencluster.controller.name");
    assertThatThrownBy(() -> ControllerSettings.create(ControllerConfig.load(ConfigFactory.parseString(
            "opencluster.controller.name = ctl-1"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("opencluster.controller.tls.certificate");
    assertThatThrownBy(() -> ControllerSettings.create(ControllerConfig.load(MINIMAL.withFallback(ConfigFactory.parseString(
            "opencluster.controller.cluster.seed-nodes = [\"nohostport\"]")))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
  }

  @Test
  void theCommentedExample_inDocs_isAValidConfiguration(@TempDir Path tmp) throws Exception {
    Path password = Files.writeString(tmp.resolve("db-password"), "example");
    Config example = ConfigFactory.parseFile(Path.of("..", "docs", "controller.example.conf").toFile());
    assertThat(example.isEmpty()).as("docs/controller.example.conf is found and not empty").isFalse();
    ControllerSettings settings = ControllerSettings.create(ControllerConfig.load(ConfigFactory.parseString(
        "opencluster.storage.postgresql.password-file = \"" + password + "\"").withFallback(example)));
    assertThat(settings.name()).isEqualTo("ctl-1");
    assertThat(settings.devMode()).isFalse();
    assertThat(settings.seedNodes()).hasSize(3);
    assertThat(settings.seal().giveKeyTo()).isEqualTo(org.opencluster.controller.seal.KeyCustodian.Policy.APPROVED);
    assertThat(settings.storage().vendor()).isEqualTo(org.opencluster.persistence.jdbc.StorageSettings.Vendor.POSTGRESQL);
    assertThat(settings.nodes().heartbeatDeadline()).isEqualTo(java.time.Duration.ofSeconds(20));
  }

  @Test
  void sealSettings_refuseWhatTheyCannotMean() {
    assertThatThrownBy(() -> ControllerSettings.create(ControllerConfig.load(MINIMAL.withFallback(ConfigFactory.parseString(
            "opencluster.controller.seal.give-key-to = everyone")))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("approved, any-controller or none");
    assertThatThrownBy(() -> ControllerSettings.create(ControllerConfig.load(MINIMAL.withFallback(ConfigFactory.parseString(
            "opencluster.controller.seal.key-request-max-skew = 0s")))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
    ControllerSettings defaults = ControllerSettings.create(ControllerConfig.load(MINIMAL));
    assertThat(defaults.devMode()).isFalse();
    assertThat(defaults.seal().giveKeyTo()).isEqualTo(org.opencluster.controller.seal.KeyCustodian.Policy.APPROVED);
  }

  @Test
  void theSetBudgetAfterAClusterChange_isAtLeastOne_andNeverAboveTheBudget() {
    assertThatThrownBy(() -> ControllerSettings.create(ControllerConfig.load(MINIMAL.withFallback(ConfigFactory.parseString(
            "opencluster.controller.files.max-sets-per-second-after-cluster-change = 0")))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max-sets-per-second-after-cluster-change must be 1 or more; got 0");
    ControllerSettings lowered = ControllerSettings.create(ControllerConfig.load(MINIMAL.withFallback(
        ConfigFactory.parseString("opencluster.controller.files.max-sets-per-second = 20"))));
    assertThat(lowered.files().maxSetsPerSecondAfterClusterChange())
        .as("a deployment that lowered the budget below the default 50 still starts, with its own").isEqualTo(20);
    ControllerSettings defaults = ControllerSettings.create(ControllerConfig.load(MINIMAL));
    assertThat(defaults.files().maxSetsPerSecondAfterClusterChange()).isEqualTo(50);
    assertThat(defaults.files().slowerAfterClusterChange()).isEqualTo(java.time.Duration.ofSeconds(60));
    ControllerSettings unlimited = ControllerSettings.create(ControllerConfig.load(MINIMAL.withFallback(
        ConfigFactory.parseString("opencluster.controller.files.max-sets-per-second = 0"))));
    assertThat(unlimited.files().maxSetsPerSecond()).as("no limit: the other setting does not count").isZero();
    assertThat(unlimited.files().maxSetsPerSecondAfterClusterChange()).isEqualTo(50);
  }

  @Test
  void anEdgeKnownByAnAddressNotInTheBundlesList_isRefused_whileOneListedThere_isAccepted() {
    String listed = "opencluster.controller.edge { port = 25530, addresses = [\"10.0.0.1:25530\", \"10.0.0.2:25530\"] }";
    assertThatThrownBy(() -> ControllerSettings.create(ControllerConfig.load(MINIMAL.withFallback(
            ConfigFactory.parseString(listed)))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("edge.advertise")
        .hasMessageContaining("127.0.0.1:25530");
    ControllerSettings advertised = ControllerSettings.create(ControllerConfig.load(MINIMAL.withFallback(
        ConfigFactory.parseString(listed + "\nopencluster.controller.edge.advertise = \"10.0.0.2:25530\""))));
    assertThat(advertised.advertisedEdge(25530)).isEqualTo("10.0.0.2:25530");
  }

  @Test
  void aControllerAlone_isItsOwnSeed_andFormsTheClusterItself() {
    ControllerSettings settings = ControllerSettings.create(ControllerConfig.load(MINIMAL));
    assertThat(settings.seedNodes()).containsExactly(settings.cluster());
    assertThat(settings.firstSeed()).isTrue();
    assertThat(settings.onlySeed()).isTrue();
    assertThat(settings.pekkoConfig(ControllerConfig.load(MINIMAL)).getStringList("pekko.cluster.seed-nodes"))
        .as("never itself: ClusterFormation joins it").isEmpty();
    assertThat(settings.pekkoConfig(ControllerConfig.load(MINIMAL)).getString("pekko.cluster.app-version"))
        .isEqualTo(BuildInfo.version());
  }

  @Test
  void pekkosSeedNodes_neverListThisController_soPekkoNeverFormsAClusterOnItsOwn() {
    String seeds = "opencluster.controller.cluster.seed-nodes = [\"127.0.0.1:25520\", \"127.0.0.1:25521\", "
        + "\"127.0.0.1:25522\"]";
    Config first = ControllerConfig.load(MINIMAL.withFallback(ConfigFactory.parseString(seeds)));
    ControllerSettings firstSettings = ControllerSettings.create(first);
    assertThat(firstSettings.firstSeed()).isTrue();
    assertThat(firstSettings.onlySeed()).isFalse();
    assertThat(firstSettings.pekkoConfig(first).getStringList("pekko.cluster.seed-nodes"))
        .containsExactly("pekko://opencluster@127.0.0.1:25521", "pekko://opencluster@127.0.0.1:25522");
    Config second = ControllerConfig.load(MINIMAL.withFallback(ConfigFactory.parseString(
        seeds + "\nopencluster.controller.cluster.port = 25521")));
    ControllerSettings secondSettings = ControllerSettings.create(second);
    assertThat(secondSettings.firstSeed()).as("only the first seed may form the cluster").isFalse();
    assertThat(secondSettings.pekkoConfig(second).getStringList("pekko.cluster.seed-nodes"))
        .containsExactly("pekko://opencluster@127.0.0.1:25520", "pekko://opencluster@127.0.0.1:25522");
    assertThat(firstSettings.formation().presenceInterval()).isEqualTo(java.time.Duration.ofSeconds(5));
    assertThat(firstSettings.formation().presenceTimeout()).isEqualTo(java.time.Duration.ofSeconds(60));
  }

  @Test
  void aPresenceTimeoutShorterThanThreeIntervals_isRefused() {
    assertThatThrownBy(() -> ControllerSettings.create(ControllerConfig.load(MINIMAL.withFallback(ConfigFactory.parseString(
            "opencluster.controller.cluster { presence-interval = 5s, presence-timeout = 14s }")))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("presence-timeout must be at least three presence-intervals (PT15S); got PT14S");
    assertThatThrownBy(() -> ControllerSettings.create(ControllerConfig.load(MINIMAL.withFallback(ConfigFactory.parseString(
            "opencluster.controller.cluster.presence-interval = 0s")))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("presence-interval must be positive");
  }

  @Test
  void theCongestionLag_isThreeSecondsByDefault_zeroTurnsItOff_andBelowASecondIsRefused() {
    assertThat(ControllerSettings.create(ControllerConfig.load(MINIMAL)).congestionLag())
        .isEqualTo(java.time.Duration.ofSeconds(3));
    assertThat(ControllerSettings.create(ControllerConfig.load(MINIMAL.withFallback(ConfigFactory.parseString(
        "opencluster.controller.cluster.congestion-lag = 0s")))).congestionLag()).isZero();
    assertThatThrownBy(() -> ControllerSettings.create(ControllerConfig.load(MINIMAL.withFallback(ConfigFactory.parseString(
            "opencluster.controller.cluster.congestion-lag = -1s")))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cluster.congestion-lag must be 0s (off) or at least 1s; got PT-1S");
    assertThatThrownBy(() -> ControllerSettings.create(ControllerConfig.load(MINIMAL.withFallback(ConfigFactory.parseString(
            "opencluster.controller.cluster.congestion-lag = 50ms")))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got PT0.05S");
  }
}
