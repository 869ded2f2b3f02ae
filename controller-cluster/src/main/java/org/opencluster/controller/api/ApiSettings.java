package org.opencluster.controller.api;

import com.typesafe.config.Config;

/**
 * {@code opencluster.controller.api}: the largest request body each kind of route reads. A larger
 * one is refused with 413 before any of it is parsed.
 *
 * @param maxBodyBytes every route but the two below
 * @param maxFileBodyBytes {@code PUT /v1/files/NAME}: up to 64 KiB of content, base64, and its definition
 * @param maxSecretBodyBytes {@code PUT /v1/secrets/NAME} and {@code /v1/rotating-secrets/NAME}: up to 32
 *     fields of 16 KiB, JSON-escaped or base64
 */
public record ApiSettings(long maxBodyBytes, long maxFileBodyBytes, long maxSecretBodyBytes) {

  /** The defaults of reference.conf. */
  public static final ApiSettings DEFAULTS = new ApiSettings(64 * 1024, 256 * 1024, 1024 * 1024);

  public ApiSettings {
    if (maxBodyBytes <= 0 || maxFileBodyBytes <= 0 || maxSecretBodyBytes <= 0) {
      throw new IllegalArgumentException("opencluster.controller.api.max-body sizes must be positive");
    }
  }

  /** Reads {@code opencluster.controller.api.max-body}. */
  public static ApiSettings create(Config config) {
    Config c = config.getConfig("opencluster.controller.api.max-body");
    return new ApiSettings(c.getBytes("default"), c.getBytes("files"), c.getBytes("secrets"));
  }

  /** The limit for a request to {@code /v1} + {@code path}. */
  long limitFor(String path) {
    if (path.startsWith("/files/")) {
      return maxFileBodyBytes;
    }
    if (path.startsWith("/secrets/") || path.startsWith("/rotating-secrets/")) {
      return maxSecretBodyBytes;
    }
    return maxBodyBytes;
  }
}
