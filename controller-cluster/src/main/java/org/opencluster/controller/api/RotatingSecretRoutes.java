package org.opencluster.controller.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.pattern.StatusReply;
import org.opencluster.controller.files.FileCatalog;
import org.opencluster.controller.files.FileDefinition;
import org.opencluster.controller.files.LocalCatalog;
import org.opencluster.controller.files.SharedSecret;
import org.opencluster.controller.rotation.RotatorSpec;
import org.opencluster.controller.secrets.SecretEntity;
import org.opencluster.controller.secrets.SecretEntity.SecretStatus;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotating shared secrets in the operator API: each is a {@code SecretEntity}, its current (and,
 * during a rotation, pending) version published into the file catalog for templates to read.
 * Values go in (optional first values) and never come out.
 *
 * <pre>
 * PUT  /v1/rotating-secrets/NAME          admin or operator   create -> 201 + status
 * POST /v1/rotating-secrets/NAME/rotate   admin or operator   start a rotation -> 202 + status
 * GET  /v1/rotating-secrets/NAME          any role            status
 * GET  /v1/rotating-secrets               any role            {"rotating_secrets": [name, current_version, pending_version]}
 * </pre>
 *
 * The body of a create: {@code {"rotator": {"kind": "postgresql", "parameters": {"jdbc-url": ...,
 * "role-a": ..., "role-b": ...}, "admin_secret": "db/admin"}, "every": "30d" (optional: ISO-8601 or
 * a whole number of s, m, h or d), "consumers": {"labels": {...}, "nodes": [...], "all": false},
 * "fields": {"username": BASE64, ...} (optional first values; else the rotator makes them)}}.
 * Refusals: 400 (bad input, the rotator's or the entity's message), 404 (no such secret), 409 (it
 * exists, a static secret has the name, a rotation runs).
 */
public final class RotatingSecretRoutes extends AllDirectives {

  private static final Logger LOG = LoggerFactory.getLogger(RotatingSecretRoutes.class);
  /** The roles that may put a static secret may create a rotating one. */
  private static final Set<Role> WRITERS = EnumSet.of(Role.ADMIN, Role.OPERATOR);
  private static final int MAX_SELECTOR_LABELS = 32;
  private static final int MAX_SELECTOR_NODES = 1000;
  /** As a node quarantine. */
  private static final Set<Role> ROTATORS = EnumSet.of(Role.ADMIN, Role.OPERATOR);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(15);
  private static final String ROTATE = "/rotate";
  private static final Pattern SHORT_DURATION = Pattern.compile("([1-9][0-9]{0,6})([smhd])");

  /**
   * What the routes need from the controller.
   *
   * @param secrets the entity of a rotating secret, by name, wherever it runs
   * @param catalog the file catalog entity, read for a name a static secret holds
   * @param local this controller's catalog copy, which lists the rotating secrets
   * @param serving whether the entities run here (sharding starts at unseal)
   */
  public record Services(Function<String, EntityRef<SecretEntity.Command>> secrets,
      Supplier<EntityRef<FileCatalog.Command>> catalog, LocalCatalog local, BooleanSupplier serving) {}

  /** The body of {@code PUT /v1/rotating-secrets/NAME}. Its {@code toString} shows no value. */
  public record CreateRequest(RotatorRequest rotator, String every, ConsumersRequest consumers,
      Map<String, String> fields) {
    @Override
    public String toString() {
      return "CreateRequest[" + rotator + ", every " + every + ", consumers " + consumers + ", fields "
          + (fields == null ? "none" : new TreeSet<>(fields.keySet())) + ", values=[secret]]";
    }
  }

  /** How it rotates: nothing here is secret (the admin credential is named, not given). */
  public record RotatorRequest(String kind, Map<String, String> parameters,
      @JsonProperty("admin_secret") String adminSecret) {}

  public record ConsumersRequest(Map<String, String> labels, List<String> nodes, Boolean all) {}

