package org.opencluster.controller.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.opencluster.controller.Controller;
import org.opencluster.controller.ControllerConfig;
import org.opencluster.controller.ControllerSettings;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.Role;
import org.opencluster.protocol.pki.SubjectAltNames;
import org.opencluster.protocol.testing.FreePorts;

/**
 * Real controllers for tests, in this JVM on 127.0.0.1: a cluster CA made at run time, certificate
 * files written as 'opencluster ca issue' writes them, free ports, and a configuration file per
 * controller. Closes every controller it started.
 */
public final class TestCluster implements AutoCloseable {

  private final Path directory;
  private final Clock clock;
  private final KeyPair rootKeys = EcKeys.generate();
  private final CertificateAuthority root;
  private final CertificateAuthority agentCa;
  private final KeyPair agentCaKeys = EcKeys.generate();
  private final CertificateAuthority serviceCa;
  private final KeyPair serviceCaKeys = EcKeys.generate();
  /** Thread-safe: tests may stop controllers in parallel. */
  private final List<Controller> started = new java.util.concurrent.CopyOnWriteArrayList<>();

  public TestCluster(Path directory) throws Exception {
    this(directory, Clock.systemUTC());
  }

  public TestCluster(Path directory, Clock clock) throws Exception {
    this.directory = directory;
    this.clock = clock;
    // Valid from three days ago (so an expired operator certificate can be issued, #issueExpiredOperator)
    // to 30 days from now; it issues with the present clock.
    CertificateAuthority backdated = CertificateAuthority.createRoot(rootKeys, "test-cluster", Duration.ofDays(33),
        Clock.offset(Clock.systemUTC(), Duration.ofDays(-3)));
    this.root = CertificateAuthority.load(List.of(backdated.certificate()), rootKeys.getPrivate(), Clock.systemUTC());
    this.agentCa = root.createAgentCa(agentCaKeys, Duration.ofDays(20));
    this.serviceCa = root.createServiceCa(serviceCaKeys, Duration.ofDays(20), List.of());
  }

  public CertificateAuthority root() {
    return root;
  }

  public CertificateAuthority agentCa() {
    return agentCa;
  }

  /** The agent CA's key, to hand to controllers as 'operator import-agent-ca' does. */
  public java.security.PrivateKey agentCaKey() {
    return agentCaKeys.getPrivate();
  }

  public CertificateAuthority serviceCa() {
    return serviceCa;
  }

  /** The service CA's key, to hand to controllers as 'operator import-service-ca' does. */
  public java.security.PrivateKey serviceCaKey() {
    return serviceCaKeys.getPrivate();
  }

  /** cert.pem, key.pem (0600) and ca.pem for {@code identity}, issued by {@code issuer}. */
  public Path issue(CertificateAuthority issuer, Identity identity, String directoryName) throws Exception {
    return issue(issuer, identity, directoryName, List.of());
  }

  /** As {@link #issue(CertificateAuthority, Identity, String)}; a controller's certificate also names {@code addresses}. */
  public Path issue(CertificateAuthority issuer, Identity identity, String directoryName, List<InetAddress> addresses)
      throws Exception {
    KeyPair keys = EcKeys.generate();
    List<InetAddress> named = new ArrayList<>(List.of(InetAddress.getLoopbackAddress()));
    named.addAll(addresses);
    X509Certificate certificate = issuer.issue(identity, keys.getPublic(), Duration.ofDays(7),
        identity.kind() == Identity.Kind.CONTROLLER ? new SubjectAltNames(List.of("localhost"), named) : SubjectAltNames.NONE);
    List<X509Certificate> chain = new ArrayList<>(List.of(certificate));
    if (issuer.identity().equals(Identity.AGENT_CA)) {
      chain.add(issuer.certificate());
    }
    return write(directoryName, chain, keys);
  }

  /** The files of an application's tls-certificate from the service CA (a service, not an OpenCluster identity). */
  public Path issueService(String dnsName, String directoryName) throws Exception {
    KeyPair keys = EcKeys.generate();
    X509Certificate certificate = serviceCa.issueService(keys.getPublic(), new SubjectAltNames(List.of(dnsName), List.of()),
        Duration.ofDays(1));
    return write(directoryName, List.of(certificate, serviceCa.certificate()), keys);
  }

  private Path write(String directoryName, List<X509Certificate> chain, KeyPair keys) throws Exception {
    Path out = Files.createDirectories(directory.resolve(directoryName));
    Files.writeString(out.resolve("cert.pem"), Pem.encodeCertificates(chain));
    Files.writeString(out.resolve("ca.pem"), Pem.encodeCertificates(List.of(root.certificate())));
    Path key = out.resolve("key.pem");
    Files.deleteIfExists(key);
    Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (SecretBytes pem = Pem.encodePrivateKey(keys.getPrivate())) {
      Files.write(key, pem.copyBytes());
    }
    return out;
  }

  public Path issueOperator(String name, Role role) throws Exception {
    return issue(root, Identity.operator(name, role), "operator-" + name);
  }

  /** An operator certificate of this cluster whose validity ended a day ago (issued as if two days ago). */
  public Path issueExpiredOperator(String name, Role role) throws Exception {
    CertificateAuthority past = CertificateAuthority.load(List.of(root.certificate()), rootKeys.getPrivate(),
        Clock.offset(Clock.systemUTC(), Duration.ofDays(-2)));
    KeyPair keys = EcKeys.generate();
    X509Certificate certificate = past.issue(Identity.operator(name, role), keys.getPublic(), Duration.ofDays(1),
        SubjectAltNames.NONE);
    return write("operator-" + name, List.of(certificate), keys);
  }

