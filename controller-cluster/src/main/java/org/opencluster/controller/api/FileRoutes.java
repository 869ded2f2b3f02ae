package org.opencluster.controller.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.pattern.StatusReply;
import org.opencluster.controller.files.ContentCipher;
import org.opencluster.controller.files.FileCatalog;
import org.opencluster.controller.files.FileCatalog.Catalog;
import org.opencluster.controller.files.FileDefinition;
import org.opencluster.controller.files.FileDefinition.GeneratedSource;
import org.opencluster.controller.files.FileDefinition.StaticSource;
import org.opencluster.controller.files.FileDefinition.TemplateSource;
import org.opencluster.controller.files.LocalCatalog;
import org.opencluster.controller.files.SharedSecret;
import org.opencluster.controller.files.Template;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Secure files and shared secrets in the operator API. Content and secret values go in and never
 * come out: they are encrypted under the data key ring here, before they reach the catalog, and
 * every answer carries only what describes them.
 *
 * <pre>
 * PUT    /v1/files/NAME     admin or operator   a definition (below) -> its metadata
 * GET    /v1/files          any role            {"files": [metadata]}
 * GET    /v1/files/NAME     any role            metadata
 * DELETE /v1/files/NAME     admin or operator   removed from every node at its next heartbeat
 * PUT    /v1/secrets/NAME   admin or operator   {"fields": {"password": "..."}} -> fields, version, readers
 * GET    /v1/secrets        any role            {"secrets": [...]}, never values
 * GET    /v1/secrets/NAME   any role
 * DELETE /v1/secrets/NAME   admin or operator   409 while a template reads it
 * </pre>
 *
 * A definition: {@code {"path", "owner", "group", "mode": "0400", "delivery": "tmpfs"|"fifo",
 * "reload": [argv], "selector": {"nodes": [...], "labels": {...}, "all": false}, "source":
 * {"kind": "static", "content": BASE64} | {"kind": "template", "text": "..."} | {"kind":
 * "generated", "generator": "random-password"|"random-key", "length": N, "encoding":
 * "base64"|"hex"|"raw"} | {"kind": "generated", "generator": "tls-certificate", "dnsNames":
 * ["{{ node.name }}.web.example"], "ipAddresses": [...], "ttlSeconds": 86400}}}. A tls-certificate's
 * DNS names default to the node's name and its TTL to a day.
 */
public final class FileRoutes extends AllDirectives {

  private static final Logger LOG = LoggerFactory.getLogger(FileRoutes.class);
  private static final Set<Role> WRITERS = Set.of(Role.ADMIN, Role.OPERATOR);
  /** Each ask of a catalog command; see {@link #ask}. */
  private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(5);
  /**
   * How long a request waits for the catalog in all: below the server's request timeout (25 s,
   * opencluster-controller.conf), which also counts the request's wait for a thread.
   */
  private static final Duration PATIENCE = Duration.ofSeconds(15);
  /** Before asking again after an ask that failed at once (no region to ask yet). */
  private static final Duration PAUSE = Duration.ofMillis(250);

  /**
   * What the routes need from the controller.
   *
   * @param catalog the catalog entity, wherever it runs (asked for only while serving: its sharding
   *     starts at unseal)
   * @param local this controller's copy, told to refresh after a change made here
   */
  public record Services(java.util.function.Supplier<EntityRef<FileCatalog.Command>> catalog, LocalCatalog local,
      ContentCipher cipher, BooleanSupplier serving) {}

  /** The body of {@code PUT /v1/files/NAME}. */
  public record FileRequest(String path, String owner, String group, String mode, String delivery, List<String> reload,
      SelectorRequest selector, SourceRequest source) {}

  public record SelectorRequest(List<String> nodes, Map<String, String> labels, Boolean all) {}

  public record SourceRequest(String kind, String content, String text, String generator, Integer length, String encoding,
      List<String> dnsNames, List<String> ipAddresses, Long ttlSeconds, Long rotateEverySeconds) {
    @Override
    public String toString() {
      return "SourceRequest[" + kind + ", content=[secret]]";
    }
  }

  /** The body of {@code PUT /v1/secrets/NAME}. */
  public record SecretRequest(Map<String, String> fields) {
    @Override
    public String toString() {
      return "SecretRequest[fields=" + (fields == null ? "none" : new TreeMap<>(fields).keySet()) + ", values=[secret]]";
    }
  }

