package org.opencluster.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's runnable jar runs on every host: it must hold no controller code (attack surface) and
 * nothing that stores data (persistence, JDBC drivers). Started wrongly, it says what to fix.
 */
class AgentJarIT {

  private static final Path JAR = Path.of(System.getProperty("agent.jar", "target/opencluster-agent.jar"));

  @TempDir
  Path tmp;

  @Test
  void theAgentJar_holdsNoControllerPersistenceOrDatabaseCode() throws Exception {
    Path jar = JAR;
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

  @Test
  void withoutABundle_itIsAUsageError_andNamesBothWaysToGiveOne() throws Exception {
    Result result = run(List.of());
    assertThat(result.code()).isEqualTo(2);
    assertThat(result.output()).contains("--bundle DIR").contains("opencluster.agent.bundle");
  }

  @Test
  void aConfigurationNamingAMissingBundle_stopsIt_beforeAnythingStarts() throws Exception {
    Path config = Files.writeString(tmp.resolve("agent.conf"),
        "opencluster.agent.bundle = \"" + tmp.resolve("nowhere") + "\"\n");
    Result result = run(List.of("--config", config.toString()));
    assertThat(result.code()).isEqualTo(1);
    assertThat(result.output()).contains("no bundle at " + tmp.resolve("nowhere"));
  }

  private record Result(int code, String output) {}

  private Result run(List<String> arguments) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", JAR.toString()));
    command.addAll(arguments);
    Path output = tmp.resolve("output.txt");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the agent exits by itself").isTrue();
    return new Result(process.exitValue(), Files.readString(output));
  }
}
