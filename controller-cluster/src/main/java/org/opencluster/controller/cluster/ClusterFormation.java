package org.opencluster.controller.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the controller cluster is formed, and never formed twice.
 *
 * <p>Pekko's rule: the first of the seed nodes, when none of the others answers within {@code
 * seed-node-timeout}, joins itself and so forms a new cluster. A controller restarted while its
 * peers were too busy to answer in 5 s (seen during a rolling upgrade at 10,000 nodes on two cores)
 * then formed a cluster of its own beside the running one. So this controller never lists itself
 * among Pekko's seed nodes ({@code ControllerSettings.pekkoConfig}); Pekko only ever joins the
 * others, and retries for as long as it takes. If it is the first seed node, this class forms the
 * cluster itself, on two conditions checked every second once {@code seed-node-timeout} has passed
 * without a join:
 *
 * <ul>
 *   <li>no seed node answered (it is still not a member), and
 *   <li>no other controller recorded in the shared database, within {@code presence-timeout} by
 *       the database's clock, that it is a member of a cluster.
 * </ul>
 *
 * <p>Every controller that is Up records its presence (name, cluster address) every {@code
 * presence-interval} and deletes it when it leaves ({@link #forget()}); a killed controller's
 * record ages out. So a cold start of the whole cluster forms at once, a restart after a kill forms
 * at most {@code presence-timeout} later, and a restart while the others run waits for them,
 * however long they take to answer. The database unreachable: it waits (fails closed). The only
 * seed node skips the wait for the seeds, not the check.
 *
 * <p>The records also say where the cluster is: any controller that is not yet a member once
 * {@code seed-node-timeout} has passed asks Pekko to join through the configured seeds and every
 * present controller's address (again when that list grows). So the only seed node restarted
 * while the others run joins them, and so does a controller whose configured seeds are gone. A
 * record names an address only; joining it still takes a controller certificate at the TLS
 * handshake, both ways.
 *
 * <p>Checks and writes run on a thread of their own, not on a dispatcher the entities may hold.
 */
public final class ClusterFormation implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterFormation.class);
  private static final Duration CHECK_EVERY = Duration.ofSeconds(1);
  /** How often a controller that may not form the cluster says why, after the first time. */
  private static final Duration REPEAT_WAITING_LOG = Duration.ofSeconds(30);

  /** {@code opencluster.controller.cluster}'s presence settings. */
  public record Settings(Duration presenceInterval, Duration presenceTimeout) {
    public Settings {
      if (presenceInterval.isNegative() || presenceInterval.isZero()) {
        throw new IllegalArgumentException("opencluster.controller.cluster.presence-interval must be positive; got "
            + presenceInterval);
      }
      if (presenceTimeout.compareTo(presenceInterval.multipliedBy(3)) < 0) {
        throw new IllegalArgumentException("opencluster.controller.cluster.presence-timeout must be at least three "
            + "presence-intervals (" + presenceInterval.multipliedBy(3) + "); got " + presenceTimeout);
      }
    }
  }

  /** Another controller's record: its name, cluster address and how long ago it was written. */
  public record Present(String name, String address, String appVersion, Duration age) {}

  private final Cluster cluster;
  private final Presence presence;
  private final Settings settings;
  private final String name;
  private final String appVersion;
  private final boolean firstSeed;
  private final boolean alone;
  private final List<String> configuredSeeds;
  private final Duration seedNodeTimeout;
  private final long startedNanos = System.nanoTime();
  private final ScheduledExecutorService timer;
  private final AtomicLong waits = new AtomicLong();
  private final AtomicBoolean formed = new AtomicBoolean();
  private final AtomicBoolean left = new AtomicBoolean();
  private volatile boolean member;
  private long lastWriteNanos;
  private long lastWaitLogNanos;
  /** The addresses last given to Pekko to join through (timer thread only). */
  private java.util.Set<String> joiningThrough = java.util.Set.of();

  private ClusterFormation(Cluster cluster, DataSource dataSource, Settings settings, String name, String appVersion,
      List<String> configuredSeeds, boolean firstSeed, boolean alone, Duration seedNodeTimeout) {
    this.cluster = cluster;
    this.presence = new Presence(dataSource);
    this.settings = settings;
    this.name = name;
    this.appVersion = appVersion;
    this.configuredSeeds = List.copyOf(configuredSeeds);
    this.firstSeed = firstSeed;
    this.alone = alone;
    this.seedNodeTimeout = seedNodeTimeout;
    this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "opencluster-cluster-formation");
      thread.setDaemon(true);
      return thread;
    });
  }

  /**
   * Starts forming or joining: {@code configuredSeeds} are the seed nodes Pekko was given (never
   * this controller); {@code firstSeed} says whether this controller is the first of the configured
   * seed nodes; {@code alone} whether it is the only one (it then checks at once, without waiting
   * for seeds that do not exist).
   */
  public static ClusterFormation start(Cluster cluster, DataSource dataSource, Settings settings, String name,
      String appVersion, List<String> configuredSeeds, boolean firstSeed, boolean alone, Duration seedNodeTimeout) {
    ClusterFormation formation = new ClusterFormation(cluster, dataSource, settings, name, appVersion,
        configuredSeeds, firstSeed, alone, seedNodeTimeout);
    formation.timer.scheduleWithFixedDelay(formation::tick, 0, CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    return formation;
  }

  /**
   * How many times this controller, the first seed node, found another controller present and so
   * did not form a cluster (for tests and the log).
   */
  public long waits() {
    return waits.get();
  }

  /**
   * The other controllers the database shows as members of a cluster within {@code
   * presence-timeout}. Blocks on the database.
   */
  public List<Present> others() throws SQLException {
    return presence.others(name, settings.presenceTimeout());
  }

  /** Whether this controller formed the cluster (joined itself). */
  public boolean formed() {
    return formed.get();
  }

  /**
   * This controller is leaving: its record goes, so a cold start of the whole cluster need not wait
   * for it to age out. Blocks on the database; call it from a Coordinated Shutdown task.
   */
  public void forget() {
    left.set(true);
    timer.shutdown();
    try {
      // A record being written now is written before the delete, not after it.
      timer.awaitTermination(10, TimeUnit.SECONDS);
      presence.delete(name);
    } catch (SQLException e) {
      LOG.warn("Could not delete this controller's presence record (it ages out): {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  private void tick() {
    try {
      MemberStatus status = cluster.selfMember().status();
      if (status == MemberStatus.up() || status == MemberStatus.weaklyUp()) {
        member = true;
        if (!left.get()) {
          record();
        }
      } else if (member || left.get()) {
        timer.shutdown(); // leaving or gone: no more records, nothing to form
      } else if (status == MemberStatus.removed() && !formed.get()
          && (alone || elapsed().compareTo(seedNodeTimeout) >= 0)) {
        notYetAMember(); // Removed is Pekko's status before a join; no seed answered in time
      }
    } catch (RuntimeException e) {
      LOG.warn("Cluster formation check failed (retrying): {}", e.toString());
    }
  }

  private void record() {
    long now = System.nanoTime();
    if (lastWriteNanos != 0 && now - lastWriteNanos < settings.presenceInterval().toNanos()) {
      return;
    }
    try {
      presence.record(name, cluster.selfMember().address().toString(), appVersion);
      lastWriteNanos = now;
    } catch (SQLException e) {
      LOG.warn("Could not record this controller's presence in the database: {}", e.getMessage());
    }
  }

  private void notYetAMember() {
    List<Present> others;
    try {
      others = presence.others(name, settings.presenceTimeout());
    } catch (SQLException e) {
      waits.incrementAndGet();
      logWaiting("the database did not say whether another controller is present (" + e.getMessage() + ")");
      return;
    }
    if (!others.isEmpty()) {
      joinThrough(others);
      if (firstSeed) {
        waits.incrementAndGet();
        logWaiting("the database shows " + others.size() + " other controller(s) in a cluster within "
            + settings.presenceTimeout() + " (" + others + "); joining them");
      }
      return;
    }
    if (firstSeed) {
      form(alone ? "this controller is the only seed node and no other controller was present in the database "
          + "within " + settings.presenceTimeout()
          : "no seed node answered within " + seedNodeTimeout + " and no other controller was present in the "
              + "database within " + settings.presenceTimeout());
    }
  }

  /** Asks Pekko to join through the configured seeds and the present controllers, when that list grew. */
  private void joinThrough(List<Present> others) {
    java.util.Set<String> through = new java.util.LinkedHashSet<>(configuredSeeds);
    others.forEach(present -> through.add(present.address()));
    if (joiningThrough.containsAll(through)) {
      return;
    }
    List<Address> addresses = new ArrayList<>();
    for (String address : through) {
      try {
        addresses.add(AddressFromURIString.parse(address));
      } catch (RuntimeException e) {
        LOG.warn("Ignoring a presence record whose address is not a Pekko address: {}", address);
      }
    }
    joiningThrough = through;
    LOG.info("Not yet a member after {}: joining through {}", elapsed().withNanos(0), through);
    cluster.manager().tell(new JoinSeedNodes(addresses));
  }

  private void form(String why) {
    if (formed.compareAndSet(false, true)) {
      Address self = cluster.selfMember().address();
      LOG.info("Forming a new controller cluster at {}: {}", self, why);
      cluster.manager().tell(Join.create(self));
    }
  }

  private void logWaiting(String why) {
    long now = System.nanoTime();
    if (lastWaitLogNanos == 0 || now - lastWaitLogNanos >= REPEAT_WAITING_LOG.toNanos()) {
      lastWaitLogNanos = now;
      LOG.warn("Not forming a new controller cluster after {}: {}", elapsed().withNanos(0), why);
    }
  }

  private Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  /** The {@code oc_controller_presence} table; times are the database's. */
  static final class Presence {
    private final DataSource dataSource;

    Presence(DataSource dataSource) {
      this.dataSource = dataSource;
    }

    void record(String name, String address, String appVersion) throws SQLException {
      try (Connection connection = dataSource.getConnection()) {
        try (PreparedStatement update = connection.prepareStatement("UPDATE oc_controller_presence "
            + "SET address = ?, app_version = ?, seen_at = CURRENT_TIMESTAMP WHERE name = ?")) {
          update.setString(1, address);
          update.setString(2, appVersion);
          update.setString(3, name);
          if (update.executeUpdate() > 0) {
            return;
          }
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO oc_controller_presence "
            + "(name, address, app_version, seen_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)")) {
          insert.setString(1, name);
          insert.setString(2, address);
          insert.setString(3, appVersion);
          insert.executeUpdate();
        }
      }
    }

    /** The other controllers recorded within {@code within} of the database's now. */
    List<Present> others(String self, Duration within) throws SQLException {
      List<Present> present = new ArrayList<>();
      try (Connection connection = dataSource.getConnection();
          PreparedStatement query = connection.prepareStatement("SELECT name, address, app_version, seen_at, "
              + "CURRENT_TIMESTAMP FROM oc_controller_presence WHERE name <> ? ORDER BY name")) {
        query.setString(1, self);
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) {
            Duration age = Duration.between(rows.getObject(4, OffsetDateTime.class),
                rows.getObject(5, OffsetDateTime.class));
            if (age.compareTo(within) < 0) {
              present.add(new Present(rows.getString(1), rows.getString(2), rows.getString(3),
                  age.isNegative() ? Duration.ZERO : age));
            }
          }
        }
      }
      return present;
    }

    void delete(String name) throws SQLException {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement delete = connection.prepareStatement("DELETE FROM oc_controller_presence WHERE name = ?")) {
        delete.setString(1, name);
        delete.executeUpdate();
      }
    }
  }
}