  private final OperatorApi api;
  private final Services services;

  FileRoutes(OperatorApi api, Services services) {
    this.api = api;
    this.services = services;
  }

  Route routes(Identity who) {
    return concat(
        path("files", () -> get(() -> api.respond(this::listFiles))),
        pathPrefix("files", () -> path(PathMatchers.remaining(), name -> fileRoutes(who, name))),
        path("secrets", () -> get(() -> api.respond(this::listSecrets))),
        pathPrefix("secrets", () -> path(PathMatchers.remaining(), name -> secretRoutes(who, name))));
  }

  private Route fileRoutes(Identity who, String name) {
    return concat(
        put(() -> writer(who, () -> entity(Unmarshaller.entityToString(),
            body -> api.respond(() -> putFile(who, name, body))))),
        get(() -> api.respond(() -> showFile(name))),
        delete(() -> writer(who, () -> api.respond(() -> removeFile(who, name)))));
  }

  private Route secretRoutes(Identity who, String name) {
    return concat(
        put(() -> writer(who, () -> entity(Unmarshaller.entityToString(),
            body -> api.respond(() -> putSecret(who, name, body))))),
        get(() -> api.respond(() -> showSecret(name))),
        delete(() -> writer(who, () -> api.respond(() -> removeSecret(who, name)))));
  }

  // ---- files --------------------------------------------------------------------------------

  private HttpResponse putFile(Identity who, String name, String body) {
    if (FileDefinition.invalidName(name).isPresent()) {
      return OperatorApi.problem(400, "invalid-name", "Invalid name", FileDefinition.invalidName(name).get());
    }
    FileRequest request;
    try {
      request = OperatorApi.readJson(body, FileRequest.class);
    } catch (JsonProcessingException e) {
      request = null;
    }
    if (request == null || request.path() == null || request.source() == null || request.source().kind() == null
        || request.selector() == null) {
      return OperatorApi.malformed("expected {\"path\", \"selector\": {...}, \"source\": {\"kind\": "
          + "\"static\"|\"template\"|\"generated\", ...}, optional \"owner\", \"group\", \"mode\", \"delivery\", \"reload\"}");
    }
    FileDefinition definition;
    try {
      definition = definition(name, request);
    } catch (IllegalArgumentException e) {
      return OperatorApi.problem(400, "invalid-file", "Invalid secure file", e.getMessage());
    }
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    return this.<FileDefinition>ask(replyTo -> new FileCatalog.PutFile(definition, replyTo), stored -> {
      LOG.info("{} put secure file {} v{} ({}, {} at {}, for {})", who, stored.name(), stored.version(),
          stored.source().kind(), stored.delivery().name().toLowerCase(Locale.ROOT), stored.path(), stored.selector());
      services.local().refreshNow();
      return OperatorApi.json(200, fileBody(stored));
    }, "invalid-file", "Invalid secure file");
  }

  /** {@code list}, or empty for none; a null in it is refused. */
  private static List<String> listOf(List<String> list, String what) {
    if (list == null) {
      return List.of();
    }
    if (list.contains(null)) {
      throw new IllegalArgumentException(what + " may not hold null");
    }
    return list;
  }

  /** Builds the definition, encrypting any content at once and wiping the plaintext. */
  private FileDefinition definition(String name, FileRequest request) {
    FileDefinition.Delivery delivery = switch (request.delivery() == null ? "tmpfs" : request.delivery()) {
      case "tmpfs" -> FileDefinition.Delivery.TMPFS;
      case "fifo" -> FileDefinition.Delivery.FIFO;
      default -> throw new IllegalArgumentException("delivery must be tmpfs or fifo");
    };
    int mode;
    String modeText = request.mode() == null ? "0400" : request.mode();
    try {
      mode = Integer.parseInt(modeText, 8);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("mode '" + FileDefinition.printable(modeText) + "' is not octal (e.g. 0440)");
    }
    SelectorRequest s = request.selector();
    if (s.labels() != null && s.labels().containsValue(null)) {
      throw new IllegalArgumentException("selector labels may not hold null");
    }
    FileDefinition.Selector selector = new FileDefinition.Selector(
        Set.copyOf(listOf(s.nodes(), "selector nodes")), s.labels() == null ? Map.of() : s.labels(),
        Boolean.TRUE.equals(s.all()));
    FileDefinition.Source source = source(name, request.source());
    FileDefinition definition = new FileDefinition(name, 0, request.path(), request.owner() == null ? "root" : request.owner(),
        request.group() == null ? "root" : request.group(), mode, delivery,
        listOf(request.reload(), "reload"), selector, source, Instant.EPOCH);
    definition.invalid().ifPresent(why -> {
      throw new IllegalArgumentException(why);
    });
    return definition;
  }