  private final OperatorApi api;
  private final Services services;

  RotatingSecretRoutes(OperatorApi api, Services services) {
    this.api = api;
    this.services = services;
  }

  Route routes(Identity who) {
    return concat(
        path("rotating-secrets", () -> get(() -> api.respond(this::list))),
        pathPrefix("rotating-secrets", () -> path(PathMatchers.remaining(), rest -> concat(
            put(() -> api.roles(who, WRITERS, () -> entity(Unmarshaller.entityToString(),
                body -> api.respond(() -> create(who, rest, body))))),
            get(() -> api.respond(() -> show(rest))),
            post(() -> rest.endsWith(ROTATE)
                ? api.roles(who, ROTATORS, () -> api.respond(() -> rotate(who, rest.substring(0, rest.length() - ROTATE.length()))))
                : complete(OperatorApi.problem(404, "not-found", "Not found",
                    "POST /v1/rotating-secrets/NAME/rotate starts a rotation; no other POST here")))))));
  }

  // ---- create -------------------------------------------------------------------------------

  private HttpResponse create(Identity who, String name, String body) {
    Optional<String> invalidName = FileDefinition.invalidName(name);
    if (invalidName.isEmpty() && name.endsWith(ROTATE)) {
      invalidName = Optional.of("a rotating secret's name cannot end in '" + ROTATE + "' (POST NAME" + ROTATE
          + " rotates NAME)");
    }
    if (invalidName.isPresent()) {
      return OperatorApi.problem(400, "invalid-name", "Invalid name", invalidName.get());
    }
    CreateRequest request;
    try {
      request = OperatorApi.readJson(body, CreateRequest.class);
    } catch (JsonProcessingException e) {
      request = null;
    }
    if (request == null || request.rotator() == null || request.rotator().kind() == null
        || request.consumers() == null) {
      return OperatorApi.malformed("expected {\"rotator\": {\"kind\": \"none\"|\"postgresql\", \"parameters\": {...}, "
          + "\"admin_secret\": NAME}, \"consumers\": {\"labels\": {...}, \"nodes\": [...], \"all\": false}, optional "
          + "\"every\": \"30d\" and \"fields\": {\"FIELD\": BASE64}}");
    }
    if (request.rotator().adminSecret() != null && who.role().filter(Role.ADMIN::equals).isEmpty()) {
      // The rotator logs in with the admin secret wherever its parameters point: naming one is
      // handing that credential to a server, which only an admin may do.
      return OperatorApi.problem(403, "forbidden", "Forbidden", "a rotating secret that names an admin_secret is "
          + "created by an admin: the rotator sends that credential to the server its parameters name");
    }
    RotatorSpec rotator;
    FileDefinition.Selector consumers;
    Optional<Duration> every;
    try {
      rotator = rotator(request.rotator());
      consumers = consumers(request.consumers());
      every = request.every() == null ? Optional.empty() : Optional.of(every(request.every()));
    } catch (IllegalArgumentException e) {
      return invalid(e.getMessage());
    }
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    if (staticSecretNamed(name)) {
      return OperatorApi.problem(409, "exists", "Exists", "a static secret '" + name + "' exists (secret put); "
          + "a rotating secret needs a name of its own");
    }
    Map<String, SecretBytes> fields = new TreeMap<>();
    try {
      decode(request.fields(), fields);
      StatusReply<SecretStatus> reply = await(services.secrets().apply(name).ask(
          (ActorRef<StatusReply<SecretStatus>> replyTo) -> new SecretEntity.Create(fields, rotator, every, consumers,
              replyTo), ASK_TIMEOUT));
      if (reply.isError()) {
        return refused(reply.getError().getMessage());
      }
      LOG.info("{} created rotating secret {} (rotator {}, fields {}, consumers {})", who, name, rotator.kind(),
          reply.getValue().definition().map(SecretEntity.Definition::fields).orElse(Set.of()), consumers);
      return OperatorApi.json(201, statusBody(reply.getValue()));
    } catch (IllegalArgumentException e) {
      return invalid(e.getMessage());
    } finally {
      fields.values().forEach(SecretBytes::close);
    }
  }

