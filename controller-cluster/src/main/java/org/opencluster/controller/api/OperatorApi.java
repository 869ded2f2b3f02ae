package org.opencluster.controller.api;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Complete;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.RouteResult;
import org.apache.pekko.http.javadsl.server.RouteResults;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.opencluster.controller.audit.AuditEvent;
import org.opencluster.controller.audit.AuditException;
import org.opencluster.controller.audit.AuditLog;
import org.opencluster.controller.seal.ControllerApprovals;
import org.opencluster.persistence.jdbc.StorageException;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.keys.SealException;
import org.opencluster.persistence.keys.StorageIntegrityException;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.pki.Certificates;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator API: HTTPS with client certificates (the TLS layer admits only operator identities
 * of this cluster), JSON in and out, errors as RFC 9457 problem documents with a stable {@code
 * type}. The caller's role comes from its certificate.
 *
 * <pre>
 * GET  /v1/sys/seal-status   any role    where the seal stands (no secret)
 * POST /v1/sys/init          admin       {"shares":5,"threshold":3} -> the unseal shares, once
 * POST /v1/sys/unseal        admin       {"share":"ocs1-..."} or {"reset":true}
 * POST /v1/sys/rotate-dek    admin       a new data key for new records
 * GET  /v1/sys/controllers   any role    controllers approved to unseal from a peer
 * PUT  /v1/sys/controllers/NAME   admin  approve controller NAME
 * DELETE /v1/sys/controllers/NAME admin  withdraw its approval
 * PUT  /v1/sys/agent-ca      admin       import the agent CA (NodeRoutes)
 * PUT  /v1/sys/service-ca    admin       import the service CA (NodeRoutes)
 * POST /v1/nodes             operator    register a node (NodeRoutes)
 * GET  /v1/nodes             any role    list and search nodes, from the read model (NodeRoutes)
 * GET  /v1/nodes/ID          any role    a node's status (NodeRoutes)
 * POST /v1/nodes/ID/quarantine|retire    admin or operator; .../release admin (NodeRoutes)
 * POST /v1/sys/read-model/rebuild        admin: the read model again from the journal (NodeRoutes)
 * PUT  /v1/nodes/ID/labels   operator    replace a node's labels (NodeRoutes)
 * /v1/files/NAME, /v1/secrets/NAME       secure files and shared secrets (FileRoutes)
 * /v1/rotating-secrets/NAME[/rotate]     rotating shared secrets (RotatingSecretRoutes)
 * GET  /v1/audit, /v1/audit/verify  admin or auditor   the audit log (AuditRoutes)
 * GET  /v1/cluster           any role    members, leader, seal state, shards per member (ClusterRoutes)
 * POST /v1/cluster/members/NAME/leave   admin: controller NAME leaves gracefully (ClusterRoutes)
 * GET  /metrics              any role    this controller's metrics, Prometheus text format
 * </pre>
 *
 * Every request is audited in one place ({@link #audited}): who (the certificate's identity), the
 * method, the path (never the query's values nor the body) and the status. A request that may change
 * something (any method but GET) first needs a stored "started" record, or it is refused (503)
 * without running; every answer waits for its outcome record, and is withheld (503) if that cannot
 * be stored. Monitoring reads (seal status, metrics, cluster status) are the exception: counted per
 * caller, path and status, one record per interval. While the controller is sealed nothing can be stored: records wait in memory and are
 * written at unseal, and requests are not held for them (init and unseal must work).
 *
 * What every route shares: the caller is an operator of this cluster (the TLS handshake refused
 * anyone else), a JSON body with a field the route does not know is refused (400 {@code
 * unknown-field}, naming it) before anything changes, a body over the route's limit is refused (413
 * {@code body-too-large}, {@link ApiSettings}), and a request that reaches a controller that is
 * shutting down, sealed or not yet serving is answered 503 with {@code Retry-After} and {@code
 * "retryable": true}: retry it, here or on another controller. Every error is a problem document
 * whose {@code type} is one of those listed in docs/operations.md.
 */
public final class OperatorApi extends AllDirectives {

  private static final Logger LOG = LoggerFactory.getLogger(OperatorApi.class);
  static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
  private static final ContentType.WithFixedCharset PROBLEM = ContentTypes.create(
      MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8));
  /** Prometheus' text exposition format, version 0.0.4. */
  private static final ContentType.NonBinary PROMETHEUS_TEXT = (ContentType.NonBinary) ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");
  private static final int DEFAULT_SHARES = 5;
  private static final int DEFAULT_THRESHOLD = 3;
  private static final Duration AUDIT_TIMEOUT = Duration.ofSeconds(10);
  /**
   * Reads that monitoring repeats every few seconds: counted per caller and written once per
   * interval ({@link AuditLog#countRead}) instead of a record each, which would flood the log.
   */
  private static final Set<String> MONITORING_READS = Set.of("/metrics", "/v1/sys/seal-status", "/v1/cluster");
  /** What a 503 asks the client to wait before retrying, in seconds. */
  static final int RETRY_AFTER_SECONDS = 2;

  private final Seal seal;
  private final ControllerApprovals approvals;
  private final String controller;
  private final boolean devMode;
  private final Executor blocking;
  private final NodeRoutes nodes;
  private final FileRoutes files;
  private final RotatingSecretRoutes rotating;
  private final AuditLog audit;
  private final AuditRoutes auditRoutes;
  private final Clock clock;
  private final ClusterRoutes cluster;
  private final Options options;

  /**
   * How this server runs.
   *
   * @param limits the largest body each route reads
   * @param shuttingDown true once the controller's Coordinated Shutdown has begun: every request is
   *     then answered 503, retryable, while the server drains
   * @param metrics the Prometheus text of this controller's metrics, for {@code GET /metrics}
   */
  /**
   * @param revoked the deny list: an operator certificate on it is refused at every request, not
   *     only at the handshake (a resumed TLS 1.3 session skips the handshake's check)
   */
  public record Options(ApiSettings limits, BooleanSupplier shuttingDown, Supplier<String> metrics,
      java.util.function.Predicate<X509Certificate> revoked) {

    /** Without a deny list (tests that build the API themselves). */
    public Options(ApiSettings limits, BooleanSupplier shuttingDown, Supplier<String> metrics) {
      this(limits, shuttingDown, metrics, certificate -> false);
    }
  }

  /**
   * @param devMode reported in seal-status, so nobody mistakes a dev controller for a real one
   * @param nodes the node registration routes and the agent CA import
   * @param rotating the rotating shared secrets' entities
   * @param audit where every request and unseal attempt is recorded, and what /v1/audit reads
   */
  public OperatorApi(Seal seal, ControllerApprovals approvals, String controller, boolean devMode, Executor blocking,
      NodeRoutes.Services nodes, FileRoutes.Services files, RotatingSecretRoutes.Services rotating,
      ClusterRoutes.Services cluster, AuditLog audit, Clock clock, Options options) {
    this.seal = seal;
    this.approvals = approvals;
    this.controller = controller;
    this.devMode = devMode;
    this.blocking = blocking;
    this.nodes = new NodeRoutes(this, nodes);
    this.files = new FileRoutes(this, files);
    this.rotating = new RotatingSecretRoutes(this, rotating);
    this.audit = audit;
    this.auditRoutes = new AuditRoutes(this, audit);
    this.clock = clock;
    this.cluster = new ClusterRoutes(this, cluster);
    this.options = options;
  }

  /** The request body of {@code POST /v1/sys/init}. */
  public record InitRequest(Integer shares, Integer threshold) {}

  /** The request body of {@code POST /v1/sys/unseal}. */
  public record UnsealRequest(String share, Boolean reset) {
    @Override
    public String toString() {
      return "UnsealRequest[share=[secret], reset=" + reset + "]";
    }
  }

  public Route routes() {
    return handleExceptions(problemExceptions(), () -> extractRequest(request -> {
      if (options.shuttingDown().getAsBoolean()) {
        return complete(shuttingDown());
      }
      Optional<Identity> caller = callerOf(request);
      // Exceptions and rejections become problem documents inside the audit, so every answer has its outcome record.
      return audited(caller, request, () -> handleExceptions(problemExceptions(), () ->
          handleRejections(problemRejections(), () -> {
            if (caller.isEmpty()) {
              return complete(problem(401, "unauthenticated", "Unauthenticated",
                  "an OpenCluster operator certificate is required"));
            }
            Identity who = caller.get();
            return concat(
                path("metrics", () -> get(() -> complete(metrics()))),
                pathPrefix("v1", () -> extractUnmatchedPath(rest -> withSizeLimit(options.limits().limitFor(rest), () ->
                    v1(who)))));
          })));
    }));
  }

  private Route v1(Identity who) {
    return concat(cluster.routes(who), nodes.routes(who), files.routes(who), rotating.routes(who), auditRoutes.routes(who), pathPrefix("sys", () -> concat(
        path("seal-status", () -> get(() -> respond(this::sealStatus))),
        path("init", () -> post(() -> admin(who, () -> entity(Unmarshaller.entityToString(),
            body -> respond(() -> init(who, body)))))),
        path("unseal", () -> post(() -> admin(who, () -> entity(Unmarshaller.entityToString(),
            body -> respond(() -> unseal(who, body)))))),
        path("rotate-dek", () -> post(() -> admin(who, () -> respond(() -> rotateDataKey(who))))),
        path("controllers", () -> get(() -> respond(this::listControllers))),
        path(segment("controllers").slash(segment()), name -> concat(
            put(() -> admin(who, () -> respond(() -> approveController(who, name)))),
            delete(() -> admin(who, () -> respond(() -> revokeController(who, name)))))))));
  }

  private HttpResponse metrics() {
    return HttpResponse.create().withStatus(200).withEntity(HttpEntities.create(PROMETHEUS_TEXT, options.metrics().get()));
  }

  // ---- the audit of every request ------------------------------------------------------------

  /**
   * The one place every request is audited (the class comment says how). The target is the path
   * only: a query's values and a body may carry what does not belong in the log.
   */
  private Route audited(Optional<Identity> caller, HttpRequest request, Supplier<Route> inner) {
    String actor = caller.map(AuditLog::actorOf).orElse("unauthenticated");
    String detail = caller.flatMap(Identity::role).map(role -> "role " + role.id()).orElse("");
    String method = request.method().value();
    String action = "api." + method.toLowerCase(Locale.ROOT);
    String target = request.getUri().path();
    Supplier<Route> withOutcome = () -> mapRouteResultWith(result -> {
      int status = result instanceof Complete complete ? complete.getResponse().status().intValue() : 500;
      return stored(new AuditEvent(clock.instant(), actor, action, target, String.valueOf(status), detail))
          .handle((seq, failure) -> failure == null ? result : RouteResults.complete(auditUnavailable(
              "the request ended with status " + status + ", but its outcome could not be audited, so the answer "
              + "is withheld")));
    }, inner);
    if (("GET".equals(method) || "HEAD".equals(method)) && MONITORING_READS.contains(target)) {
      return mapRouteResult(result -> {
        audit.countRead(actor, target, result instanceof Complete complete
            ? String.valueOf(complete.getResponse().status().intValue()) : "500");
        return result;
      }, inner);
    }
    if ("GET".equals(method) || "HEAD".equals(method)) {
      return withOutcome.get();
    }
    return onComplete(() -> stored(new AuditEvent(clock.instant(), actor, action, target, "started", detail)),
        started -> started.isSuccess() ? withOutcome.get()
            : complete(auditUnavailable("the request was not carried out: it could not be audited")));
  }

  /** Completes when {@code event} is stored; at once while sealed (it waits for the unseal in memory). */
  private CompletionStage<Long> stored(AuditEvent event) {
    CompletableFuture<Long> stored = audit.append(event);
    if (stored.isCompletedExceptionally()) {
      return stored;
    }
    if (!audit.storing()) {
      return CompletableFuture.completedFuture(0L);
    }
    return stored.orTimeout(AUDIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).whenComplete((seq, failure) -> {
      if (failure != null) {
        LOG.error("An operator request could not be audited ({} {}): {}", event.action(), event.target(),
            failure.getMessage());
      }
    });
  }

  private static HttpResponse auditUnavailable(String detail) {
    return problem(503, "audit-unavailable", "Audit log unavailable", detail + "; retry once the controller's "
        + "database is reachable (see the controller's log)");
  }

  // ---- handlers (run on the blocking dispatcher: they reach the database) --------------------

  private HttpResponse sealStatus() {
    return json(200, statusBody(seal.status()));
  }

  private HttpResponse init(Identity who, String body) {
    InitRequest request;
    try {
      request = body.isBlank() ? new InitRequest(null, null) : readJson(body, InitRequest.class);
      if (request == null) {
        request = new InitRequest(null, null);
      }
    } catch (JsonProcessingException e) {
      return malformed("expected {\"shares\": N, \"threshold\": K}");
    }
    int shares = request.shares() == null ? DEFAULT_SHARES : request.shares();
    int threshold = request.threshold() == null ? DEFAULT_THRESHOLD : request.threshold();
    if (seal.status().state() != Seal.State.UNINITIALIZED) {
      return problem(409, "already-initialized", "Already initialized",
          "this cluster's key was made by an earlier init: unseal with its shares");
    }
    List<String> issued;
    try {
      issued = seal.initialize(shares, threshold);
    } catch (SealException e) {
      if (seal.status().state() != Seal.State.UNINITIALIZED) {
        return problem(409, "already-initialized", "Already initialized",
            "another operator or controller initialized this cluster a moment ago: unseal with its shares");
      }
      return problem(400, "invalid-init", "Cannot initialize", e.getMessage());
    }
    LOG.info("{} initialized the seal: {} shares, threshold {}", who, shares, threshold);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("shares", issued);
    result.put("threshold", threshold);
    result.put("shareSetId", seal.status().shareSetId());
    return json(200, result);
  }

  private HttpResponse unseal(Identity who, String body) {
    UnsealRequest request;
    try {
      request = readJson(body, UnsealRequest.class);
    } catch (JsonProcessingException e) {
      request = null;
    }
    if (request == null) {
      return malformed("expected {\"share\": \"ocs1-...\"} or {\"reset\": true}");
    }
    Seal.State state = seal.status().state();
    if (state == Seal.State.UNINITIALIZED) {
      return problem(409, "not-initialized", "Not initialized", "run 'opencluster operator init' first");
    }
    if (Boolean.TRUE.equals(request.reset())) {
      seal.resetProgress();
      unsealAttempt(who, "reset", "progress reset");
      LOG.info("{} reset the unseal progress", who);
      return json(200, statusBody(seal.status()));
    }
    if (state == Seal.State.UNSEALED) {
      return problem(409, "already-unsealed", "Already unsealed", "this controller is already unsealed");
    }
    if (request.share() == null) {
      return malformed("expected {\"share\": \"ocs1-...\"} or {\"reset\": true}");
    }
    try {
      Seal.Status status = seal.submitShare(request.share());
      unsealAttempt(who, status.state() == Seal.State.UNSEALED ? "unsealed" : "accepted",
          status.state() == Seal.State.UNSEALED ? "threshold reached" : status.progress() + " of " + status.threshold());
      LOG.info("{} gave an unseal share: {}", who, status.state() == Seal.State.UNSEALED
          ? "unsealed" : status.progress() + " of " + status.threshold());
      if (status.state() == Seal.State.UNSEALED) {
        approveSelf();
      }
      return json(200, statusBody(status));
    } catch (SealException e) {
      unsealAttempt(who, "refused", e.getMessage());
      LOG.warn("{} gave an unseal share that was refused: {}", who, e.getMessage());
      return problem(400, "share-refused", "Share refused", e.getMessage());
    }
  }

  private HttpResponse rotateDataKey(Identity who) {
    try {
      int keyId = seal.rotateDataKey();
      LOG.info("{} rotated the data key: new records use key {}", who, keyId);
      return json(200, Map.of("activeKeyId", keyId));
    } catch (SealException e) {
      return problem(409, "sealed", "Sealed", e.getMessage());
    }
  }

  /** An unseal share given (or the progress reset): a security event of its own, whatever the answer. */
  private void unsealAttempt(Identity who, String outcome, String detail) {
    audit.record(new AuditEvent(clock.instant(), AuditLog.actorOf(who), "seal.unseal-share", "controller/" + controller,
        outcome, detail));
  }

  /** Operators unsealed this controller with their shares: it may unseal from peers from now on. */
  private void approveSelf() {
    try {
      approvals.approveIfAbsent(controller, "operators' unseal shares");
    } catch (RuntimeException e) {
      LOG.warn("Controller {} is unsealed but could not record its own approval to unseal from peers: {}",
          controller, e.getMessage());
    }
  }

  private HttpResponse listControllers() {
    List<Map<String, Object>> listed = new java.util.ArrayList<>();
    for (ControllerApprovals.Approval approval : approvals.list()) {
      listed.add(approvalBody(approval));
    }
    return json(200, Map.of("approved", listed));
  }

  private HttpResponse approveController(Identity who, String name) {
    if (!Identity.isValidName(name)) {
      return problem(400, "invalid-name", "Invalid controller name", "1..63 characters of a-z, 0-9, '.', '_', '-'");
    }
    ControllerApprovals.Approval approval = approvals.approve(name, who.toString());
    LOG.info("{} approved controller {} to receive the cluster key from its peers", who, name);
    return json(200, approvalBody(approval));
  }

  private HttpResponse revokeController(Identity who, String name) {
    if (!Identity.isValidName(name)) {
      return problem(400, "invalid-name", "Invalid controller name", "1..63 characters of a-z, 0-9, '.', '_', '-'");
    }
    if (!approvals.revoke(name)) {
      return problem(404, "not-approved", "Not approved", "controller " + name + " is not approved");
    }
    LOG.info("{} withdrew the approval of controller {}: it no longer unseals from its peers", who, name);
    return json(200, Map.of("controller", name, "approved", false));
  }

  private static Map<String, Object> approvalBody(ControllerApprovals.Approval approval) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("controller", approval.controller());
    body.put("approvedBy", approval.approvedBy());
    body.put("approvedAt", approval.approvedAt().toString());
    return body;
  }

  // ---- plumbing -----------------------------------------------------------------------------

  /** {@code inner} if {@code who} has one of the {@code allowed} roles, else 403. */
  Route roles(Identity who, Set<Role> allowed, Supplier<Route> inner) {
    if (who.role().filter(allowed::contains).isEmpty()) {
      LOG.warn("{} was refused an operation that needs one of the roles {}", who, allowed);
      return complete(problem(403, "forbidden", "Forbidden", "this operation needs the role "
          + String.join(" or ", allowed.stream().map(Role::id).sorted().toList()) + "; " + who + " has the role "
          + who.role().map(Role::id).orElse("none")));
    }
    return inner.get();
  }

  Route admin(Identity who, Supplier<Route> inner) {
    if (who.role().filter(Role.ADMIN::equals).isEmpty()) {
      LOG.warn("{} was refused an admin operation", who);
      return complete(problem(403, "forbidden", "Forbidden", "this operation needs the admin role; "
          + who + " has the role " + who.role().map(Role::id).orElse("none")));
    }
    return inner.get();
  }

  Route respond(Supplier<HttpResponse> handler) {
    CompletableFuture<HttpResponse> answer;
    try {
      answer = CompletableFuture.supplyAsync(() -> answer(handler), blocking);
    } catch (RejectedExecutionException e) {
      answer = CompletableFuture.completedFuture(shuttingDown());
    }
    return completeWithFuture(answer);
  }

  private HttpResponse answer(Supplier<HttpResponse> handler) {
    try {
      return handler.get();
    } catch (Problem e) {
      return e.response();
    } catch (StorageException e) {
      return problem(503, "storage-unavailable", "Storage unavailable",
          "the controller cannot reach its database; retry on this or another controller");
    } catch (AuditException e) {
      return problem(503, "audit-unavailable", "Audit log unavailable", e.getMessage());
    } catch (FileRoutes.UnavailableException e) {
      return problem(503, "unavailable", "Unavailable", e.getMessage());
    } catch (StorageIntegrityException e) {
      LOG.error("A stored record failed authentication while serving the operator API: {}", e.getMessage());
      return problem(500, "storage-integrity", "Stored data failed authentication", e.getMessage());
    } catch (IllegalStateException e) {
      if (!seal.isUnsealed()) {
        return problem(503, "sealed", "Sealed", "this controller is sealed: unseal it first");
      }
      LOG.error("The operator API failed", e);
      return problem(500, "internal", "Internal error", "the controller failed to serve this request; see its log");
    } catch (RuntimeException e) {
      LOG.error("The operator API failed", e);
      return problem(500, "internal", "Internal error", "the controller failed to serve this request; see its log");
    }
  }

  private Map<String, Object> statusBody(Seal.Status status) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("controller", controller);
    body.put("state", status.state().name().toLowerCase(java.util.Locale.ROOT));
    body.put("shares", status.shares());
    body.put("threshold", status.threshold());
    body.put("progress", status.progress());
    body.put("shareSetId", status.shareSetId());
    body.put("activeKeyId", status.activeKeyId());
    body.put("dataKeys", status.dataKeys());
    if (devMode) {
      body.put("devMode", true);
    }
    return body;
  }

  /** The operator identity the TLS session proved, if any. */
  private Optional<Identity> callerOf(HttpRequest request) {
    return request.getAttribute(AttributeKeys.sslSession).flatMap(info -> {
      try {
        Certificate[] chain = info.getSession().getPeerCertificates();
        X509Certificate leaf = (X509Certificate) chain[0];
        // The handshake checked the chain; a resumed session did not check it again, so what can
        // change since (the deny list, the end of validity) is checked at every request.
        leaf.checkValidity(java.util.Date.from(clock.instant()));
        if (options.revoked().test(leaf)) {
          LOG.warn("Refused a request from {}: its certificate is on the deny list", CertificateValidator.sanitize(
              leaf.getSubjectX500Principal().getName()));
          return Optional.empty();
        }
        Identity identity = Certificates.identityOf(leaf);
        return identity.kind() == Identity.Kind.OPERATOR ? Optional.of(identity) : Optional.empty();
      } catch (SSLPeerUnverifiedException | CertificateException e) {
        return Optional.empty();
      }
    });
  }

  /** {@code text} with control characters replaced and its length bounded, fit for a problem's detail. */
  static String printable(String text) {
    return CertificateValidator.sanitize(text);
  }

  /**
   * Reads a request body as {@code type}, refusing any field {@code type} does not have.
   *
   * @throws Problem 400 {@code unknown-field}, naming the field (its path in the body)
   * @throws JsonProcessingException if the body is not JSON of that shape
   */
  static <T> T readJson(String body, Class<T> type) throws JsonProcessingException {
    try {
      return JSON.readValue(body, type);
    } catch (UnrecognizedPropertyException e) {
      StringBuilder field = new StringBuilder();
      for (com.fasterxml.jackson.databind.JsonMappingException.Reference step : e.getPath()) {
        if (step.getFieldName() != null) {
          field.append(field.length() == 0 ? "" : ".").append(fieldName(step.getFieldName()));
        } else {
          field.append('[').append(step.getIndex()).append(']');
        }
      }
      Map<String, Object> extensions = new LinkedHashMap<>();
      extensions.put("field", field.toString());
      throw new Problem(problem(400, "unknown-field", "Unknown field",
          "the request has a field '" + field + "' this route does not take; nothing was changed", extensions));
    }
  }

  /** A field name as it may be echoed: 64 printable ASCII characters at most. */
  private static String fieldName(String name) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < name.length() && out.length() < 64; i++) {
      char c = name.charAt(i);
      out.append(c >= 0x20 && c < 0x7f && c != '\'' ? c : '?');
    }
    return out.toString();
  }

  /** An answer decided deep in a handler: {@link #respond} sends its problem. */
  static final class Problem extends RuntimeException {
    private final transient HttpResponse response;

    Problem(HttpResponse response) {
      super(null, null, false, false);
      this.response = response;
    }

    HttpResponse response() {
      return response;
    }
  }

  private static HttpResponse shuttingDown() {
    return problem(503, "shutting-down", "Shutting down",
        "this controller is shutting down; retry on another controller");
  }

  static HttpResponse malformed(String expected) {
    return problem(400, "malformed-request", "Malformed request", expected);
  }

  static HttpResponse json(int status, Object body) {
    try {
      return HttpResponse.create().withStatus(status)
          .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, JSON.writeValueAsString(body)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render a response", e);
    }
  }

  /**
   * An RFC 9457 problem document; {@code type} is stable and documented. A 503 is retryable: it
   * carries {@code Retry-After} and {@code "retryable": true}.
   */
  static HttpResponse problem(int status, String type, String title, String detail) {
    return problem(status, type, title, detail, Map.of());
  }

  /** A problem with extension members (such as the {@code field} an {@code unknown-field} names). */
  static HttpResponse problem(int status, String type, String title, String detail, Map<String, Object> extensions) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "https://opencluster.dev/problems/" + type);
    body.put("title", title);
    body.put("status", status);
    body.put("detail", detail);
    body.putAll(extensions);
    HttpResponse response;
    try {
      response = HttpResponse.create().withStatus(status).withEntity(HttpEntities.create(PROBLEM, JSON.writeValueAsString(body)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render a problem", e);
    }
    if (status == 503 || status == 429) {
      body.put("retryable", true);
      try {
        response = response.withEntity(HttpEntities.create(PROBLEM, JSON.writeValueAsString(body)))
            .addHeader(RetryAfter.create((long) RETRY_AFTER_SECONDS));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("cannot render a problem", e);
      }
    }
    return response;
  }

  /** A body over the route's limit, read anywhere, is a 413 problem; nothing else escapes as a stack trace. */
  private ExceptionHandler problemExceptions() {
    return ExceptionHandler.newBuilder()
        .match(EntityStreamSizeException.class, e -> complete(bodyTooLarge()))
        .match(RuntimeException.class, e -> {
          LOG.error("The operator API failed", e);
          return complete(problem(500, "internal", "Internal error", "the controller failed to serve this request; see its log"));
        })
        .build();
  }

  private static HttpResponse bodyTooLarge() {
    return problem(413, "body-too-large", "Body too large",
        "the request body is larger than this route takes (opencluster.controller.api.max-body); nothing was changed");
  }

  /** Unknown paths and methods answer with problem documents too. */
  private static RejectionHandler problemRejections() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      int status = response.status().intValue();
      if (status == 413) {
        return bodyTooLarge();
      }
      String type = status == 404 ? "not-found" : status == 405 ? "method-not-allowed" : "bad-request";
      return problem(status, type, response.status().reason(), "see /v1 in the operations guide for the routes");
    });
  }
}
