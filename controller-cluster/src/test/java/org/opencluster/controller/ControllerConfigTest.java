package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

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
    assertThat(config.getString("pekko.cluster.sharding.journal-plugin-id")).isEqualTo("opencluster.persistence.sharding-journal");
    assertThat(config.getString("pekko.persistence.journal.plugin")).isEqualTo("jdbc-journal");
    assertThat(config.getString("pekko-persistence-jdbc.database-provider-fqcn")).endsWith("SharedDatabaseProvider");
    assertThat(config.getBoolean("pekko.http.server.parsing.ssl-session-attribute")).isTrue();
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
  void aControllerAlone_isItsOwnSeed() {
    ControllerSettings settings = ControllerSettings.create(ControllerConfig.load(MINIMAL));
    assertThat(settings.seedNodes()).containsExactly(settings.cluster());
    assertThat(settings.pekkoConfig(ControllerConfig.load(MINIMAL)).getStringList("pekko.cluster.seed-nodes"))
        .containsExactly("pekko://opencluster@127.0.0.1:25520");
    assertThat(settings.pekkoConfig(ControllerConfig.load(MINIMAL)).getString("pekko.cluster.app-version"))
        .isEqualTo(BuildInfo.version());
  }
}
