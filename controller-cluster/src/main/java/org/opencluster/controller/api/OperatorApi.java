package org.opencluster.controller.api;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
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
 * GET  /v1/nodes/ID          any role    a node's status (NodeRoutes)
 * PUT  /v1/nodes/ID/labels   operator    replace a node's labels (NodeRoutes)
 * /v1/files/NAME, /v1/secrets/NAME       secure files and shared secrets (FileRoutes)
 * GET  /v1/audit, /v1/audit/verify  admin or auditor   the audit log (AuditRoutes)
 * </pre>
 *
 * Every request is audited in one place ({@link #audited}): who (the certificate's identity), the
 * method, the path (never the query's values nor the body) and the status. A request that may change
 * something (any method but GET) first needs a stored "started" record, or it is refused (503)
 * without running; every answer waits for its outcome record, and is withheld (503) if that cannot
 * be stored. While the controller is sealed nothing can be stored: records wait in memory and are
 * written at unseal, and requests are not held for them (init and unseal must work).
 *
 * The management issue builds the rest of the API on this server.
 */
public final class OperatorApi extends AllDirectives {

  private static final Logger LOG = LoggerFactory.getLogger(OperatorApi.class);
  static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
  private static final ContentType.WithFixedCharset PROBLEM = ContentTypes.create(
      MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8));
  private static final int DEFAULT_SHARES = 5;
  private static final int DEFAULT_THRESHOLD = 3;
  private static final Duration AUDIT_TIMEOUT = Duration.ofSeconds(10);

  private final Seal seal;
  private final ControllerApprovals approvals;
  private final String controller;
  private final boolean devMode;
  private final Executor blocking;
  private final NodeRoutes nodes;
  private final FileRoutes files;
  private final AuditLog audit;
  private final AuditRoutes auditRoutes;
  private final Clock clock;

  /**
   * @param devMode reported in seal-status, so nobody mistakes a dev controller for a real one
   * @param nodes the node registration routes and the agent CA import
   * @param audit where every request and unseal attempt is recorded, and what /v1/audit reads
   */
  public OperatorApi(Seal seal, ControllerApprovals approvals, String controller, boolean devMode, Executor blocking,
      NodeRoutes.Services nodes, FileRoutes.Services files, AuditLog audit, Clock clock) {
    this.seal = seal;
    this.approvals = approvals;
    this.controller = controller;
    this.devMode = devMode;
    this.blocking = blocking;
    this.nodes = new NodeRoutes(this, nodes);
    this.files = new FileRoutes(this, files);
    this.audit = audit;
    this.auditRoutes = new AuditRoutes(this, audit);
    this.clock = clock;
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
    return extractRequest(request -> {
      Optional<Identity> caller = callerOf(request);
      return audited(caller, request, () -> handleRejections(problemRejections(), () -> caller.isPresent()
          ? v1(caller.get())
          : complete(problem(401, "unauthenticated", "Unauthenticated", "an OpenCluster operator certificate is required"))));
    });
  }

  private Route v1(Identity who) {
    return pathPrefix("v1", () -> concat(nodes.routes(who), files.routes(who), auditRoutes.routes(who),
        pathPrefix("sys", () -> concat(
          path("seal-status", () -> get(() -> respond(this::sealStatus))),
          path("init", () -> post(() -> admin(who, () -> entity(Unmarshaller.entityToString(),
              body -> respond(() -> init(who, body)))))),
          path("unseal", () -> post(() -> admin(who, () -> entity(Unmarshaller.entityToString(),
              body -> respond(() -> unseal(who, body)))))),
          path("rotate-dek", () -> post(() -> admin(who, () -> respond(() -> rotateDataKey(who))))),
          path("controllers", () -> get(() -> respond(this::listControllers))),
          path(segment("controllers").slash(segment()), name -> concat(
              put(() -> admin(who, () -> respond(() -> approveController(who, name)))),
              delete(() -> admin(who, () -> respond(() -> revokeController(who, name))))))))));
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
      request = body.isBlank() ? new InitRequest(null, null) : JSON.readValue(body, InitRequest.class);
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
      request = JSON.readValue(body, UnsealRequest.class);
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
    return completeWithFuture(CompletableFuture.supplyAsync(() -> {
      try {
        return handler.get();
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
    }, blocking));
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
  private static Optional<Identity> callerOf(HttpRequest request) {
    return request.getAttribute(AttributeKeys.sslSession).flatMap(info -> {
      try {
        Certificate[] chain = info.getSession().getPeerCertificates();
        Identity identity = Certificates.identityOf((X509Certificate) chain[0]);
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

  /** An RFC 9457 problem document; {@code type} is stable and documented. */
  static HttpResponse problem(int status, String type, String title, String detail) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "https://opencluster.dev/problems/" + type);
    body.put("title", title);
    body.put("status", status);
    body.put("detail", detail);
    try {
      return HttpResponse.create().withStatus(status).withEntity(HttpEntities.create(PROBLEM, JSON.writeValueAsString(body)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render a problem", e);
    }
  }

  /** Unknown paths and methods answer with problem documents too. */
  private static RejectionHandler problemRejections() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      int status = response.status().intValue();
      String type = status == 404 ? "not-found" : status == 405 ? "method-not-allowed" : "bad-request";
      return problem(status, type, response.status().reason(), "see /v1 in the operations guide for the routes");
    });
  }
}
