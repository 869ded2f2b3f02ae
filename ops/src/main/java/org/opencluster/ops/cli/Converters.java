package org.opencluster.ops.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.opencluster.protocol.pki.Role;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Command-line value types, with errors that say what is accepted. */
public final class Converters {

  private Converters() {}

  /** {@code 90d}, {@code 24h}, {@code 30m}, {@code 45s}. */
  public static final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern FORM = Pattern.compile("([1-9][0-9]{0,6})([dhms])");

    @Override
    public Duration convert(String value) {
      Matcher m = FORM.matcher(value);
      if (!m.matches()) {
        throw new TypeConversionException("'" + value + "' is not a duration: use a whole number and a unit (d, h, m, s), e.g. 90d or 24h");
      }
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "d" -> Duration.ofDays(n);
        case "h" -> Duration.ofHours(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofSeconds(n);
      };
    }
  }

  /** A literal IPv4 or IPv6 address; never a host name (no DNS lookup happens). */
  public static final class IpAddressConverter implements ITypeConverter<InetAddress> {
    private static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    @Override
    public InetAddress convert(String value) {
      if (!IPV4.matcher(value).matches() && !IPV6.matcher(value).matches()) {
        throw new TypeConversionException("'" + value + "' is not an IP address (host names are DNS names: "
            + "--san-dns, --dns-name)");
      }
      try {
        return InetAddress.getByName(value);
      } catch (UnknownHostException e) {
        throw new TypeConversionException("'" + value + "' is not an IP address");
      }
    }
  }

  /** A literal IP address, checked as {@link IpAddressConverter} checks it, kept as it was typed. */
  public static final class IpAddressText implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      new IpAddressConverter().convert(value);
      return value;
    }
  }

  /** admin, operator or auditor. */
  public static final class RoleConverter implements ITypeConverter<Role> {
    @Override
    public Role convert(String value) {
      try {
        return Role.fromId(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
