package org.opencluster.protocol.pki;

import java.util.Locale;

/** What an operator may do; carried in the operator certificate's identity. */
public enum Role {
  /** Everything, including init, unseal and key rotation. */
  ADMIN,
  /** Day-to-day fleet work: nodes, files, secrets. */
  OPERATOR,
  /** Read-only, including the audit log. */
  AUDITOR;

  /** The lower-case name used in identities and on the command line. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** @throws IllegalArgumentException naming the accepted roles */
  public static Role fromId(String id) {
    for (Role role : values()) {
      if (role.id().equals(id)) {
        return role;
      }
    }
    throw new IllegalArgumentException("unknown role '" + CertificateValidator.sanitize(id) + "': expected admin, operator or auditor");
  }
}
