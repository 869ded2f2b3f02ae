package org.opencluster.controller.cluster;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.cluster.ConfigValidation;
import org.apache.pekko.cluster.Invalid;
import org.apache.pekko.cluster.JoinConfigCompatChecker;
import org.apache.pekko.cluster.Valid;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The check at join that keeps a mixed-version cluster working: Pekko runs it on the member a
 * controller joins through (with the joiner's declarations) and on the joiner (with the member's),
 * and a controller that fails it is not admitted: it stops at start, with the reasons in its log,
 * instead of failing in production.
 *
 * <p>Each build declares, per format that crosses between controllers ({@code journal}: events and
 * snapshots another controller recovers; {@code cluster-messages}: commands and replies between
 * controllers), the schema it writes and the range it reads ({@code opencluster.compatibility} in
 * reference.conf; set by the build, never by an operator). Two controllers may share a cluster only
 * when each reads what the other writes. A new event type therefore ships in two releases: one that
 * reads it (and still writes the old), rolled out everywhere, then one that writes it. A
 * declaration missing (a build from before this check) counts as schema 1.
 *
 * <p>Settings that must be equal across members (the number of shards decides where every entity
 * lives; remember-entities and the Split Brain Resolver's strategy must agree) are compared when
 * both sides declare them.
 */
public final class CompatibilityCheck extends JoinConfigCompatChecker {

  /** The formats with a schema, under {@code opencluster.compatibility}. */
  static final List<String> FORMATS = List.of("journal", "cluster-messages");
  /** Settings every member must have equal. */
  static final List<String> MUST_MATCH = List.of(
      "pekko.cluster.sharding.number-of-shards",
      "pekko.cluster.sharding.remember-entities",
      "pekko.cluster.split-brain-resolver.active-strategy");
  private static final String PREFIX = "opencluster.compatibility.";

  @Override
  public scala.collection.immutable.Seq<String> requiredKeys() {
    List<String> keys = new ArrayList<>();
    for (String format : FORMATS) {
      keys.add(PREFIX + format + ".writes");
      keys.add(PREFIX + format + ".reads-from");
      keys.add(PREFIX + format + ".reads-to");
    }
    keys.addAll(MUST_MATCH);
    return CollectionConverters.asScala(keys).toList();
  }

  @Override
  public ConfigValidation check(Config toCheck, Config actualConfig) {
    List<String> problems = problems(toCheck, actualConfig);
    return problems.isEmpty() ? Valid.getInstance() : new Invalid(CollectionConverters.asScala(problems).toList());
  }

  /** Why a controller declaring {@code other} cannot share a cluster with one declaring {@code own}; empty: it can. */
  static List<String> problems(Config other, Config own) {
    List<String> problems = new ArrayList<>();
    for (String format : FORMATS) {
      Schema theirs = Schema.of(other, format);
      Schema ours = Schema.of(own, format);
      if (!ours.reads(theirs.writes())) {
        problems.add(format + ": the other controller writes schema " + theirs.writes() + ", this one reads only "
            + ours.range() + " (upgrade through a release that reads " + theirs.writes() + " first)");
      }
      if (!theirs.reads(ours.writes())) {
        problems.add(format + ": this controller writes schema " + ours.writes() + ", the other reads only "
            + theirs.range() + " (upgrade through a release that reads " + ours.writes() + " first)");
      }
    }
    for (String key : MUST_MATCH) {
      if (other.hasPath(key) && own.hasPath(key) && !other.getValue(key).unwrapped().equals(own.getValue(key).unwrapped())) {
        problems.add(key + " differs: " + other.getValue(key).unwrapped() + " there, " + own.getValue(key).unwrapped()
            + " here; every controller of a cluster must have the same");
      }
    }
    return problems;
  }

  /** This build's declarations, for its start line: "journal writes 1 reads 1, cluster-messages ...". */
  public static String describe(Config config) {
    List<String> parts = new ArrayList<>();
    for (String format : FORMATS) {
      Schema schema = Schema.of(config, format);
      parts.add(format + " writes " + schema.writes() + " reads " + schema.range());
    }
    for (String key : MUST_MATCH) {
      if (config.hasPath(key)) {
        parts.add(key.substring(key.lastIndexOf('.') + 1) + " " + config.getValue(key).unwrapped());
      }
    }
    return String.join(", ", parts);
  }

  /** What one build writes and reads of one format. */
  record Schema(int writes, int readsFrom, int readsTo) {
    static Schema of(Config config, String format) {
      String path = PREFIX + format;
      return new Schema(value(config, path + ".writes"), value(config, path + ".reads-from"),
          value(config, path + ".reads-to"));
    }

    private static int value(Config config, String key) {
      return config.hasPath(key) ? config.getInt(key) : 1;
    }

    boolean reads(int schema) {
      return schema >= readsFrom && schema <= readsTo;
    }

    String range() {
      return readsFrom == readsTo ? Integer.toString(readsFrom) : readsFrom + ".." + readsTo;
    }
  }
}
