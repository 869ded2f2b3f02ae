package org.opencluster.protocol.pki;

import java.util.List;

/**
 * What each kind of certificate in the cluster looks like and who may issue it. The certificate
 * authority issues by these rules and the validator enforces them, so a certificate that breaks
 * them is refused even when its signature is good:
 *
 * <pre>
 * root CA      self-signed     CA, path length 1   keyCertSign, cRLSign
 * agent CA     by the root     CA, path length 0   keyCertSign, cRLSign   clientAuth only; name
 *                                                  constraints: no real DNS name, no IP address
 * service CA   by the root     CA, path length 0   keyCertSign, cRLSign   serverAuth, clientAuth;
 *                                                  name constraints: the DNS domains it was made for
 * service      by service CA   end entity          digitalSignature       serverAuth, clientAuth;
 *                                                  DNS names and IP addresses, no identity
 * controller   by the root     end entity          digitalSignature       serverAuth, clientAuth
 * operator     by the root     end entity          digitalSignature       clientAuth
 * node         by the agent CA end entity          digitalSignature       clientAuth
 * </pre>
 *
 * Node certificates come only from the agent CA, and controller and operator certificates only
 * from the root: the agent CA's key, which controllers use online, can never mint a controller or
 * an administrator. Nor can it mint a TLS server certificate that any standard TLS client would
 * accept: its own certificate limits it to clientAuth and to names that resolve nowhere.
 *
 * <p>The service CA's key is online too (controllers make the nodes' {@code tls-certificate}
 * files with it). What it signs carries no OpenCluster identity, and the validator refuses any
 * identity it did not get from the CA its profile names, so a service certificate never
 * authenticates to a controller, an agent or the operator API. *
 * <p>A node certificate is for clients only. Pekko's Artery also opens connections towards an
 * agent, where the agent's TLS engine acts as server; the edge checks that peer with its own
 * validator as a {@link Usage#TLS_CLIENT}, because it is the same node authenticating.
 */
public enum CertificateProfile {
  ROOT_CA(Identity.Kind.CA, 1, List.of(), null),
  AGENT_CA(Identity.Kind.CA, 0, List.of(Usage.TLS_CLIENT), Identity.ROOT_CA),
  SERVICE_CA(Identity.Kind.CA, 0, List.of(Usage.TLS_SERVER, Usage.TLS_CLIENT), Identity.ROOT_CA),
  CONTROLLER(Identity.Kind.CONTROLLER, -1, List.of(Usage.TLS_SERVER, Usage.TLS_CLIENT), Identity.ROOT_CA),
  OPERATOR(Identity.Kind.OPERATOR, -1, List.of(Usage.TLS_CLIENT), Identity.ROOT_CA),
  NODE(Identity.Kind.NODE, -1, List.of(Usage.TLS_CLIENT), Identity.AGENT_CA);

  /** What an end-entity certificate is used for, as an extended key usage. */
  public enum Usage {
    TLS_SERVER("1.3.6.1.5.5.7.3.1"),
    TLS_CLIENT("1.3.6.1.5.5.7.3.2");

    private final String oid;

    Usage(String oid) {
      this.oid = oid;
    }

    public String oid() {
      return oid;
    }
  }

  private final Identity.Kind kind;
  private final int pathLength;
  private final List<Usage> usages;
  private final Identity issuer;

  CertificateProfile(Identity.Kind kind, int pathLength, List<Usage> usages, Identity issuer) {
    this.kind = kind;
    this.pathLength = pathLength;
    this.usages = usages;
    this.issuer = issuer;
  }

  /** The profile a certificate for {@code identity} must follow. */
  public static CertificateProfile forIdentity(Identity identity) {
    return switch (identity.kind()) {
      case CA -> identity.equals(Identity.ROOT_CA) ? ROOT_CA
          : identity.equals(Identity.SERVICE_CA) ? SERVICE_CA : AGENT_CA;
      case CONTROLLER -> CONTROLLER;
      case OPERATOR -> OPERATOR;
      case NODE -> NODE;
    };
  }

  public boolean isCa() {
    return kind == Identity.Kind.CA;
  }

  /** For CAs: how many CA certificates may follow it in a path. */
  public int pathLength() {
    return pathLength;
  }

  /**
   * The extended key usages it carries: for end entities, what they are for; for the agent CA,
   * what anything below it may be for (empty: no limit).
   */
  public List<Usage> usages() {
    return usages;
  }

  /** The identity of the CA that must issue it; {@code null} for the self-signed root. */
  public Identity issuer() {
    return issuer;
  }
}
