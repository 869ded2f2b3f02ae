package org.opencluster.controller.api;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.pattern.StatusReply;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.registration.OnlineCa;
import org.opencluster.controller.registration.NodeRegistrar;
import org.opencluster.controller.view.NodeView;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes' part of the operator API: importing the agent CA and the service CA, registering a
 * node, listing and searching nodes (the read model), a node's status, and its transitions.
 *
 * <pre>
 * PUT  /v1/sys/agent-ca   admin              {"certificate": PEM, "key": PEM}
 * PUT  /v1/sys/service-ca admin              {"certificate": PEM, "key": PEM}: signs tls-certificate files
 * POST /v1/sys/read-model/rebuild admin      empty the node view and its offset; the projection replays the journal
 * POST /v1/nodes          admin or operator  {"id", "name", "labels", "lifetimeSeconds", "csr", "bootstrap"} -> 201 bundle
 * GET  /v1/nodes          any role           ?state=S&label=k=v...&name-prefix=P&limit=N&after=CURSOR
 *                                            -> {"nodes": [...], "next": CURSOR} from the read model, in id order
 * GET  /v1/nodes/ID       any role           the node's stage, facts, liveness, session, files (no secret)
 * PUT  /v1/nodes/ID/labels admin or operator {"labels": {...}}: the node's secure files follow
 * POST /v1/nodes/ID/quarantine admin or operator {"reason": text}: deemed compromised, certificate revoked
 * POST /v1/nodes/ID/release admin            a quarantined node is retired, to be wiped and provisioned anew
 * POST /v1/nodes/ID/retire admin or operator ends the node's life, certificate revoked
 * </pre>
 *
 * Refusals: 400 for a bad id, body or filter, 403 for the role, 404 for a node nobody registered,
 * 409 for a transition the node's stage refuses, 503 while sealed.
 */
public final class NodeRoutes extends AllDirectives {

  private static final Logger LOG = LoggerFactory.getLogger(NodeRoutes.class);
  private static final Set<Role> ADMIN_OR_OPERATOR = EnumSet.of(Role.ADMIN, Role.OPERATOR);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(15);
  /** Pause, clear, resume: each management step may take ProjectionManagement's operation timeout (10 s). */
  private static final Duration REBUILD_TIMEOUT = Duration.ofSeconds(45);
  private static final int MAX_REASON = 500;

  /** What the routes need from the controller. */
  public record Services(OnlineCa agentCa, OnlineCa serviceCa, NodeRegistrar registrar, ClusterSharding sharding,
      BooleanSupplier serving, NodeView view) {}

  /** The body of {@code POST /v1/nodes/ID/quarantine}. */
  public record QuarantineRequest(String reason) {}

  /** The body of {@code PUT /v1/sys/agent-ca} and {@code PUT /v1/sys/service-ca}. */
  public record AgentCaRequest(String certificate, String key) {
    @Override
    public String toString() {
      return "AgentCaRequest[key=[secret]]";
    }
  }

  /** The body of {@code POST /v1/nodes}. */
  public record RegisterRequest(String id, String name, Map<String, String> labels, Long lifetimeSeconds, String csr,
      String bootstrap) {}

  private final OperatorApi api;
  private final Services services;

  NodeRoutes(OperatorApi api, Services services) {
    this.api = api;
    this.services = services;
  }

  Route routes(Identity who) {
    return concat(
        path(segment("sys").slash("agent-ca"), () -> put(() -> api.admin(who, () ->
            entity(Unmarshaller.entityToString(), body -> api.respond(() -> importCa(who, body, services.agentCa())))))),
        path(segment("sys").slash("service-ca"), () -> put(() -> api.admin(who, () ->
            entity(Unmarshaller.entityToString(), body -> api.respond(() -> importCa(who, body, services.serviceCa())))))),
        path(segment("sys").slash("read-model").slash("rebuild"), () -> post(() -> api.admin(who, () ->
            api.respond(() -> rebuild(who))))),
        path("nodes", () -> concat(
            post(() -> roles(who, ADMIN_OR_OPERATOR, () ->
                entity(Unmarshaller.entityToString(), body -> api.respond(() -> register(who, body))))),
            get(() -> parameterMultiMap(parameters -> api.respond(() -> list(parameters)))))),
        path(segment("nodes").slash(segment()), id -> get(() -> api.respond(() -> status(id)))),
        path(segment("nodes").slash(segment()).slash("quarantine"), id -> post(() -> roles(who, ADMIN_OR_OPERATOR, () ->
            entity(Unmarshaller.entityToString(), body -> api.respond(() -> quarantine(who, id, body)))))),
        path(segment("nodes").slash(segment()).slash("release"), id -> post(() -> api.admin(who, () ->
            api.respond(() -> transition(who, id, "released", NodeEntity.Stage.RETIRED, NodeEntity.Release::new))))),
        path(segment("nodes").slash(segment()).slash("retire"), id -> post(() -> roles(who, ADMIN_OR_OPERATOR, () ->
            api.respond(() -> transition(who, id, "retired", NodeEntity.Stage.RETIRED,
                replyTo -> new NodeEntity.Retire(who.toString(), replyTo)))))),
        path(segment("nodes").slash(segment()).slash("labels"), id -> put(() -> roles(who, ADMIN_OR_OPERATOR, () ->
            entity(Unmarshaller.entityToString(), body -> api.respond(() -> setLabels(who, id, body)))))));
  }

