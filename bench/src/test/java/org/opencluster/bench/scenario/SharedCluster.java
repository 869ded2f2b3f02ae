package org.opencluster.bench.scenario;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One {@link ScenarioCluster} (3 controllers, 1,000 simulated nodes) for every scenario test of
 * the run: set-up takes about two minutes on two cores, so the scenarios share it and each leaves
 * it whole (three members up) for the next, in whichever order they run. Closed at the end of the
 * run. A scenario that fails may leave it broken: the next then fails at its first step, and the
 * first failure is the one to read. When this JVM runs in a hub ({@code bench/netns/bin/java},
 * bench/pom.xml), each controller is in a network namespace of its own, and {@link NetworkCutIT}
 * can cut one off.
 */
final class SharedCluster implements ParameterResolver {

  static final int AGENTS = 1_000;

  private record Resource(ScenarioCluster cluster) implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() throws Exception {
      cluster.close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == ScenarioCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getRoot().getStore(ExtensionContext.Namespace.create(SharedCluster.class))
        .getOrComputeIfAbsent(Resource.class, key -> start(), Resource.class).cluster();
  }

  private static Resource start() {
    try {
      Path directory = Files.createTempDirectory("opencluster-scenarios");
      return new Resource(ScenarioCluster.start(ScenarioCluster.Settings.of(AGENTS, directory)));
    } catch (Exception e) {
      throw new IllegalStateException("the scenario cluster did not start", e);
    }
  }
}