  private static RotatorSpec rotator(RotatorRequest request) {
    if (request.parameters() != null && (request.parameters().containsKey(null) || request.parameters().containsValue(null))) {
      throw new IllegalArgumentException("rotator parameters may not hold null");
    }
    Optional<String> admin = Optional.ofNullable(request.adminSecret());
    if (admin.isPresent() && FileDefinition.invalidName(admin.get()).isPresent()) {
      throw new IllegalArgumentException("admin_secret: " + FileDefinition.invalidName(admin.get()).get());
    }
    return new RotatorSpec(request.kind(), request.parameters() == null ? Map.of() : request.parameters(), admin);
  }

  private static FileDefinition.Selector consumers(ConsumersRequest request) {
    if (request.labels() != null && (request.labels().containsKey(null) || request.labels().containsValue(null))) {
      throw new IllegalArgumentException("consumer labels may not hold null");
    }
    if (request.nodes() != null && request.nodes().contains(null)) {
      throw new IllegalArgumentException("consumer nodes may not hold null");
    }
    if (request.labels() != null && request.labels().size() > MAX_SELECTOR_LABELS
        || request.nodes() != null && request.nodes().size() > MAX_SELECTOR_NODES) {
      throw new IllegalArgumentException("consumers name at most " + MAX_SELECTOR_LABELS + " labels and "
          + MAX_SELECTOR_NODES + " nodes; label the nodes instead");
    }
    if (request.labels() != null) {
      for (Map.Entry<String, String> label : request.labels().entrySet()) {
        if (!label.getKey().matches("[A-Za-z0-9][A-Za-z0-9_.\\-/]{0,62}") || !label.getValue().matches("[A-Za-z0-9_.\\-]{0,63}")) {
          throw new IllegalArgumentException("consumer label '" + FileDefinition.printable(label.getKey()) + "="
              + FileDefinition.printable(label.getValue()) + "' is not a valid label (letters, digits, '_', '.', '-')");
        }
      }
    }
    if (request.nodes() != null) {
      for (String node : request.nodes()) {
        if (!org.opencluster.protocol.pki.Identity.isValidName(node)) {
          throw new IllegalArgumentException("consumer node '" + FileDefinition.printable(node) + "' is not a node id");
        }
      }
    }
    return new FileDefinition.Selector(request.nodes() == null ? Set.of() : Set.copyOf(request.nodes()),
        request.labels() == null ? Map.of() : request.labels(), Boolean.TRUE.equals(request.all()));
  }

  /** {@code every}: ISO-8601 ({@code PT12H}, {@code P7D}) or a whole number of s, m, h or d ({@code 30d}). */
  static Duration every(String text) {
    Matcher m = SHORT_DURATION.matcher(text);
    Duration every;
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      every = switch (m.group(2)) {
        case "d" -> Duration.ofDays(n);
        case "h" -> Duration.ofHours(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofSeconds(n);
      };
    } else {
      try {
        every = Duration.parse(text);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("every '" + FileDefinition.printable(text) + "' is not a duration: use "
            + "ISO-8601 (PT12H, P7D) or a whole number and a unit (30m, 12h, 7d)");
      }
    }
    if (every.isNegative() || every.isZero()) {
      throw new IllegalArgumentException("every must be positive");
    }
    return every;
  }