  private HttpResponse importCa(Identity who, String body, OnlineCa onlineCa) {
    String problem = "invalid-" + onlineCa.label().toLowerCase(java.util.Locale.ROOT).replace(' ', '-');
    String title = "Invalid " + onlineCa.label();
    AgentCaRequest request;
    try {
      request = OperatorApi.readJson(body, AgentCaRequest.class);
    } catch (JsonProcessingException e) {
      request = null;
    }
    if (request == null || request.certificate() == null || request.key() == null) {
      return OperatorApi.malformed("expected {\"certificate\": PEM, \"key\": PEM}");
    }
    X509Certificate certificate;
    PrivateKey key;
    try (SecretBytes keyPem = SecretBytes.copyOf(request.key().getBytes(StandardCharsets.US_ASCII))) {
      List<X509Certificate> certificates = Pem.decodeCertificates(request.certificate());
      certificate = certificates.get(0);
      key = Pem.decodePrivateKey(keyPem);
    } catch (GeneralSecurityException | RuntimeException e) {
      return OperatorApi.problem(400, problem, title,
          "the certificate or the key is not readable PEM (the key unencrypted PKCS#8)");
    }
    CertificateAuthority ca;
    try {
      ca = onlineCa.importCa(certificate, key);
    } catch (IllegalArgumentException e) {
      return OperatorApi.problem(400, problem, title, e.getMessage());
    }
    LOG.info("{} imported the {} (serial {})", who, onlineCa.label(), ca.certificate().getSerialNumber().toString(16));
    return OperatorApi.json(200, Map.of("subject", ca.certificate().getSubjectX500Principal().getName(),
        "serial", ca.certificate().getSerialNumber().toString(16),
        "notAfter", ca.certificate().getNotAfter().toInstant().toString()));
  }

  private HttpResponse register(Identity who, String body) {
    RegisterRequest request;
    try {
      request = OperatorApi.readJson(body, RegisterRequest.class);
    } catch (JsonProcessingException e) {
      request = null;
    }
    if (request == null || request.id() == null || request.name() == null || request.csr() == null
        || request.lifetimeSeconds() == null) {
      return OperatorApi.malformed(
          "expected {\"id\", \"name\", \"labels\", \"lifetimeSeconds\", \"csr\", \"bootstrap\": \"reusable\"|\"single-use\"}");
    }
    NodeEntity.Bootstrap bootstrap;
    String policy = request.bootstrap() == null ? "reusable" : request.bootstrap();
    switch (policy) {
      case "reusable" -> bootstrap = NodeEntity.Bootstrap.REUSABLE;
      case "single-use" -> bootstrap = NodeEntity.Bootstrap.SINGLE_USE;
      default -> {
        return OperatorApi.problem(400, "invalid-node", "Invalid node", "bootstrap must be reusable or single-use");
      }
    }
    if (request.lifetimeSeconds() <= 0) {
      return OperatorApi.problem(400, "invalid-node", "Invalid node", "lifetimeSeconds must be positive");
    }
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    NodeRegistrar.Registered registered;
    try {
      registered = services.registrar().register(new NodeRegistrar.Request(request.id(), request.name(),
          request.labels() == null ? Map.of() : request.labels(), Duration.ofSeconds(request.lifetimeSeconds()),
          request.csr(), bootstrap));
    } catch (NodeRegistrar.Refused e) {
      return OperatorApi.problem(e.status(), e.status() == 409 ? "conflict" : e.status() == 503 ? "unavailable"
          : "invalid-node", "Registration refused", e.getMessage());
    }
    LOG.info("{} registered node {} ({}), lifetime until {}, bootstrap {}", who, registered.nodeId(), request.name(),
        registered.lifetimeEndsAt(), policy);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("id", registered.nodeId());
    result.put("lifetimeEndsAt", registered.lifetimeEndsAt().toString());
    result.put("certificate", Pem.encodeCertificates(registered.chain()));
    result.put("ca", Pem.encodeCertificates(registered.roots()));
    result.put("edges", registered.edges());
    return OperatorApi.json(201, result);
  }

