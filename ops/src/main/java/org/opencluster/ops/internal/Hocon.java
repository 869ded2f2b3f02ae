package org.opencluster.ops.internal;

/** Writing HOCON (the configuration files octl writes for controllers and agents). */
public final class Hocon {

  private Hocon() {}

  /** A HOCON quoted string: whatever the path holds, it stays one value. */
  public static String quote(Object value) {
    StringBuilder quoted = new StringBuilder("\"");
    for (char c : value.toString().toCharArray()) {
      switch (c) {
        case '"' -> quoted.append("\\\"");
        case '\\' -> quoted.append("\\\\");
        case '\n' -> quoted.append("\\n");
        case '\r' -> quoted.append("\\r");
        case '\t' -> quoted.append("\\t");
        default -> {
          if (c < 0x20) {
            quoted.append(String.format("\\u%04x", (int) c));
          } else {
            quoted.append(c);
          }
        }
      }
    }
    return quoted.append('"').toString();
  }
}
