package org.opencluster.controller.files;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.opencluster.controller.files.FileCatalog.Catalog;
import org.opencluster.controller.files.FileCatalog.CatalogReply;

/**
 * This controller's copy of the {@link FileCatalog}, for its node entities to read without asking
 * anyone on the heartbeat path. A small actor asks the catalog entity for anything newer every
 * {@code refresh-interval}, and at once when this controller changed the catalog; the copy holds
 * ciphertext only, like the catalog. Until the first answer arrives the copy is empty and node
 * entities deliver nothing (they do not remove what agents hold either: see NodeFiles).
 */
public final class LocalCatalog {

  private final AtomicReference<Catalog> current = new AtomicReference<>(Catalog.EMPTY);
  private volatile boolean loaded;
  private volatile ActorRef<Refresh> replica;

  /** The newest copy this controller holds. */
  public Catalog current() {
    return current.get();
  }

  /** Whether the catalog has been read at least once since this controller started. */
  public boolean loaded() {
    return loaded;
  }

  /** Starts the refreshing actor (once sharding runs on this controller). */
  public void start(ActorSystem<?> system, Duration interval, Duration askTimeout) {
    replica = system.systemActorOf(replica(FileCatalog.ref(system), interval, askTimeout), "file-catalog-replica",
        org.apache.pekko.actor.typed.Props.empty());
  }

  /** Asks for anything newer now (after this controller changed the catalog). */
  public void refreshNow() {
    ActorRef<Refresh> ref = replica;
    if (ref != null) {
      ref.tell(Refresh.INSTANCE);
    }
  }

  /** For entity tests: a fixed catalog. */
  public static LocalCatalog of(Catalog catalog) {
    LocalCatalog local = new LocalCatalog();
    local.update(catalog);
    return local;
  }

  /** Replaces the copy if {@code catalog} is newer. */
  public void update(Catalog catalog) {
    current.accumulateAndGet(catalog, (mine, theirs) -> theirs.revision() >= mine.revision() ? theirs : mine);
    loaded = true;
  }

  /** Messages of the refreshing actor. */
  interface Message {}

  enum Refresh implements Message {
    INSTANCE
  }

  private record Answered(CatalogReply reply) implements Message {}

  private record Failed() implements Message {}

  private Behavior<Refresh> replica(EntityRef<FileCatalog.Command> catalog, Duration interval, Duration askTimeout) {
    Behavior<Message> behavior = Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Refresh.INSTANCE, Refresh.INSTANCE, interval);
      context.getSelf().tell(Refresh.INSTANCE);
      boolean[] asking = {false};
      return Behaviors.receive(Message.class)
          .onMessageEquals(Refresh.INSTANCE, () -> {
            if (!asking[0]) {
              asking[0] = true;
              context.ask(CatalogReply.class, catalog, askTimeout,
                  replyTo -> new FileCatalog.GetCatalog(current().revision(), replyTo),
                  (reply, failure) -> reply != null ? new Answered(reply) : new Failed());
            }
            return Behaviors.same();
          })
          .onMessage(Answered.class, answered -> {
            asking[0] = false;
            answered.reply().catalog().ifPresentOrElse(this::update, () -> loaded = true);
            return Behaviors.same();
          })
          .onMessage(Failed.class, failed -> {
            asking[0] = false;
            context.getLog().debug("The file catalog did not answer within {}; asking again", askTimeout);
            return Behaviors.same();
          })
          .build();
    }));
    return behavior.narrow();
  }
}