  /** The configuration of a controller: its files, fresh ports, the given seeds and storage. */
  public Config controllerConfig(String name, int clusterPort, List<Integer> seedPorts, StorageSettings storage)
      throws Exception {
    return controllerConfig(name, "127.0.0.1", clusterPort,
        seedPorts.stream().map(p -> "127.0.0.1:" + p).toList(), storage);
  }

  /**
   * As {@link #controllerConfig(String, int, List, StorageSettings)}, every listener bound to
   * {@code host} (an address of a network namespace the test made), its certificate naming it too,
   * and the seed nodes as {@code host:port}.
   */
  public Config controllerConfig(String name, String host, int clusterPort, List<String> seedAddresses,
      StorageSettings storage) throws Exception {
    Path files = issue(root, Identity.controller(name), name,
        host.equals("127.0.0.1") ? List.of() : List.of(InetAddress.getByName(host)));
    String seeds = seedAddresses.stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(", "));
    String storageConfig = switch (storage.vendor()) {
      case H2 -> "opencluster.storage { type = h2, h2.path = \"" + directory.resolve("shared-h2") + "\" }";
      case POSTGRESQL -> "opencluster.storage { type = postgresql, postgresql { url = \"" + storage.jdbcUrl()
          + "\", user = \"" + storage.user() + "\", password = \"\" } }";
    };
    return ConfigFactory.parseString("""
        opencluster.controller {
          name = "%s"
          # Tests may unseal an H2 store with a key made at run time.
          dev-mode = %s
          data-dir = "%s"
          tls { certificate = "%s", key = "%s", ca = "%s", reload-interval = 1s }
          cluster { host = "%s", port = %d, seed-nodes = [%s] }
          health { host = "%s", port = %d }
          api { host = "%s", port = %d }
          edge { host = "%s", port = 0 }
          # Real timers far out: tests move time through the entities' timer commands.
          node { heartbeat-interval = 5m, deadline-grace = 1m, lease-duration = 20m }
          # A stall of a loaded test machine would count as a change of the controller cluster,
          # and a test that expects one from something else could pass for that reason. On in
          # CongestionIT.
          cluster.congestion-lag = 0s
        }
        %s
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
        pekko.loglevel = INFO
        """.formatted(name, storage.vendor() == StorageSettings.Vendor.H2 ? "on" : "off", directory.resolve(name + "-data"), files.resolve("cert.pem"), files.resolve("key.pem"),
        files.resolve("ca.pem"), host, clusterPort, seeds, host, freePort(), host, freePort(), host, storageConfig));
  }

  /** Starts a controller, sealed, from {@link #controllerConfig}. */
  public Controller start(Config deployment) throws Exception {
    return start(deployment, org.opencluster.controller.rotation.Rotators.standard());
  }

  /** As {@link #start(Config)}, with the rotator kinds of {@code rotators} (tests add instrumented ones). */
  public Controller start(Config deployment, org.opencluster.controller.rotation.Rotators rotators) throws Exception {
    Config config = ControllerConfig.load(deployment);
    Controller controller = Controller.start(ControllerSettings.create(config), config, clock, rotators);
    started.add(controller);
    return controller;
  }

  /** Stops {@code controller} gracefully (Coordinated Shutdown: shards hand off). */
  public void stop(Controller controller) throws Exception {
    started.remove(controller);
    controller.close();
  }

  @Override
  public void close() throws Exception {
    for (Controller controller : List.copyOf(started)) {
      stop(controller);
    }
  }

  /** Initializes {@code controller}'s seal (5 shares, threshold 3) and unseals it with 3 of them, as operators do. */
  public static void unsealByOperators(ApiTestClient admin, Controller controller) throws Exception {
    ApiTestClient.Reply init = admin.post(controller.apiPort(), "/v1/sys/init", "{\"shares\":5,\"threshold\":3}");
    if (init.status() != 200) {
      throw new IllegalStateException("init refused: " + init.body());
    }
    for (int i = 0; i < 3; i++) {
      String share = init.body().path("shares").get(i).asText();
      ApiTestClient.Reply unseal = admin.post(controller.apiPort(), "/v1/sys/unseal", "{\"share\":\"" + share + "\"}");
      if (unseal.status() != 200) {
        throw new IllegalStateException("share refused: " + unseal.body());
      }
    }
    if (!controller.seal().isUnsealed()) {
      throw new IllegalStateException("still sealed after three shares");
    }
  }

  /** How many members {@code controller} sees up. */
  public static int upMembers(Controller controller) {
    int up = 0;
    for (Member member : Cluster.get(controller.system()).state().getMembers()) {
      if (member.status().equals(MemberStatus.up())) {
        up++;
      }
    }
    return up;
  }

  /** The ids of the entities of type {@code key} that run on {@code controller}. */
  public static Set<String> localEntities(Controller controller, EntityTypeKey<?> key) {
    try {
      ShardRegion.CurrentShardRegionState state = AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
              ClusterSharding.get(controller.system()).shardState(),
              replyTo -> new GetShardRegionState(key, replyTo), Duration.ofSeconds(10), controller.system().scheduler())
          .toCompletableFuture().get();
      Set<String> ids = new HashSet<>();
      state.getShards().forEach(shard -> ids.addAll(shard.getEntityIds()));
      return ids;
    } catch (Exception e) {
      throw new IllegalStateException("the shard region of " + key.name() + " did not answer", e);
    }
  }

  /** A loopback port nothing listens on; see {@link FreePorts}. */
  public static int freePort() {
    return FreePorts.loopback();
  }
}
