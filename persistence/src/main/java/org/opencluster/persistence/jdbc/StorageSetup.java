package org.opencluster.persistence.jdbc;

import org.apache.pekko.actor.setup.Setup;
import org.opencluster.persistence.keys.Seal;

/**
 * Hands the opened {@link Storage} and the {@link Seal} to an actor system: the journal plugins
 * take their connections from it ({@link SharedDatabaseProvider}) and the encrypting serializer
 * its keys. Add it to the system's {@code ActorSystemSetup}.
 */
public final class StorageSetup extends Setup {

  private final Storage storage;
  private final Seal seal;

  public StorageSetup(Storage storage, Seal seal) {
    this.storage = storage;
    this.seal = seal;
  }

  public Storage storage() {
    return storage;
  }

  public Seal seal() {
    return seal;
  }
}
