package org.opencluster.bench.journal;

import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/** Persists a given number of events, one after the other, then replies. */
final class Writer extends EventSourcedBehavior<Writer.Write, BenchEvent, Integer> {

  /** Persist {@code remaining} more events, then tell {@code replyTo}. */
  record Write(int remaining, ActorRef<Done> replyTo) {}

  private final Function<Integer, BenchEvent> events;
  private final ActorRef<Write> self;

  private Writer(String id, Function<Integer, BenchEvent> events, ActorRef<Write> self) {
    super(PersistenceId.ofUniqueId(id));
    this.events = events;
    this.self = self;
  }

  static Behavior<Write> create(String id, Function<Integer, BenchEvent> events) {
    return Behaviors.setup(context -> new Writer(id, events, context.getSelf()));
  }

  @Override
  public Integer emptyState() {
    return 0;
  }

  @Override
  public CommandHandler<Write, BenchEvent, Integer> commandHandler() {
    return newCommandHandlerBuilder().forAnyState().onCommand(Write.class, (written, write) -> {
      if (write.remaining() == 0) {
        write.replyTo().tell(Done.getInstance());
        return Effect().none();
      }
      return Effect().persist(events.apply(written)).thenRun(next ->
          self.tell(new Write(write.remaining() - 1, write.replyTo())));
    }).build();
  }

  @Override
  public EventHandler<Integer, BenchEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((written, event) -> written + 1);
  }
}
