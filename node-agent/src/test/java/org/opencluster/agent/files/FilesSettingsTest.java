package org.opencluster.agent.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FilesSettingsTest {

  @Test
  void theDefaults_requireLockedMemory_andGiveReloadsThirtySeconds() {
    FilesSettings settings = FilesSettings.create(ConfigFactory.defaultReference());
    assertThat(settings.requireLockedMemory()).isTrue();
    assertThat(settings.reloadTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void theSettings_areReadFromOpenclusterAgentFiles() {
    FilesSettings settings = FilesSettings.create(ConfigFactory.parseString(
        "opencluster.agent.files { require-locked-memory = off, reload-timeout = 2s }")
        .withFallback(ConfigFactory.defaultReference()));
    assertThat(settings.requireLockedMemory()).isFalse();
    assertThat(settings.reloadTimeout()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void aReloadTimeoutOfZero_isRefused_namingTheSetting() {
    assertThatThrownBy(() -> FilesSettings.create(ConfigFactory.parseString(
        "opencluster.agent.files.reload-timeout = 0s").withFallback(ConfigFactory.defaultReference())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("opencluster.agent.files.reload-timeout");
  }
}