  /** Decodes the first values into {@code into} (the caller wipes them, also after a refusal). */
  private static void decode(Map<String, String> fields, Map<String, SecretBytes> into) {
    if (fields == null) {
      return;
    }
    for (Map.Entry<String, String> field : fields.entrySet()) {
      SharedSecret.invalidField(field.getKey()).ifPresent(why -> {
        throw new IllegalArgumentException(why);
      });
      if (field.getValue() == null || field.getValue().isEmpty()) {
        throw new IllegalArgumentException("field '" + field.getKey() + "' has no value");
      }
      SecretBytes value;
      try {
        value = SecretBytes.adopt(Base64.getDecoder().decode(field.getValue()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("field '" + field.getKey() + "' is not base64");
      }
      into.put(field.getKey(), value);
      if (value.length() == 0 || value.length() > SharedSecret.MAX_VALUE_BYTES) {
        throw new IllegalArgumentException("field '" + field.getKey() + "' must be 1 to " + SharedSecret.MAX_VALUE_BYTES
            + " bytes");
      }
    }
  }

  /** Whether the catalog holds a static secret {@code name} (read from the catalog entity: a put a moment ago counts). */
  private boolean staticSecretNamed(String name) {
    FileCatalog.CatalogReply reply = await(services.catalog().get().ask(
        (ActorRef<FileCatalog.CatalogReply> replyTo) -> new FileCatalog.GetCatalog(-1, replyTo), ASK_TIMEOUT));
    FileCatalog.Catalog catalog = reply.catalog().orElseThrow();
    services.local().update(catalog);
    SharedSecret secret = catalog.secrets().get(name);
    return secret != null && !secret.rotating();
  }

  // ---- rotate, show, list -------------------------------------------------------------------

  private HttpResponse rotate(Identity who, String name) {
    if (FileDefinition.invalidName(name).isPresent()) {
      return OperatorApi.problem(400, "invalid-name", "Invalid name", FileDefinition.invalidName(name).get());
    }
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    StatusReply<SecretStatus> reply = await(services.secrets().apply(name).ask(
        (ActorRef<StatusReply<SecretStatus>> replyTo) -> new SecretEntity.Rotate(replyTo), ASK_TIMEOUT));
    if (reply.isError()) {
      return refused(reply.getError().getMessage());
    }
    SecretStatus status = reply.getValue();
    LOG.info("{} started the rotation of secret {} to version {}", who, name,
        status.rotation().map(SecretEntity.Progress::version).map(String::valueOf).orElse("?"));
    return OperatorApi.json(202, statusBody(status));
  }

  private HttpResponse show(String name) {
    if (FileDefinition.invalidName(name).isPresent()) {
      return OperatorApi.problem(400, "invalid-name", "Invalid name", FileDefinition.invalidName(name).get());
    }
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    SecretStatus status = await(services.secrets().apply(name).ask(SecretEntity.GetStatus::new, ASK_TIMEOUT));
    if (status.definition().isEmpty()) {
      return OperatorApi.problem(404, "not-found", "No such secret", SecretEntity.NOT_FOUND + "'"
          + FileDefinition.printable(name) + "'");
    }
    return OperatorApi.json(200, statusBody(status));
  }

  private HttpResponse list() {
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    List<Map<String, Object>> listed = new ArrayList<>();
    new TreeMap<>(services.local().current().secrets()).values().stream().filter(SharedSecret::rotating).forEach(s -> {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("name", s.name());
      entry.put("current_version", s.rotation().get().currentVersion());
      entry.put("pending_version", s.rotation().get().pending().map(SharedSecret.Pending::version).orElse(null));
      listed.add(entry);
    });
    return OperatorApi.json(200, Map.of("rotating_secrets", listed));
  }

  // ---- answers ------------------------------------------------------------------------------

  /** Where a secret stands, as the API shows it: names, numbers and times, never a value. */
  static Map<String, Object> statusBody(SecretStatus status) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", status.name());
    status.definition().ifPresent(definition -> {
      Map<String, Object> rotator = new LinkedHashMap<>();
      rotator.put("kind", definition.rotator().kind());
      rotator.put("parameters", new TreeMap<>(definition.rotator().parameters()));
      rotator.put("admin_secret", definition.rotator().adminSecret().orElse(null));
      body.put("rotator", rotator);
      body.put("fields", new ArrayList<>(new TreeSet<>(definition.fields())));
      body.put("every", definition.every().map(Duration::toString).orElse(null));
      Map<String, Object> consumers = new LinkedHashMap<>();
      consumers.put("labels", new TreeMap<>(definition.consumers().labels()));
      consumers.put("nodes", new ArrayList<>(new TreeSet<>(definition.consumers().nodes())));
      consumers.put("all", definition.consumers().all());
      body.put("consumers", consumers);
      body.put("created_at", text(definition.createdAt()));
    });
    List<Map<String, Object>> versions = new ArrayList<>();
    status.versions().forEach(v -> {
      Map<String, Object> version = new LinkedHashMap<>();
      version.put("number", v.number());
      version.put("label", v.label().name());
      version.put("created_at", text(v.createdAt()));
      versions.add(version);
    });
    body.put("versions", versions);
    body.put("rotation", status.rotation().map(p -> {
      Map<String, Object> rotation = new LinkedHashMap<>();
      rotation.put("version", p.version());
      rotation.put("step", step(p.step()));
      rotation.put("started_at", text(p.startedAt()));
      rotation.put("trigger", p.trigger());
      rotation.put("attempts", p.attempts());
      rotation.put("retry_at", p.retryAt().map(RotatingSecretRoutes::text).orElse(null));
      rotation.put("retire_at", p.retireAt().map(RotatingSecretRoutes::text).orElse(null));
      rotation.put("urgent", p.urgent());
      return rotation;
    }).orElse(null));
    body.put("distribution", status.distribution().map(d -> {
      Map<String, Object> distribution = new LinkedHashMap<>();
      distribution.put("version", d.version());
      distribution.put("expected", d.expected());
      distribution.put("acknowledged", d.acknowledged());
      distribution.put("behind", d.behind());
      distribution.put("behind_count", d.behindCount());
      distribution.put("switched", status.switched());
      return distribution;
    }).orElse(null));
    body.put("last_failure", status.lastFailure().map(f -> {
      Map<String, Object> failure = new LinkedHashMap<>();
      failure.put("version", f.version());
      failure.put("step", step(f.step()));
      failure.put("message", f.message());
      failure.put("at", text(f.at()));
      return failure;
    }).orElse(null));
    body.put("next_rotation_at", status.nextRotationAt().map(RotatingSecretRoutes::text).orElse(null));
    body.put("compromised", status.compromised());
    body.put("published", status.published().map(p -> {
      Map<String, Object> published = new LinkedHashMap<>();
      published.put("current", p.current());
      published.put("pending", p.pending() == 0 ? null : p.pending());
      return published;
    }).orElse(null));
    body.put("host", status.host());
    return body;
  }

  private static String step(SecretEntity.Step step) {
    return step.name().toLowerCase(Locale.ROOT);
  }

  private static String text(Instant at) {
    return at.toString();
  }

  /** An entity's refusal: 404 not there, 409 exists or rotating, else 400 with its message. */
  private static HttpResponse refused(String detail) {
    if (detail.startsWith(SecretEntity.NOT_FOUND)) {
      return OperatorApi.problem(404, "not-found", "No such secret", detail);
    }
    if (detail.contains(SecretEntity.ROTATING)) {
      return OperatorApi.problem(409, "rotating", "A rotation is running", detail);
    }
    if (detail.contains(SecretEntity.EXISTS)) {
      return OperatorApi.problem(409, "exists", "Exists", detail);
    }
    return invalid(detail);
  }

  private static HttpResponse invalid(String detail) {
    return OperatorApi.problem(400, "invalid-secret", "Invalid secret", detail);
  }

  private static HttpResponse sealed() {
    return OperatorApi.problem(503, "sealed", "Sealed", "this controller is not serving yet (sealed or starting)");
  }

  private static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(ASK_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FileRoutes.UnavailableException("interrupted");
    } catch (Exception e) {
      throw new FileRoutes.UnavailableException("the secret's entity did not answer in time; retry");
    }
  }
}