  private FileDefinition.Source source(String name, SourceRequest source) {
    switch (source.kind()) {
      case "static" -> {
        if (source.content() == null) {
          throw new IllegalArgumentException("a static source needs \"content\", the file's bytes in base64");
        }
        byte[] content;
        try {
          content = Base64.getDecoder().decode(source.content());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("\"content\" is not base64");
        }
        try (SecretBytes plaintext = SecretBytes.adopt(content)) {
          if (plaintext.length() > FileDefinition.MAX_CONTENT_BYTES) {
            throw new IllegalArgumentException("content is " + plaintext.length() + " bytes; at most "
                + FileDefinition.MAX_CONTENT_BYTES);
          }
          return new StaticSource(ByteString.copyFrom(services.cipher().encrypt(plaintext,
              FileDefinition.contentAssociatedData(name))), plaintext.length());
        }
      }
      case "template" -> {
        if (source.text() == null) {
          throw new IllegalArgumentException("a template source needs \"text\"");
        }
        byte[] text = source.text().getBytes(StandardCharsets.UTF_8);
        try (SecretBytes plaintext = SecretBytes.copyOf(text)) {
          if (text.length > FileDefinition.MAX_CONTENT_BYTES) {
            throw new IllegalArgumentException("the template is " + text.length + " bytes; at most "
                + FileDefinition.MAX_CONTENT_BYTES);
          }
          List<Template.SecretReference> references;
          try {
            references = Template.parse(text).references();
          } catch (Template.TemplateException e) {
            throw new IllegalArgumentException("template: " + e.getMessage());
          }
          return new TemplateSource(ByteString.copyFrom(services.cipher().encrypt(plaintext,
              FileDefinition.templateAssociatedData(name))), text.length, references);
        } finally {
          Arrays.fill(text, (byte) 0);
        }
      }
      case "generated" -> {
        FileDefinition.Generator generator = switch (source.generator() == null ? "" : source.generator()) {
          case "random-password" -> FileDefinition.Generator.RANDOM_PASSWORD;
          case "random-key" -> FileDefinition.Generator.RANDOM_KEY;
          case "tls-certificate" -> FileDefinition.Generator.TLS_CERTIFICATE;
          default -> throw new IllegalArgumentException("generator must be random-password, random-key or tls-certificate");
        };
        if (generator == FileDefinition.Generator.TLS_CERTIFICATE) {
          if (source.length() != null || source.encoding() != null || source.rotateEverySeconds() != null) {
            throw new IllegalArgumentException("a tls-certificate has no length, encoding or rotateEverySeconds (it is a "
                + "PEM key and certificate, renewed two thirds into ttlSeconds)");
          }
          if (source.ttlSeconds() != null && source.ttlSeconds() <= 0) {
            throw new IllegalArgumentException("ttlSeconds must be positive");
          }
          return GeneratedSource.tlsCertificate(
              source.dnsNames() == null ? List.of(GeneratedSource.NODE_NAME) : listOf(source.dnsNames(), "dnsNames"),
              listOf(source.ipAddresses(), "ipAddresses"),
              source.ttlSeconds() == null ? GeneratedSource.DEFAULT_TTL : Duration.ofSeconds(source.ttlSeconds()));
        }
        if (source.dnsNames() != null || source.ipAddresses() != null || source.ttlSeconds() != null) {
          throw new IllegalArgumentException("only a tls-certificate has dnsNames, ipAddresses and ttlSeconds");
        }
        FileDefinition.Encoding encoding = switch (source.encoding() == null ? "base64" : source.encoding()) {
          case "base64" -> FileDefinition.Encoding.BASE64;
          case "hex" -> FileDefinition.Encoding.HEX;
          case "raw" -> FileDefinition.Encoding.RAW;
          default -> throw new IllegalArgumentException("encoding must be base64, hex or raw");
        };
        if (generator == FileDefinition.Generator.RANDOM_PASSWORD && source.encoding() != null) {
          throw new IllegalArgumentException("a random-password has no encoding (it is letters and digits)");
        }
        if (source.rotateEverySeconds() != null && source.rotateEverySeconds() <= 0) {
          throw new IllegalArgumentException("rotateEverySeconds must be positive");
        }
        return new GeneratedSource(generator, source.length() == null ? generator.defaultLength() : source.length(), encoding,
            List.of(), List.of(), source.rotateEverySeconds() == null ? Duration.ZERO
                : Duration.ofSeconds(source.rotateEverySeconds()));
      }
      default -> throw new IllegalArgumentException("source kind must be static, template or generated");
    }
  }