  private HttpResponse status(String id) {
    if (!Identity.isValidName(id)) {
      return invalidId();
    }
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    NodeEntity.NodeStatus status;
    try {
      status = services.sharding().entityRefFor(NodeEntity.ENTITY_KEY, id)
          .ask(NodeEntity.GetStatus::new, ASK_TIMEOUT).toCompletableFuture()
          .get(ASK_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OperatorApi.problem(503, "unavailable", "Unavailable", "interrupted");
    } catch (Exception e) {
      return OperatorApi.problem(503, "unavailable", "Unavailable", "the node's entity did not answer in time; retry");
    }
    if (status.stage() == NodeEntity.Stage.UNREGISTERED) {
      return OperatorApi.problem(404, "not-found", "No such node", "node " + id + NodeEntity.NOT_REGISTERED);
    }
    return OperatorApi.json(200, statusBody(id, status));
  }

  /** The body of {@code PUT /v1/nodes/ID/labels}. */
  public record LabelsRequest(Map<String, String> labels) {}

  private HttpResponse setLabels(Identity who, String id, String body) {
    if (!Identity.isValidName(id)) {
      return invalidId();
    }
    LabelsRequest request;
    try {
      request = OperatorApi.readJson(body, LabelsRequest.class);
    } catch (JsonProcessingException e) {
      request = null;
    }
    if (request == null || request.labels() == null) {
      return OperatorApi.malformed("expected {\"labels\": {\"key\": \"value\", ...}}");
    }
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    Map<String, String> labels = request.labels();
    StatusReply<Done> reply = ask(id, replyTo -> new NodeEntity.SetLabels(labels, replyTo));
    if (reply.isError()) {
      String detail = reply.getError().getMessage();
      return OperatorApi.problem(detail.endsWith(NodeEntity.NOT_REGISTERED) ? 404 : 400,
          detail.endsWith(NodeEntity.NOT_REGISTERED) ? "not-found" : "invalid-labels", "Labels refused", detail);
    }
    LOG.info("{} set the labels of node {} to {}", who, id, new java.util.TreeMap<>(labels));
    return OperatorApi.json(200, Map.of("id", id, "labels", new java.util.TreeMap<>(labels)));
  }

  private HttpResponse list(Map<String, List<String>> parameters) {
    NodeView.Query query;
    try {
      query = NodeView.Query.parse(parameters);
    } catch (NodeView.InvalidQuery e) {
      return OperatorApi.problem(400, "invalid-query", "Invalid query", e.getMessage());
    }
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    NodeView.Page page = services.view().list(query);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("nodes", page.nodes().stream().map(NodeRoutes::listed).toList());
    page.next().ifPresent(next -> body.put("next", next));
    return OperatorApi.json(200, body);
  }

  private static Map<String, Object> listed(NodeView.Node node) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", node.id());
    body.put("name", node.name());
    body.put("labels", node.labels());
    body.put("stage", node.stage());
    node.quarantineReason().ifPresent(reason -> body.put("quarantineReason", reason));
    body.put("registeredAt", node.registeredAt().toString());
    body.put("lifetimeEndsAt", node.lifetimeEndsAt().toString());
    put(body, "certificateNotAfter", node.certificateNotAfter());
    put(body, "lastHeartbeatBucket", node.heartbeatBucket());
    body.put("updatedAt", node.updatedAt().toString());
    return body;
  }

  private HttpResponse quarantine(Identity who, String id, String body) {
    if (!Identity.isValidName(id)) {
      return invalidId();
    }
    QuarantineRequest request;
    try {
      request = OperatorApi.JSON.readValue(body, QuarantineRequest.class);
    } catch (JsonProcessingException e) {
      request = null;
    }
    if (request == null || request.reason() == null || request.reason().isBlank()) {
      return OperatorApi.malformed("expected {\"reason\": \"why the node is deemed compromised\"}");
    }
    String reason = request.reason().strip();
    if (reason.length() > MAX_REASON || reason.chars().anyMatch(Character::isISOControl)) {
      return OperatorApi.problem(400, "invalid-reason", "Invalid reason",
          "the reason is one line of at most " + MAX_REASON + " characters");
    }
    String detail = "quarantined by " + who + ": " + reason;
    return transition(who, id, "quarantined", NodeEntity.Stage.QUARANTINED,
        replyTo -> new NodeEntity.Quarantine(NodeEntity.QuarantineReason.OPERATOR, detail, replyTo));
  }

