package org.opencluster.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.opencluster.persistence.jdbc.StorageSettings;

/**
 * The three example controllers of docs/cluster/ (ctl-1.conf, ctl-2.conf, ctl-3.conf, one machine,
 * one PostgreSQL database) are valid configurations that can run side by side: each is accepted
 * as it is, no two bind the same port, they agree on the seeds and the database, and every bundle
 * they write lists all three edges.
 */
class ClusterExampleConfigsTest {

  private static final List<String> NAMES = List.of("ctl-1", "ctl-2", "ctl-3");
  /**
   * Below the file, as the reference.conf is: where the file's {@code ${?OPENCLUSTER_DB_PASSWORD}}
   * finds no variable, this is what the controller reads.
   */
  private static final Config NO_PASSWORD_VARIABLE = ConfigFactory.parseString(
      "opencluster.storage.postgresql.password = \"from-the-fallback\"");

  private static Config file(String name) {
    Config file = ConfigFactory.parseFile(Path.of("..", "docs", "cluster", name + ".conf").toFile());
    assertThat(file.isEmpty()).as("docs/cluster/%s.conf is found and not empty", name).isFalse();
    return file;
  }

  private static ControllerSettings settings(String name) {
    return ControllerSettings.create(ControllerConfig.load(file(name).withFallback(NO_PASSWORD_VARIABLE)));
  }

  @Test
  void eachExample_isAcceptedAsItIs_andNamesItsController() {
    for (String name : NAMES) {
      ControllerSettings settings = settings(name);
      assertThat(settings.name()).isEqualTo(name);
      assertThat(settings.devMode()).isFalse();
      assertThat(settings.certificateFile()).isEqualTo(Path.of(name, "cert.pem"));
      assertThat(settings.keyFile()).isEqualTo(Path.of(name, "key.pem"));
      assertThat(settings.caFile()).isEqualTo(Path.of(name, "ca.pem"));
    }
  }

  @Test
  void noTwoControllers_bindTheSamePort() {
    List<Integer> ports = new ArrayList<>();
    for (String name : NAMES) {
      ControllerSettings settings = settings(name);
      ports.addAll(List.of(settings.cluster().port(), settings.edge().port(), settings.api().port(),
          settings.health().port()));
    }
    Set<Integer> distinct = new HashSet<>(ports);
    assertThat(distinct).as("cluster, edge, api and health ports of the three: %s", ports).hasSize(ports.size());
  }

  @Test
  void everyController_listsTheSameSeeds_andEverySeedIsOneOfThem() {
    List<ControllerSettings.Endpoint> seeds = settings("ctl-1").seedNodes();
    List<ControllerSettings.Endpoint> clusterAddresses = new ArrayList<>();
    for (String name : NAMES) {
      ControllerSettings settings = settings(name);
      assertThat(settings.seedNodes()).as("%s's seeds, in the same order", name).isEqualTo(seeds);
      clusterAddresses.add(settings.cluster());
    }
    assertThat(seeds).containsExactlyElementsOf(clusterAddresses);
  }

  @Test
  void everyBundle_listsTheThreeEdges_andEachControllerAdvertisesOneOfThem() {
    List<String> edges = new ArrayList<>();
    for (String name : NAMES) {
      ControllerSettings settings = settings(name);
      edges.add(settings.edge().toString());
    }
    for (String name : NAMES) {
      ControllerSettings settings = settings(name);
      assertThat(settings.advertisedEdges(settings.edge().port())).as("%s's bundles", name)
          .containsExactlyElementsOf(edges);
      assertThat(settings.advertisedEdge(settings.edge().port())).isEqualTo(settings.edge().toString());
    }
  }

  @Test
  void theThree_shareOnePostgresqlDatabase_andNoFileHoldsItsPassword() {
    String variable = System.getenv("OPENCLUSTER_DB_PASSWORD");
    for (String name : NAMES) {
      ControllerSettings settings = settings(name);
      assertThat(settings.storage().vendor()).isEqualTo(StorageSettings.Vendor.POSTGRESQL);
      assertThat(settings.storage().jdbcUrl()).isEqualTo(settings("ctl-1").storage().jdbcUrl());
      assertThat(settings.storage().user()).isEqualTo("opencluster");
      assertThat(settings.storage().password()).as("%s's password comes from the environment", name)
          .isEqualTo(variable != null ? variable : "from-the-fallback");
      assertThat(file(name).hasPath("opencluster.storage.postgresql.password-file")).isFalse();
    }
  }
}
