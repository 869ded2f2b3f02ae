package org.opencluster.controller.revocation;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.opencluster.controller.audit.SecurityEvents;
import org.opencluster.controller.node.NodeEnvironment;
import org.opencluster.persistence.jdbc.SealedValues;
import org.opencluster.persistence.keys.StorageIntegrityException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.tls.DenyList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revokes certificates for the whole cluster: at once in this controller's deny list, in every
 * controller's through Distributed Data, and in the store (a sealed value per certificate), from
 * which a controller that unseals loads them, so a revocation outlives a restart of the whole
 * cluster.
 */
public final class ClusterRevocations implements NodeEnvironment.Revocations {

  static final String KIND = "revoked-certificate";
  private static final Logger LOG = LoggerFactory.getLogger(ClusterRevocations.class);

  private final DenyList denyList;
  private final ActorRef<DenyListSync.Command> sync;
  private final SealedValues store;
  private final Executor blocking;
  private final SecurityEvents audit;

  /** @param audit where each revocation is recorded */
  public ClusterRevocations(DenyList denyList, ActorRef<DenyListSync.Command> sync, SealedValues store, Executor blocking,
      SecurityEvents audit) {
    this.denyList = denyList;
    this.sync = sync;
    this.store = store;
    this.blocking = blocking;
    this.audit = audit;
  }

  @Override
  public void revoke(X509Certificate certificate) {
    RevokedCertificate revoked = RevokedCertificate.of(certificate);
    denyList.revoke(revoked.issuer(), revoked.serial());
    sync.tell(new DenyListSync.Add(Set.of(revoked.entry())));
    String target = "certificate/" + revoked.serial().toString(16);
    String detail = certificate.getSubjectX500Principal().getName() + ", issued by "
        + certificate.getIssuerX500Principal().getName();
    CompletableFuture.runAsync(() -> {
      try (SecretBytes der = SecretBytes.copyOf(certificate.getEncoded())) {
        // Recorded once, when first stored: a quarantined node's entity revokes again at each recovery.
        if (store.putIfAbsent(KIND, revoked.entry(), der)) {
          audit.record("certificate.revoke", target, "revoked", detail);
        }
      } catch (CertificateEncodingException | RuntimeException e) {
        audit.record("certificate.revoke", target, "revoked, not stored", detail);
        LOG.error("Could not store the revocation of certificate {} (it is revoked in memory and across the "
            + "cluster, but not across a full restart): {}", revoked.serial().toString(16), e.getMessage());
      }
    }, blocking);
  }

  /** Loads every stored revocation into the deny list and the cluster's; call it once unsealed, off actors' threads. */
  public int loadStored() {
    List<String> entries = store.names(KIND);
    Set<String> valid = new HashSet<>();
    for (String entry : entries) {
      try {
        RevokedCertificate revoked = RevokedCertificate.parse(entry);
        // Opening the record proves the cluster wrote it: a row added by hand is not a revocation.
        store.get(KIND, entry).ifPresent(SecretBytes::close);
        denyList.revoke(revoked.issuer(), revoked.serial());
        valid.add(entry);
      } catch (IllegalArgumentException e) {
        LOG.warn("Ignored a malformed stored revocation");
      } catch (StorageIntegrityException e) {
        LOG.error("Ignored a stored revocation that failed authentication: {}", e.getMessage());
      }
    }
    if (!valid.isEmpty()) {
      sync.tell(new DenyListSync.Add(valid));
    }
    return valid.size();
  }
}