  /**
   * Asks node {@code id} to move to {@code stage}; the entity decides. A node nobody registered is
   * 404; a stage that refuses the move is 409 with the entity's reason.
   */
  private HttpResponse transition(Identity who, String id, String done, NodeEntity.Stage stage,
      Function<ActorRef<StatusReply<Done>>, NodeEntity.Command> command) {
    if (!Identity.isValidName(id)) {
      return invalidId();
    }
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    StatusReply<Done> reply = ask(id, command);
    if (reply.isError()) {
      String detail = reply.getError().getMessage();
      if (detail.endsWith(NodeEntity.NOT_REGISTERED)) {
        return OperatorApi.problem(404, "not-found", "No such node", detail);
      }
      LOG.info("{} was refused: node {} not {}: {}", who, id, done, detail);
      return OperatorApi.problem(409, "conflict", "Refused", detail);
    }
    LOG.info("{} {} node {}", who, done, id);
    return OperatorApi.json(200, Map.of("id", id, "stage", stage.name().toLowerCase(java.util.Locale.ROOT)));
  }

  private StatusReply<Done> ask(String id, Function<ActorRef<StatusReply<Done>>, NodeEntity.Command> command) {
    try {
      return services.sharding().entityRefFor(NodeEntity.ENTITY_KEY, id).ask(command::apply, ASK_TIMEOUT)
          .toCompletableFuture().get(ASK_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FileRoutes.UnavailableException("interrupted");
    } catch (Exception e) {
      throw new FileRoutes.UnavailableException("the node's entity did not answer in time; retry");
    }
  }

  private HttpResponse rebuild(Identity who) {
    if (!services.serving().getAsBoolean()) {
      return sealed();
    }
    try {
      services.view().rebuild().toCompletableFuture().get(REBUILD_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FileRoutes.UnavailableException("interrupted");
    } catch (Exception e) {
      LOG.warn("{} asked to rebuild the read model; it failed: {}", who, e.getMessage());
      throw new FileRoutes.UnavailableException("the read model's projection did not pause and resume in time "
          + "(it starts after unseal); retry");
    }
    LOG.info("{} rebuilt the read model: node_view and its offset cleared, the projection replays the journal", who);
    return OperatorApi.json(202, Map.of("rebuilding", true));
  }

  private static HttpResponse invalidId() {
    return OperatorApi.problem(400, "invalid-name", "Invalid node id", "1..63 characters of a-z, 0-9, '.', '_', '-'");
  }

  private static HttpResponse sealed() {
    return OperatorApi.problem(503, "sealed", "Sealed", "this controller is not serving nodes yet (sealed or starting)");
  }

  static Map<String, Object> statusBody(String id, NodeEntity.NodeStatus status) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", id);
    body.put("stage", status.stage().name().toLowerCase(java.util.Locale.ROOT));
    status.facts().ifPresent(facts -> {
      body.put("name", facts.name());
      body.put("labels", facts.labels());
      body.put("registeredAt", facts.registeredAt().toString());
      body.put("lifetimeEndsAt", facts.lifetimeEndsAt().toString());
      body.put("bootstrap", facts.bootstrap() == NodeEntity.Bootstrap.SINGLE_USE ? "single-use" : "reusable");
    });
    status.since().ifPresent(since -> body.put("since", since.toString()));
    status.quarantineReason().ifPresent(reason -> body.put("quarantineReason", reason.name().toLowerCase(java.util.Locale.ROOT)));
    if (!status.detail().isEmpty()) {
      body.put("detail", status.detail());
    }
    put(body, "lastHeartbeatAt", status.liveness().lastHeartbeatAt());
    put(body, "heartbeatDeadlineAt", status.liveness().deadlineAt());
    put(body, "leaseExpiresAt", status.liveness().leaseExpiresAt());
    status.session().ifPresent(session -> body.put("session",
        Map.of("bootId", session.bootId(), "openedAt", session.openedAt().toString())));
    List<Map<String, Object>> files = new java.util.ArrayList<>();
    for (NodeEntity.FileStatus file : status.files()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("name", file.name());
      entry.put("version", file.version());
      entry.put("result", file.result().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
      if (!file.detail().isEmpty()) {
        entry.put("detail", file.detail());
      }
      files.add(entry);
    }
    body.put("files", files);
    return body;
  }

  private static void put(Map<String, Object> body, String key, Optional<Instant> value) {
    value.ifPresent(v -> body.put(key, v.toString()));
  }

  private Route roles(Identity who, Set<Role> allowed, Supplier<Route> inner) {
    return api.roles(who, allowed, inner);
  }
}
