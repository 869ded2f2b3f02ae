package org.opencluster.controller.files;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.opencluster.controller.files.FileDefinition.TemplateSource;

/**
 * The cluster's secure-file definitions and shared secrets: one sharded, event-sourced entity
 * ({@code file-catalog/catalog}), every event and snapshot stored encrypted, and every content
 * field already encrypted under the data key ring before it gets here (so the catalog, and the
 * copies other controllers keep of it, hold no plaintext).
 *
 * <p>Each change takes the next catalog revision, which is also the version of what it wrote:
 * versions are never reused, also after a removal. Each controller keeps a copy ({@link
 * LocalCatalog}) that its node entities read when an agent heartbeats.
 *
 * <p>A template may only read secret fields that exist, and a secret (or a field of it) that a
 * template reads cannot be removed: a host never gets a half-rendered file from a typo.
 */
public final class FileCatalog
    extends EventSourcedBehaviorWithEnforcedReplies<FileCatalog.Command, FileCatalog.Event, FileCatalog.Catalog> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "file-catalog");
  public static final String ENTITY_ID = "catalog";
  /** Refusals that mean "not there" start with this (the API answers 404). */
  public static final String NOT_FOUND = "no such ";
  /** Refusals that mean "in use" contain this (the API answers 409). */
  public static final String IN_USE = "still read by";
  /** Refusals of a put or removal of a rotating secret contain this (the API answers 409). */
  public static final String ROTATING = "is a rotating secret";

  // ---- commands -----------------------------------------------------------------------------

  public sealed interface Command permits PutFile, RemoveFile, PutSecret, RemoveSecret, PublishRotating, GetCatalog {}

  /** Adds or replaces a file definition (its version and time are assigned here). */
  public record PutFile(FileDefinition definition, ActorRef<StatusReply<FileDefinition>> replyTo) implements Command {}

  public record RemoveFile(String name, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Adds or replaces a shared secret (all its fields). */
  public record PutSecret(SharedSecret secret, ActorRef<StatusReply<SharedSecret>> replyTo) implements Command {}

  public record RemoveSecret(String name, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * From a rotating secret's entity only: the versions the catalog shows of it now. Idempotent: the
   * same versions again change nothing (and take no revision).
   */
  public record PublishRotating(SharedSecret secret, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** The catalog, if newer than {@code knownRevision}. */
  public record GetCatalog(long knownRevision, ActorRef<CatalogReply> replyTo) implements Command {}

  /** @param catalog empty when the asker's revision is current */
  public record CatalogReply(long revision, Optional<Catalog> catalog) {}

  // ---- events -------------------------------------------------------------------------------

  public sealed interface Event permits FilePut, FileRemoved, SecretPut, SecretRemoved {}

  public record FilePut(FileDefinition definition) implements Event {}

  public record FileRemoved(String name, long revision, Instant at) implements Event {}

  public record SecretPut(SharedSecret secret) implements Event {}

  public record SecretRemoved(String name, long revision, Instant at) implements Event {}

  // ---- state --------------------------------------------------------------------------------

  /** Every definition and secret, by name; immutable. */
  public record Catalog(long revision, Map<String, FileDefinition> files, Map<String, SharedSecret> secrets) {
    public static final Catalog EMPTY = new Catalog(0, Map.of(), Map.of());

    public Catalog {
      files = Map.copyOf(files);
      secrets = Map.copyOf(secrets);
    }

    Catalog apply(Event event) {
      if (event instanceof FilePut e) {
        Map<String, FileDefinition> next = new TreeMap<>(files);
        next.put(e.definition().name(), e.definition());
        return new Catalog(e.definition().version(), next, secrets);
      } else if (event instanceof FileRemoved e) {
        Map<String, FileDefinition> next = new TreeMap<>(files);
        next.remove(e.name());
        return new Catalog(e.revision(), next, secrets);
      } else if (event instanceof SecretPut e) {
        Map<String, SharedSecret> next = new TreeMap<>(secrets);
        next.put(e.secret().name(), e.secret());
        return new Catalog(e.secret().version(), files, next);
      } else if (event instanceof SecretRemoved e) {
        Map<String, SharedSecret> next = new TreeMap<>(secrets);
        next.remove(e.name());
        return new Catalog(e.revision(), files, next);
      }
      throw new IllegalArgumentException("unknown catalog event " + event.getClass().getSimpleName());
    }

    /** The templates that read {@code secret}'s {@code field} (any field when null). */
    public List<String> readersOf(String secret, String field) {
      List<String> readers = new ArrayList<>();
      for (FileDefinition file : new TreeMap<>(files).values()) {
        if (file.source() instanceof TemplateSource t && t.references().stream()
            .anyMatch(r -> r.secret().equals(secret) && (field == null || r.field().equals(field)))) {
          readers.add(file.name());
        }
      }
      return readers;
    }
  }

  // ---- construction -------------------------------------------------------------------------

  public static void init(ActorSystem<?> system, Clock clock) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, context -> create(clock)));
  }

  /** The catalog, wherever it runs. */
  public static EntityRef<Command> ref(ActorSystem<?> system) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_KEY, ENTITY_ID);
  }

  public static Behavior<Command> create(Clock clock) {
    return new FileCatalog(clock);
  }

  private final Clock clock;

  private FileCatalog(Clock clock) {
    super(PersistenceId.of(ENTITY_KEY.name(), ENTITY_ID));
    this.clock = clock;
  }

  @Override
  public Catalog emptyState() {
    return Catalog.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(50, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, Catalog> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(PutFile.class, this::putFile)
        .onCommand(RemoveFile.class, this::removeFile)
        .onCommand(PutSecret.class, this::putSecret)
        .onCommand(RemoveSecret.class, this::removeSecret)
        .onCommand(PublishRotating.class, this::publishRotating)
        .onCommand(GetCatalog.class, (catalog, c) -> Effect().reply(c.replyTo(),
            new CatalogReply(catalog.revision(), c.knownRevision() == catalog.revision() ? Optional.empty() : Optional.of(catalog))))
        .build();
  }

  private ReplyEffect<Event, Catalog> putFile(Catalog catalog, PutFile command) {
    FileDefinition definition = command.definition();
    Optional<String> invalid = definition.invalid();
    if (invalid.isEmpty() && definition.source() instanceof TemplateSource t) {
      invalid = t.references().stream().filter(r -> !catalog.secrets().containsKey(r.secret())
              || !catalog.secrets().get(r.secret()).encryptedFields().containsKey(r.field()))
          .findFirst().map(r -> "the template reads field '" + r.field() + "' of secret '" + r.secret()
              + "', which does not exist: put the secret first (opencluster secret put " + r.secret() + " "
              + r.field() + "=...)");
    }
    if (invalid.isPresent()) {
      return Effect().reply(command.replyTo(), StatusReply.error(invalid.get()));
    }
    FileDefinition stored = definition.stored(catalog.revision() + 1, clock.instant());
    return Effect().persist(new FilePut(stored)).thenReply(command.replyTo(), c -> StatusReply.success(stored));
  }

  private ReplyEffect<Event, Catalog> removeFile(Catalog catalog, RemoveFile command) {
    if (!catalog.files().containsKey(command.name())) {
      return Effect().reply(command.replyTo(), StatusReply.error(NOT_FOUND + "file '" + FileDefinition.printable(command.name()) + "'"));
    }
    return Effect().persist(new FileRemoved(command.name(), catalog.revision() + 1, clock.instant()))
        .thenReply(command.replyTo(), c -> StatusReply.ack());
  }

  private ReplyEffect<Event, Catalog> putSecret(Catalog catalog, PutSecret command) {
    SharedSecret secret = command.secret();
    Optional<String> invalid = FileDefinition.invalidName(secret.name());
    if (invalid.isEmpty() && (secret.encryptedFields().isEmpty() || secret.encryptedFields().size() > SharedSecret.MAX_FIELDS)) {
      invalid = Optional.of("a secret has 1.." + SharedSecret.MAX_FIELDS + " fields");
    }
    if (invalid.isEmpty()) {
      invalid = secret.encryptedFields().keySet().stream().map(SharedSecret::invalidField).flatMap(Optional::stream).findFirst();
    }
    if (invalid.isEmpty() && catalog.secrets().containsKey(secret.name()) && catalog.secrets().get(secret.name()).rotating()) {
      invalid = Optional.of("secret '" + secret.name() + "' " + ROTATING + ": its values change only by rotation"
          + " (opencluster secret rotate " + secret.name() + ")");
    }
    if (invalid.isEmpty() && catalog.secrets().containsKey(secret.name())) {
      for (String field : catalog.secrets().get(secret.name()).fields()) {
        List<String> readers = catalog.readersOf(secret.name(), field);
        if (!secret.encryptedFields().containsKey(field) && !readers.isEmpty()) {
          invalid = Optional.of("field '" + field + "' of secret '" + secret.name() + "' is " + IN_USE + " " + readers
              + "; keep it, or change those files first");
          break;
        }
      }
    }
    if (invalid.isPresent()) {
      return Effect().reply(command.replyTo(), StatusReply.error(invalid.get()));
    }
    SharedSecret stored = secret.stored(catalog.revision() + 1, clock.instant());
    return Effect().persist(new SecretPut(stored)).thenReply(command.replyTo(), c -> StatusReply.success(stored));
  }

  private ReplyEffect<Event, Catalog> removeSecret(Catalog catalog, RemoveSecret command) {
    if (!catalog.secrets().containsKey(command.name())) {
      return Effect().reply(command.replyTo(), StatusReply.error(NOT_FOUND + "secret '" + FileDefinition.printable(command.name()) + "'"));
    }
    if (catalog.secrets().get(command.name()).rotating()) {
      return Effect().reply(command.replyTo(), StatusReply.error("secret '" + command.name() + "' " + ROTATING
          + "; rotating secrets cannot be removed yet"));
    }
    List<String> readers = catalog.readersOf(command.name(), null);
    if (!readers.isEmpty()) {
      return Effect().reply(command.replyTo(), StatusReply.error("secret '" + command.name() + "' is " + IN_USE + " "
          + readers + "; remove or change those files first"));
    }
    return Effect().persist(new SecretRemoved(command.name(), catalog.revision() + 1, clock.instant()))
        .thenReply(command.replyTo(), c -> StatusReply.ack());
  }

  private ReplyEffect<Event, Catalog> publishRotating(Catalog catalog, PublishRotating command) {
    SharedSecret secret = command.secret();
    SharedSecret known = catalog.secrets().get(secret.name());
    if (secret.rotation().isEmpty() || FileDefinition.invalidName(secret.name()).isPresent()) {
      return Effect().reply(command.replyTo(), StatusReply.error("not a rotating secret"));
    }
    if (known != null && !known.rotating()) {
      return Effect().reply(command.replyTo(), StatusReply.error("a static secret '" + secret.name()
          + "' exists; a rotating secret needs a name of its own"));
    }
    if (known != null && known.sameRotation(secret)) {
      return Effect().reply(command.replyTo(), StatusReply.ack());
    }
    if (known != null && known.rotation().get().currentVersion() > secret.rotation().get().currentVersion()) {
      return Effect().reply(command.replyTo(), StatusReply.ack()); // a late publication of an older version
    }
    SharedSecret stored = secret.stored(catalog.revision() + 1, clock.instant());
    return Effect().persist(new SecretPut(stored)).thenReply(command.replyTo(), c -> StatusReply.ack());
  }

  @Override
  public EventHandler<Catalog, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(Catalog::apply);
  }
}
