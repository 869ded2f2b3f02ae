package org.opencluster.controller.node;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.opencluster.controller.ControllerConfig;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.jdbc.StorageSetup;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.persistence.testing.TestSeals;

/**
 * A local actor system for testing one node entity with the persistence test kit: the
 * controller's configuration (serialization checks on, through the encrypting serializer) over
 * a fresh, unsealed H2 store.
 */
public final class EntityTestSystem implements AutoCloseable {

  private final Storage storage = Storage.open(TestDatabases.freshH2());
  private final ActorSystem<Void> system;
  private final ActorTestKit kit;

  public EntityTestSystem(String name) {
    system = ActorSystem.create(Behaviors.empty(), name, ActorSystemSetup.create(
        BootstrapSetup.create(ControllerConfig.load(EventSourcedBehaviorTestKit.config()
            .withFallback(ConfigFactory.parseString("""
                pekko.actor.provider = local
                pekko.coordinated-shutdown.exit-jvm = off
                """)))),
        new StorageSetup(storage, TestSeals.unsealed(storage))));
    kit = ActorTestKit.create(system);
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public ActorTestKit kit() {
    return kit;
  }

  @Override
  public void close() {
    kit.shutdownTestKit();
    storage.close();
  }
}
