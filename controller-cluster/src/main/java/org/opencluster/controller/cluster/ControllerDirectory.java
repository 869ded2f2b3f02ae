package org.opencluster.controller.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Each controller's description of itself (name, version, seal, agents on its edge, where agents
 * reach it), asked for by its peers over the cluster link: the cluster status shows every member's,
 * and the edges use them to choose where to send agents. One actor per controller, registered with
 * the receptionist; nothing is stored (the last answers are kept in memory: {@link LastKnown}).
 */
public final class ControllerDirectory {

  /** The receptionist key every controller's directory actor registers under. */
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "opencluster-controller");

  /** What the directory actor answers. */
  public sealed interface Command permits Describe {}

  /** Asks a controller to describe itself. */
  public record Describe(ActorRef<Description> replyTo) implements Command {}

  /**
   * A controller as it describes itself.
   *
   * @param sealState uninitialized, sealed or unsealed
   * @param agents agents whose sessions its edge carried lately
   * @param edge host:port agents reach its edge at
   * @param leaving whether it has begun leaving
   */
  public record Description(String controller, String address, String appVersion, String sealState, int agents,
      String edge, boolean leaving) {}

  private ControllerDirectory() {}

  /**
   * The latest description each controller gave this one, by address, in memory: a leaving
   * controller whose peers are too busy to answer at once (a rotation under way, a herd of agents)
   * still knows where to send its agents. Fed by every balancing round.
   */
  public static final class LastKnown {

    private final Map<String, Description> byAddress = new ConcurrentHashMap<>();

    /** Keeps {@code described} as the latest, and returns it. */
    public List<Description> remember(List<Description> described) {
      described.forEach(d -> byAddress.put(d.address(), d));
      return described;
    }

    /** {@link #fillIn} with what this one remembers. */
    public List<Description> fillIn(List<Description> answered, Set<String> upAddresses) {
      return ControllerDirectory.fillIn(answered, Map.copyOf(byAddress), upAddresses);
    }
  }

  /**
   * {@code answered}, plus the last known description of each member in {@code upAddresses} that
   * did not answer (sorted by address): a member that is Up but was slow still takes agents. A
   * controller no longer Up is left out, whatever it said before.
   */
  static List<Description> fillIn(List<Description> answered, Map<String, Description> lastKnown,
      Set<String> upAddresses) {
    Map<String, Description> merged = new TreeMap<>();
    lastKnown.forEach((address, d) -> {
      if (upAddresses.contains(address)) {
        merged.put(address, d);
      }
    });
    answered.forEach(d -> merged.put(d.address(), d));
    return List.copyOf(merged.values());
  }

  /** This controller's directory actor: answers with {@code self}'s description at the time. */
  public static Behavior<Command> create(Supplier<Description> self) {
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
      return Behaviors.receive(Command.class)
          .onMessage(Describe.class, describe -> {
            describe.replyTo().tell(self.get());
            return Behaviors.same();
          })
          .build();
    });
  }

  /**
   * Every reachable controller's description, by address; a controller that does not answer
   * within {@code timeout} is left out.
   */
  public static CompletionStage<List<Description>> describeAll(ActorSystem<?> system, Duration timeout) {
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            replyTo -> Receptionist.find(KEY, replyTo), timeout, system.scheduler())
        .thenCompose(listing -> {
          List<CompletableFuture<Description>> asked = new ArrayList<>();
          for (ActorRef<Command> directory : listing.getServiceInstances(KEY)) {
            asked.add(AskPattern.<Command, Description>ask(directory, Describe::new, timeout, system.scheduler())
                .toCompletableFuture().exceptionally(failure -> null));
          }
          return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<Description> answered = new ArrayList<>();
            asked.forEach(a -> {
              Description d = a.join();
              if (d != null) {
                answered.add(d);
              }
            });
            answered.sort(Comparator.comparing(Description::address));
            return answered;
          });
        });
  }
}
