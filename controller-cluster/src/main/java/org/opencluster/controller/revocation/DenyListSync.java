package org.opencluster.controller.revocation;

import java.util.Set;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.GSet;
import org.apache.pekko.cluster.ddata.GSetKey;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.opencluster.protocol.tls.DenyList;

/**
 * Keeps this controller's deny list in step with the cluster's: revocations are added to a
 * grow-only set replicated with Distributed Data, and every change anyone makes is applied to the
 * local {@link DenyList}, which the edge and the cluster link read at every TLS handshake.
 * Nothing is ever removed: a revoked certificate stays revoked until it expires.
 */
public final class DenyListSync {

  static final Key<GSet<String>> KEY = GSetKey.create("opencluster-deny-list");

  /** What it handles. */
  public sealed interface Command permits Add, Changed, Updated {}

  /** Adds revocations (entries of {@link RevokedCertificate#entry()}) cluster-wide. */
  public record Add(Set<String> entries) implements Command {
    public Add {
      entries = Set.copyOf(entries);
    }
  }

  private record Changed(Replicator.SubscribeResponse<GSet<String>> response) implements Command {}

  private record Updated(Replicator.UpdateResponse<GSet<String>> response) implements Command {}

  private DenyListSync() {}

  public static Behavior<Command> create(DenyList denyList) {
    return Behaviors.setup(context -> DistributedData.<Command, GSet<String>>withReplicatorMessageAdapter(adapter -> {
      adapter.subscribe(KEY, Changed::new);
      return behavior(context, adapter, denyList);
    }));
  }

  private static Behavior<Command> behavior(ActorContext<Command> context,
      ReplicatorMessageAdapter<Command, GSet<String>> adapter, DenyList denyList) {
    return Behaviors.receive(Command.class)
        .onMessage(Add.class, add -> {
          add.entries().forEach(entry -> apply(denyList, entry, context));
          adapter.askUpdate(
              replyTo -> new Replicator.Update<>(KEY, GSet.create(), Replicator.writeLocal(), replyTo, set -> {
                GSet<String> updated = set;
                for (String entry : add.entries()) {
                  updated = updated.add(entry);
                }
                return updated;
              }),
              Updated::new);
          return Behaviors.same();
        })
        .onMessage(Changed.class, changed -> {
          if (changed.response() instanceof Replicator.Changed<GSet<String>> c) {
            c.get(KEY).getElements().forEach(entry -> apply(denyList, entry, context));
          }
          return Behaviors.same();
        })
        .onMessage(Updated.class, updated -> {
          if (!(updated.response() instanceof Replicator.UpdateSuccess)) {
            context.getLog().warn("Could not add to the replicated deny list ({}); the local list has it",
                updated.response().getClass().getSimpleName());
          }
          return Behaviors.same();
        })
        .build();
  }

  private static void apply(DenyList denyList, String entry, ActorContext<Command> context) {
    try {
      RevokedCertificate revoked = RevokedCertificate.parse(entry);
      denyList.revoke(revoked.issuer(), revoked.serial());
    } catch (IllegalArgumentException e) {
      context.getLog().warn("Ignored a malformed deny-list entry: {}", e.getMessage());
    }
  }

}
