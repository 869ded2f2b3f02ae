package org.opencluster.protocol.pki;

import java.net.InetAddress;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Host names and addresses a controller (or a node serving TLS) is reached at, added to its
 * certificate next to its identity URI.
 */
public record SubjectAltNames(List<String> dnsNames, List<InetAddress> ipAddresses) {

  public static final SubjectAltNames NONE = new SubjectAltNames(List.of(), List.of());

  private static final Pattern DNS_NAME =
      Pattern.compile("(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

  public SubjectAltNames {
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    for (String name : dnsNames) {
      if (!DNS_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("not a DNS name: '" + name + "'");
      }
    }
  }

  public boolean isEmpty() {
    return dnsNames.isEmpty() && ipAddresses.isEmpty();
  }
}
