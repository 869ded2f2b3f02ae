package org.opencluster.controller.audit;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code opencluster.controller.audit} (reference.conf says what each does).
 *
 * @param queueCapacity records waiting to be written, at most
 * @param refusalInterval refusals are counted and written once per kind per interval
 * @param headLogInterval how often the newest record's place and chain hash go to the controller's log
 * @param queryScanLimit records one query reads, at most, to find its matches
 */
public record AuditSettings(int queueCapacity, Duration refusalInterval, Duration headLogInterval, int queryScanLimit) {

  public AuditSettings {
    if (queueCapacity < 16) {
      throw new IllegalArgumentException("opencluster.controller.audit.queue-capacity must be at least 16");
    }
    if (refusalInterval.isNegative() || refusalInterval.isZero() || headLogInterval.isNegative() || headLogInterval.isZero()) {
      throw new IllegalArgumentException("opencluster.controller.audit intervals must be positive");
    }
    if (queryScanLimit < 100) {
      throw new IllegalArgumentException("opencluster.controller.audit.query-scan-limit must be at least 100");
    }
  }

  public static AuditSettings create(Config config) {
    Config c = config.getConfig("opencluster.controller.audit");
    return new AuditSettings(c.getInt("queue-capacity"), c.getDuration("refusal-interval"),
        c.getDuration("head-log-interval"), c.getInt("query-scan-limit"));
  }
}
