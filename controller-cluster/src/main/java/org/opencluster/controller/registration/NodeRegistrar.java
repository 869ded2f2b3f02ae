package org.opencluster.controller.registration;

import com.google.protobuf.ByteString;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.pattern.StatusReply;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.node.NodeEnvironment;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.CertificateIssuanceException;
import org.opencluster.protocol.pki.CertificateRequest;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.SubjectAltNames;

/**
 * Registers a node: signs its certificate from the operator's certificate request (the node's key
 * pair was made on the operator's side; no controller ever holds it), creates its entity, and
 * returns what the node's bootstrap bundle needs. Blocking: call it off the actors' threads.
 */
public final class NodeRegistrar {

  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);

  /** What to register. */
  public record Request(String nodeId, String name, Map<String, String> labels, Duration lifetime, String csrPem,
      NodeEntity.Bootstrap bootstrap) {}

  /** What the bundle needs: the node certificate and its chain, the cluster root, the edges. */
  public record Registered(String nodeId, Instant lifetimeEndsAt, List<X509Certificate> chain,
      List<X509Certificate> roots, List<String> edges) {}

  /** A registration refused, with a message for the operator. */
  public static final class Refused extends Exception {
    private final int status;

    Refused(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }

    /** The HTTP status the refusal maps to. */
    public int status() {
      return status;
    }
  }

  private final OnlineCa agentCa;
  private final ClusterSharding sharding;
  private final List<X509Certificate> roots;
  private final List<String> edges;
  private final NodeEnvironment.Revocations revocations;
  private final Duration maxLifetime;

  public NodeRegistrar(OnlineCa agentCa, ClusterSharding sharding, List<X509Certificate> roots, List<String> edges,
      NodeEnvironment.Revocations revocations, Duration maxLifetime) {
    this.maxLifetime = maxLifetime;
    this.agentCa = agentCa;
    this.sharding = sharding;
    this.roots = List.copyOf(roots);
    this.edges = List.copyOf(edges);
    this.revocations = revocations;
  }

  public Registered register(Request request) throws Refused {
    if (!Identity.isValidName(request.nodeId())) {
      throw new Refused(400, "invalid node id '" + request.nodeId() + "': 1..63 characters of a-z, 0-9, '.', '_', '-'");
    }
    CertificateRequest csr;
    try {
      csr = Pem.decodeCertificateRequest(request.csrPem());
    } catch (CertificateException | RuntimeException e) {
      throw new Refused(400, "the certificate request is not a PEM PKCS#10 request: " + e.getMessage());
    }
    CertificateAuthority ca = agentCa.current().orElseThrow(() -> new Refused(409,
        "no agent CA: an admin imports it once with 'opencluster operator import-agent-ca --dir CA_DIR'"));
    // Everything that can refuse is checked before a certificate exists: a refusal after signing
    // would leave a revocation behind, in every controller's deny list, for good.
    Optional<String> invalid = NodeEntity.invalidRegistration(request.name(), request.labels(), request.lifetime(),
        maxLifetime);
    if (invalid.isPresent()) {
      throw new Refused(400, invalid.get());
    }
    EntityRef<NodeEntity.Command> node = sharding.entityRefFor(NodeEntity.ENTITY_KEY, request.nodeId());
    NodeEntity.Stage stage = status(node).stage();
    if (stage != NodeEntity.Stage.UNREGISTERED) {
      throw new Refused(409, "node " + request.nodeId() + " is already registered (" + stage.name().toLowerCase(Locale.ROOT)
          + ")" + (stage == NodeEntity.Stage.RETIRED ? "; register the host under a new id" : ""));
    }
    X509Certificate certificate;
    try {
      certificate = ca.issue(csr, Identity.node(request.nodeId()), request.lifetime(), SubjectAltNames.NONE);
    } catch (CertificateIssuanceException e) {
      throw new Refused(400, e.getMessage());
    }
    ByteString der = der(certificate);
    StatusReply<NodeEntity.Registration> reply;
    try {
      reply = node.<StatusReply<NodeEntity.Registration>>ask(replyTo -> new NodeEntity.Register(request.name(),
              request.labels(), request.lifetime(), der, request.bootstrap(), replyTo), ASK_TIMEOUT)
          .toCompletableFuture().get(ASK_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      // The entity may have registered the node and only the answer been lost: look before revoking.
      Optional<NodeEntity.NodeFacts> facts = status(node).facts().filter(f -> f.certificate().equals(der));
      if (facts.isEmpty()) {
        revocations.revoke(certificate);
        throw new Refused(503, "the node's entity did not answer in time; retry");
      }
      reply = StatusReply.success(new NodeEntity.Registration(request.nodeId(), facts.get().registeredAt(),
          facts.get().lifetimeEndsAt()));
    }
    if (reply.isError()) {
      // The certificate never reached anyone but this request's sender; revoke it all the same.
      revocations.revoke(certificate);
      throw new Refused(409, reply.getError().getMessage());
    }
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(certificate);
    chain.add(ca.certificate());
    return new Registered(request.nodeId(), reply.getValue().lifetimeEndsAt(), chain, roots, edges);
  }

  private static NodeEntity.NodeStatus status(EntityRef<NodeEntity.Command> node) throws Refused {
    try {
      return node.<NodeEntity.NodeStatus>ask(NodeEntity.GetStatus::new, ASK_TIMEOUT).toCompletableFuture()
          .get(ASK_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Refused(503, "interrupted");
    } catch (ExecutionException | TimeoutException e) {
      throw new Refused(503, "the node's entity did not answer in time; retry");
    }
  }


  private static ByteString der(X509Certificate certificate) {
    try {
      return ByteString.copyFrom(certificate.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("a certificate just issued cannot be encoded", e);
    }
  }
}