  private HttpResponse listFiles() {
    Catalog catalog = current();
    List<Map<String, Object>> files = new ArrayList<>();
    new TreeMap<>(catalog.files()).values().forEach(f -> files.add(fileBody(f)));
    return OperatorApi.json(200, Map.of("files", files, "revision", catalog.revision()));
  }

  private HttpResponse showFile(String name) {
    FileDefinition file = current().files().get(name);
    if (file == null) {
      return OperatorApi.problem(404, "not-found", "No such file", "no secure file '" + FileDefinition.printable(name) + "'");
    }
    return OperatorApi.json(200, fileBody(file));
  }

  private HttpResponse removeFile(Identity who, String name) {
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    return this.<Done>ask(replyTo -> new FileCatalog.RemoveFile(name, replyTo), done -> {
      LOG.info("{} removed secure file {}", who, name);
      services.local().refreshNow();
      return OperatorApi.json(200, Map.of("name", name, "removed", true));
    }, "invalid-file", "Cannot remove", Done.getInstance());
  }

  static Map<String, Object> fileBody(FileDefinition f) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", f.name());
    body.put("version", f.version());
    body.put("path", f.path());
    body.put("owner", f.owner());
    body.put("group", f.group());
    body.put("mode", String.format("%04o", f.mode()));
    body.put("delivery", f.delivery().name().toLowerCase(Locale.ROOT));
    body.put("reload", f.reload());
    Map<String, Object> selector = new LinkedHashMap<>();
    selector.put("nodes", new ArrayList<>(new java.util.TreeSet<>(f.selector().nodes())));
    selector.put("labels", new TreeMap<>(f.selector().labels()));
    selector.put("all", f.selector().all());
    body.put("selector", selector);
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("kind", f.source().kind());
    if (f.source() instanceof StaticSource s) {
      source.put("bytes", s.length());
    } else if (f.source() instanceof TemplateSource t) {
      source.put("bytes", t.length());
      source.put("secrets", new ArrayList<>(t.secrets()));
    } else if (f.source() instanceof GeneratedSource g && g.generator() == FileDefinition.Generator.TLS_CERTIFICATE) {
      source.put("generator", g.generator().label());
      source.put("dnsNames", g.dnsNames());
      source.put("ipAddresses", g.ipAddresses());
      source.put("ttlSeconds", g.ttl().toSeconds());
    } else if (f.source() instanceof GeneratedSource g) {
      source.put("generator", g.generator().label());
      source.put("length", g.length());
      if (g.generator() == FileDefinition.Generator.RANDOM_KEY) {
        source.put("encoding", g.encoding().name().toLowerCase(Locale.ROOT));
      }
      if (!g.ttl().isZero()) {
        source.put("rotateEverySeconds", g.ttl().toSeconds());
      }
    }
    body.put("source", source);
    body.put("updatedAt", f.updatedAt().toString());
    return body;
  }

  // ---- secrets ------------------------------------------------------------------------------

  private HttpResponse putSecret(Identity who, String name, String body) {
    if (FileDefinition.invalidName(name).isPresent()) {
      return OperatorApi.problem(400, "invalid-name", "Invalid name", FileDefinition.invalidName(name).get());
    }
    SecretRequest request;
    try {
      request = OperatorApi.readJson(body, SecretRequest.class);
    } catch (JsonProcessingException e) {
      request = null;
    }
    if (request == null || request.fields() == null || request.fields().isEmpty()) {
      return OperatorApi.malformed("expected {\"fields\": {\"NAME\": \"VALUE\", ...}}");
    }
    Map<String, ByteString> encrypted = new TreeMap<>();
    for (Map.Entry<String, String> field : request.fields().entrySet()) {
      if (SharedSecret.invalidField(field.getKey()).isPresent()) {
        return OperatorApi.problem(400, "invalid-secret", "Invalid secret", SharedSecret.invalidField(field.getKey()).get());
      }
      if (field.getValue() == null || field.getValue().isEmpty()) {
        return OperatorApi.problem(400, "invalid-secret", "Invalid secret", "field '" + field.getKey() + "' has no value");
      }
      byte[] value = field.getValue().getBytes(StandardCharsets.UTF_8);
      try (SecretBytes plaintext = SecretBytes.adopt(value)) {
        if (plaintext.length() > SharedSecret.MAX_VALUE_BYTES) {
          return OperatorApi.problem(400, "invalid-secret", "Invalid secret", "field '" + field.getKey() + "' is longer than "
              + SharedSecret.MAX_VALUE_BYTES + " bytes");
        }
        encrypted.put(field.getKey(), ByteString.copyFrom(services.cipher().encrypt(plaintext,
            SharedSecret.fieldAssociatedData(name, field.getKey()))));
      }
    }
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    SharedSecret secret = new SharedSecret(name, 0, encrypted, Instant.EPOCH);
    return this.<SharedSecret>ask(replyTo -> new FileCatalog.PutSecret(secret, replyTo), stored -> {
      LOG.info("{} put shared secret {} v{} (fields {})", who, stored.name(), stored.version(), stored.fields());
      services.local().refreshNow();
      return OperatorApi.json(200, secretBody(stored, null));
    }, "invalid-secret", "Invalid secret");
  }

  private HttpResponse listSecrets() {
    Catalog catalog = current();
    List<Map<String, Object>> secrets = new ArrayList<>();
    new TreeMap<>(catalog.secrets()).values().forEach(s -> secrets.add(secretBody(s, catalog.readersOf(s.name(), null))));
    return OperatorApi.json(200, Map.of("secrets", secrets, "revision", catalog.revision()));
  }

  private HttpResponse showSecret(String name) {
    Catalog catalog = current();
    SharedSecret secret = catalog.secrets().get(name);
    if (secret == null) {
      return OperatorApi.problem(404, "not-found", "No such secret", "no shared secret '" + FileDefinition.printable(name) + "'");
    }
    return OperatorApi.json(200, secretBody(secret, catalog.readersOf(name, null)));
  }

  private HttpResponse removeSecret(Identity who, String name) {
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    return this.<Done>ask(replyTo -> new FileCatalog.RemoveSecret(name, replyTo), done -> {
      LOG.info("{} removed shared secret {}", who, name);
      services.local().refreshNow();
      return OperatorApi.json(200, Map.of("name", name, "removed", true));
    }, "invalid-secret", "Cannot remove", Done.getInstance());
  }

  private static Map<String, Object> secretBody(SharedSecret s, List<String> usedBy) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", s.name());
    body.put("version", s.version());
    body.put("fields", new ArrayList<>(s.fields()));
    body.put("updatedAt", s.updatedAt().toString());
    if (usedBy != null) {
      body.put("usedBy", usedBy);
    }
    return body;
  }

  // ---- plumbing -----------------------------------------------------------------------------

  /** The catalog as the entity holds it now (reads see every write acknowledged before them). */
  private Catalog current() {
    if (!services.serving().getAsBoolean()) {
      throw new IllegalStateException("sealed");
    }
    FileCatalog.CatalogReply reply = this.<FileCatalog.CatalogReply>askCatalog(
        replyTo -> new FileCatalog.GetCatalog(-1, replyTo)).reply();
    Catalog catalog = reply.catalog().orElseThrow();
    services.local().update(catalog);
    return catalog;
  }

  private <T> HttpResponse ask(Function<ActorRef<StatusReply<T>>, FileCatalog.Command> command,
      Function<T, HttpResponse> onSuccess, String refusedType, String refusedTitle) {
    return ask(command, onSuccess, refusedType, refusedTitle, null);
  }

  /**
   * A catalog answer, and whether an earlier ask may have reached the catalog (it got no answer in
   * time, as opposed to failing at once).
   */
  private record Answer<R>(R reply, boolean askedBefore) {}

  /**
   * Asks the catalog, again while it does not answer, for up to {@link #PATIENCE} in all (each ask
   * waits up to {@link #ATTEMPT_TIMEOUT}; one that fails at once is asked again after {@link
   * #PAUSE}). While the catalog's shard hands off (its controller leaving), the region drops what it
   * buffered for it and the command never reached the entity; after a controller failed, the shard
   * starts elsewhere once the failed one is downed.
   */
  private <R> Answer<R> askCatalog(Function<ActorRef<R>, FileCatalog.Command> command) {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    boolean askedBefore = false;
    for (int attempt = 1; ; attempt++) {
      Duration timeout = Duration.ofNanos(Math.min(ATTEMPT_TIMEOUT.toNanos(), deadline - System.nanoTime()));
      long askedAt = System.nanoTime();
      String failure;
      boolean timedOut = false;
      try {
        R reply = services.catalog().get().<R>ask(command::apply, timeout).toCompletableFuture()
            .get(timeout.toMillis() + 2_000, TimeUnit.MILLISECONDS);
        return new Answer<>(reply, askedBefore);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UnavailableException("interrupted");
      } catch (Exception e) {
        Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
        timedOut = cause instanceof java.util.concurrent.TimeoutException;
        failure = timedOut ? "no answer within " + timeout : cause.getClass().getSimpleName();
      }
      askedBefore |= timedOut;
      boolean atOnce = System.nanoTime() - askedAt < PAUSE.toNanos();
      if (deadline - System.nanoTime() <= (atOnce ? 2 : 1) * PAUSE.toNanos()) { // too little left for another ask
        LOG.warn("The file catalog did not answer within {} ({} asks, the last: {}); answering 503", PATIENCE, attempt,
            failure);
        throw new UnavailableException("the file catalog did not answer in time; retry");
      }
      if (atOnce) {
        LOG.debug("The file catalog could not be asked (ask {}: {}); asking again", attempt, failure);
        try {
          Thread.sleep(PAUSE.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new UnavailableException("interrupted");
        }
      } else {
        LOG.info("The file catalog did not answer (ask {}: {}); asking again", attempt, failure);
      }
    }
  }

  /**
   * A catalog command ({@link #askCatalog}: asked again when it gets no answer). A command that did
   * reach the catalog and was applied, and is asked again, is a put stored again with the same
   * content, or, for a removal ({@code goneOnRetry} not null), a "not found" that means it is done.
   */
  private <T> HttpResponse ask(Function<ActorRef<StatusReply<T>>, FileCatalog.Command> command,
      Function<T, HttpResponse> onSuccess, String refusedType, String refusedTitle, T goneOnRetry) {
    Answer<StatusReply<T>> answer = askCatalog(command);
    StatusReply<T> reply = answer.reply();
    if (reply.isError() && answer.askedBefore() && goneOnRetry != null
        && reply.getError().getMessage().startsWith(FileCatalog.NOT_FOUND)) {
      return onSuccess.apply(goneOnRetry);
    }
    if (reply.isError()) {
      String detail = reply.getError().getMessage();
      if (detail.startsWith(FileCatalog.NOT_FOUND)) {
        return OperatorApi.problem(404, "not-found", "Not found", detail);
      }
      return OperatorApi.problem(detail.contains(FileCatalog.IN_USE) ? 409 : 400,
          detail.contains(FileCatalog.IN_USE) ? "in-use" : refusedType, refusedTitle, detail);
    }
    return onSuccess.apply(reply.getValue());
  }

  private static HttpResponse sealed() {
    return OperatorApi.problem(503, "sealed", "Sealed", "this controller is not serving yet (sealed or starting)");
  }

  private Route writer(Identity who, java.util.function.Supplier<Route> inner) {
    if (who.role().filter(WRITERS::contains).isEmpty()) {
      LOG.warn("{} was refused a change to secure files or secrets", who);
      return complete(OperatorApi.problem(403, "forbidden", "Forbidden", "this operation needs the role admin or "
          + "operator; " + who + " has the role " + who.role().map(Role::id).orElse("none")));
    }
    return inner.get();
  }

  /** The catalog could not be reached: 503, retry. */
  static final class UnavailableException extends RuntimeException {
    UnavailableException(String message) {
      super(message);
    }
  }
}
