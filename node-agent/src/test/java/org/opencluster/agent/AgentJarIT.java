package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The agent's runnable jar runs on every host: it must hold no controller code (attack surface) and
 * nothing that stores data (persistence, JDBC drivers).
 */
class AgentJarIT {

  @Test
  void theAgentJar_holdsNoControllerPersistenceOrDatabaseCode() throws Exception {
    Path jar = Path.of(System.getProperty("agent.jar", "target/opencluster-agent.jar"));
    List<String> forbidden = new ArrayList<>();
    boolean hasAgent = false;
    try (JarFile file = new JarFile(jar.toFile())) {
      for (JarEntry entry : java.util.Collections.list(file.entries())) {
        String name = entry.getName();
        hasAgent |= name.equals("org/opencluster/agent/AgentMain.class");
        if (name.startsWith("org/opencluster/controller/") || name.startsWith("org/opencluster/persistence/")
            || name.startsWith("org/opencluster/ops/") || name.startsWith("org/h2/") || name.startsWith("org/postgresql/")
            || name.startsWith("org/apache/pekko/cluster/") || name.startsWith("org/apache/pekko/persistence/")) {
          forbidden.add(name);
        }
      }
    }
    assertThat(hasAgent).as("the jar is the agent's").isTrue();
    assertThat(forbidden).as("code the agent jar must not carry").isEmpty();
  }
}
