package org.opencluster.controller;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.opencluster.controller.cluster.ClusterFormation;
import org.opencluster.controller.node.NodeSettings;
import org.opencluster.controller.seal.KeyCustodian;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.protocol.pki.Identity;

/**
 * A controller's configuration ({@code opencluster.controller}, see reference.conf and
 * docs/controller.example.conf), read once at start.
 */
public record ControllerSettings(String name, boolean devMode, Path dataDirectory, Path certificateFile, Path keyFile,
    Path caFile, Duration tlsReloadInterval, Endpoint cluster, List<Endpoint> seedNodes,
    ClusterFormation.Settings formation, Duration congestionLag, Endpoint health, Endpoint api,
    Endpoint edge, List<Endpoint> edgeAddresses, SealSettings seal, NodeSettings nodes, StorageSettings storage,
    FileSettings files, String appVersion, EdgeRouting edgeRouting) {

  /**
   * {@code opencluster.controller.edge}: how agents are moved between controllers.
   *
   * @param advertise host:port agents know this edge by; empty: the bound host:port
   * @param balanceInterval zero: no balancing
   */
  public record EdgeRouting(String advertise, Duration drainTimeout, Duration balanceInterval, int maxMovesPerRound,
      int maxTrackedAgents) {}

  /** {@code opencluster.controller.files}. */
  public record FileSettings(Duration catalogRefreshInterval, Duration resendAfter, int maxSetsPerSecond,
      int maxSetsPerSecondAfterClusterChange, Duration slowerAfterClusterChange) {
    public FileSettings {
      if (maxSetsPerSecond < 0) {
        throw new IllegalArgumentException("opencluster.controller.files.max-sets-per-second must be 0 (no limit) or "
            + "more; got " + maxSetsPerSecond);
      }
      if (maxSetsPerSecondAfterClusterChange < 1) {
        throw new IllegalArgumentException("opencluster.controller.files.max-sets-per-second-after-cluster-change must "
            + "be 1 or more; got " + maxSetsPerSecondAfterClusterChange);
      }
      if (slowerAfterClusterChange.isNegative()) {
        throw new IllegalArgumentException("opencluster.controller.files.slower-after-cluster-change must not be "
            + "negative; got " + slowerAfterClusterChange);
      }
    }
  }

  /** {@code opencluster.controller.seal}. */
  public record SealSettings(Duration dataKeyRotationInterval, Duration keyRingRefreshInterval,
      Duration unsealProgressTimeout, boolean unsealFromPeers, KeyCustodian.Policy giveKeyTo,
      Duration keyRequestMaxSkew) {}

  /** The actor system's name: every controller of a cluster uses the same one. */
  public static final String SYSTEM_NAME = "opencluster";

  /** A host and a port. */
  public record Endpoint(String host, int port) {
    static Endpoint parse(String value, String setting) {
      int colon = value.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException(setting + ": expected host:port, got '" + value + "'");
      }
      try {
        return new Endpoint(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(setting + ": expected host:port, got '" + value + "'");
      }
    }

    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  /**
   * Reads the controller's settings.
   *
   * @throws IllegalArgumentException naming the setting to fix
   */
  public static ControllerSettings create(Config config) {
    Config c = config.getConfig("opencluster.controller");
    String name = c.getString("name");
    if (!Identity.isValidName(name)) {
      throw new IllegalArgumentException("opencluster.controller.name must be set to this controller's name "
          + "(as in its certificate, opencluster://controller/<name>); got '" + name + "'");
    }
    Path dataDirectory = Path.of(c.getString("data-dir"));
    List<Endpoint> seeds = new ArrayList<>();
    for (String seed : c.getStringList("cluster.seed-nodes")) {
      seeds.add(Endpoint.parse(seed, "opencluster.controller.cluster.seed-nodes"));
    }
    Endpoint self = new Endpoint(c.getString("cluster.host"), c.getInt("cluster.port"));
    if (seeds.isEmpty()) {
      seeds.add(self);
    }
    Endpoint edge = new Endpoint(c.getString("edge.host"), c.getInt("edge.port"));
    List<Endpoint> edgeAddresses = new ArrayList<>();
    for (String address : c.getStringList("edge.addresses")) {
      edgeAddresses.add(Endpoint.parse(address, "opencluster.controller.edge.addresses"));
    }
    SealSettings seal = new SealSettings(
        positive(c, "seal.data-key-rotation-interval"), positive(c, "seal.key-ring-refresh-interval"),
        config.getDuration("opencluster.persistence.unseal-progress-timeout"),
        c.getBoolean("seal.unseal-from-peers"), policy(c.getString("seal.give-key-to")),
        positive(c, "seal.key-request-max-skew"));
    return new ControllerSettings(name, c.getBoolean("dev-mode"), dataDirectory,
        path(c, "tls.certificate"), path(c, "tls.key"), path(c, "tls.ca"), positive(c, "tls.reload-interval"),
        self, List.copyOf(seeds),
        new ClusterFormation.Settings(positive(c, "cluster.presence-interval"), positive(c, "cluster.presence-timeout")),
        congestionLag(c.getDuration("cluster.congestion-lag")),
        new Endpoint(c.getString("health.host"), c.getInt("health.port")),
        new Endpoint(c.getString("api.host"), c.getInt("api.port")),
        edge, List.copyOf(edgeAddresses), seal, NodeSettings.create(config), StorageSettings.create(config, dataDirectory),
        new FileSettings(positive(c, "files.catalog-refresh-interval"), positive(c, "files.resend-after"),
            c.getInt("files.max-sets-per-second"),
            // Never above the budget itself: a deployment that lowered max-sets-per-second below 50 keeps it.
            Math.min(c.getInt("files.max-sets-per-second-after-cluster-change"),
                c.getInt("files.max-sets-per-second") == 0 ? Integer.MAX_VALUE : c.getInt("files.max-sets-per-second")),
            c.getDuration("files.slower-after-cluster-change")),
        appVersion(c.getString("app-version")), advertisedAmong(edgeRouting(c), edge, edgeAddresses));
  }

  /**
   * The edge's advertised address must be one of {@code edge.addresses} when they are listed: an
   * agent follows a redirect only to an edge of its bundle, so no agent could be sent to this one.
   * (With port 0 and no {@code advertise}, the address is known only once bound: not checked.)
   */
  private static EdgeRouting advertisedAmong(EdgeRouting routing, Endpoint edge, List<Endpoint> addresses) {
    String known = !routing.advertise().isEmpty() ? routing.advertise() : edge.port() != 0 ? edge.toString() : null;
    if (known != null && !addresses.isEmpty() && addresses.stream().map(Endpoint::toString).noneMatch(known::equals)) {
      throw new IllegalArgumentException("opencluster.controller.edge.advertise: this controller's edge is known as "
          + known + ", which is not one of edge.addresses " + addresses + ", so no agent could be redirected to it; "
          + "set edge.advertise to its entry there");
    }
    return routing;
  }

  private static EdgeRouting edgeRouting(Config c) {
    String advertise = c.getString("edge.advertise");
    if (!advertise.isEmpty()) {
      Endpoint.parse(advertise, "opencluster.controller.edge.advertise");
    }
    Duration balance = c.getDuration("edge.balance-interval");
    if (balance.isNegative()) {
      throw new IllegalArgumentException("opencluster.controller.edge.balance-interval must not be negative");
    }
    int moves = c.getInt("edge.max-moves-per-round");
    int tracked = c.getInt("edge.max-tracked-agents");
    if (moves < 0 || tracked < 1) {
      throw new IllegalArgumentException("opencluster.controller.edge.max-moves-per-round must be 0 or more and "
          + "max-tracked-agents positive");
    }
    return new EdgeRouting(advertise, positive(c, "edge.drain-timeout"), balance, moves, tracked);
  }

  /** host:port agents reach this controller's edge at (its edge bound to {@code boundPort}). */
  public String advertisedEdge(int boundPort) {
    return edgeRouting.advertise().isEmpty() ? edge.host() + ":" + boundPort : edgeRouting.advertise();
  }

  /** The configured app-version, or the build's; it must read as a version (digits, dots, a qualifier). */
  private static String appVersion(String configured) {
    if (configured.isEmpty()) {
      return BuildInfo.version();
    }
    if (!configured.matches("[0-9]+(\\.[0-9]+){0,3}([-.][A-Za-z0-9]+)*")) {
      throw new IllegalArgumentException("opencluster.controller.app-version must be a version such as 1.2.3 or "
          + "1.2.3-RC1 (empty: the build's); got '" + configured + "'");
    }
    return configured;
  }

  private static KeyCustodian.Policy policy(String value) {
    return switch (value) {
      case "approved" -> KeyCustodian.Policy.APPROVED;
      case "any-controller" -> KeyCustodian.Policy.ANY_CONTROLLER;
      case "none" -> KeyCustodian.Policy.NONE;
      default -> throw new IllegalArgumentException("opencluster.controller.seal.give-key-to must be approved, "
          + "any-controller or none; got '" + value + "'");
    };
  }

  /** 0 (off) or at least a second: shorter would count the timer's own jitter as congestion. */
  private static Duration congestionLag(Duration value) {
    if (!value.isZero() && value.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("opencluster.controller.cluster.congestion-lag must be 0s (off) or at "
          + "least 1s; got " + value);
    }
    return value;
  }

  private static Duration positive(Config c, String key) {
    Duration value = c.getDuration(key);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException("opencluster.controller." + key + " must be positive; got " + value);
    }
    return value;
  }

  /**
   * Where agents reach the cluster's edges, for their bootstrap bundles: the configured list, or
   * this controller's own edge (with {@code boundPort} if it was configured as 0).
   */
  public List<String> advertisedEdges(int boundPort) {
    if (!edgeAddresses.isEmpty()) {
      return edgeAddresses.stream().map(Endpoint::toString).toList();
    }
    return List.of(edge.host() + ":" + boundPort);
  }

  /**
   * The seed nodes Pekko is given, as addresses: never this controller itself (Pekko's first seed
   * joins itself when the others are slow to answer; {@code ClusterFormation} decides instead).
   */
  public List<String> pekkoSeedAddresses() {
    return seedNodes.stream().filter(s -> !s.equals(cluster))
        .map(s -> "pekko://" + SYSTEM_NAME + "@" + s.host() + ":" + s.port()).toList();
  }

  /** Whether this controller is the first seed node: the one that may form the cluster. */
  public boolean firstSeed() {
    return seedNodes.get(0).equals(cluster);
  }

  /** Whether this controller is the only seed node: it forms the cluster at once. */
  public boolean onlySeed() {
    return seedNodes.equals(List.of(cluster));
  }

  /**
   * The Pekko settings this controller's addresses, version and database imply, over {@code
   * config}: the read model's projection speaks the database's SQL dialect.
   */
  public Config pekkoConfig(Config config) {
    List<String> seedAddresses = pekkoSeedAddresses();
    return ConfigFactory.parseMap(Map.of(
            // A leaving controller's first hand-off (Controller.EARLY_HAND_OFF_LIMIT) and asking its
            // peers (twice 3 s at most) run side by side in this phase, then its edge's drain: room
            // for the longer of the two, and for the drain.
            "pekko.coordinated-shutdown.phases.before-service-unbind.timeout",
            edgeRouting.drainTimeout().plus(Controller.EARLY_HAND_OFF_LIMIT).plusSeconds(8).toMillis() + "ms",
            "pekko.remote.artery.canonical.hostname", cluster.host(),
            "pekko.remote.artery.canonical.port", cluster.port(),
            "pekko.cluster.seed-nodes", seedAddresses,
            "pekko.cluster.app-version", appVersion,
            "pekko.management.http.hostname", health.host(),
            "pekko.management.http.port", health.port(),
            "pekko.projection.jdbc.dialect", storage.vendor() == StorageSettings.Vendor.H2 ? "h2-dialect" : "postgres-dialect"))
        .withFallback(config);
  }

  private static Path path(Config c, String key) {
    String value = c.getString(key);
    if (value.isEmpty()) {
      throw new IllegalArgumentException("opencluster.controller." + key + " must name a file "
          + "(from 'opencluster ca issue controller')");
    }
    return Path.of(value);
  }
}
