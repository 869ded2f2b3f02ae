package org.opencluster.controller;

import com.typesafe.config.Config;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.remote.artery.tcp.SSLEngineProviderSetup;
import org.opencluster.controller.api.ApiDispatcher;
import org.opencluster.controller.api.ApiSettings;
import org.opencluster.controller.api.ClusterRoutes;
import org.opencluster.controller.api.FileRoutes;
import org.opencluster.controller.audit.AuditLog;
import org.opencluster.controller.cluster.AgentBalancer;
import org.opencluster.controller.cluster.ClusterChangeWatch;
import org.opencluster.controller.cluster.ClusterFormation;
import org.opencluster.controller.cluster.CompatibilityCheck;
import org.opencluster.controller.cluster.ControllerDirectory;
import org.opencluster.controller.cluster.EarlyHandOff;
import org.opencluster.controller.audit.AuditSettings;
import org.opencluster.controller.audit.SecurityEvents;
import org.opencluster.controller.api.NodeRoutes;
import org.opencluster.controller.api.RotatingSecretRoutes;
import org.opencluster.controller.secrets.CatalogRotatorSource;
import org.opencluster.controller.secrets.SecretEntity;
import org.opencluster.controller.secrets.SecretEnvironment;
import org.opencluster.controller.secrets.ShardedSecretConsumers;
import org.opencluster.controller.node.SetBudget;
import org.opencluster.controller.rotation.Rotators;
import org.opencluster.controller.secrets.SecretSettings;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.pattern.StatusReply;
import org.opencluster.controller.files.ContentCipher;
import org.opencluster.controller.files.FileCatalog;
import org.opencluster.controller.files.LocalCatalog;
import org.opencluster.controller.node.FileSource;
import org.opencluster.controller.api.OperatorApi;
import org.opencluster.controller.edge.Edge;
import org.opencluster.controller.health.Readiness;
import org.opencluster.controller.metrics.ControllerMetrics;
import org.opencluster.controller.node.NodeEntity;
import org.opencluster.controller.node.NodeEnvironment;
import org.opencluster.controller.provisioning.ProvisionerSettings;
import org.opencluster.controller.registration.OnlineCa;
import org.opencluster.controller.registration.NodeRegistrar;
import org.opencluster.controller.revocation.ClusterRevocations;
import org.opencluster.controller.revocation.DenyListSync;
import org.opencluster.controller.seal.ControllerApprovals;
import org.opencluster.controller.seal.CustodyLog;
import org.opencluster.controller.seal.KeyCustodian;
import org.opencluster.controller.view.HeartbeatBucketWriter;
import org.opencluster.controller.view.NodeView;
import org.opencluster.controller.view.NodeViewProjection;
import org.opencluster.persistence.jdbc.SealedValues;
import org.opencluster.persistence.jdbc.StorageSettings;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.jdbc.StorageSetup;
import org.opencluster.persistence.keys.Seal;
import org.opencluster.persistence.keys.SealException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateProfile;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.tls.ArteryTls;
import org.opencluster.protocol.tls.DenyList;
import org.opencluster.protocol.tls.ReloadingTlsContext;
import org.opencluster.protocol.tls.TlsContexts;
import org.opencluster.protocol.tls.TlsPolicy;
import org.opencluster.protocol.tls.TlsRefusals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.ExecutionContextExecutor;

/**
 * One controller process: its database and seal, the Pekko cluster over mutual TLS, the key
 * custodian, the health endpoint and the operator API. It starts sealed: the node entities'
 * sharding starts when the seal opens (by operators' shares, a peer, or a dev key).
 */
public final class Controller implements AutoCloseable {

  /** How often the metrics' fleet-wide node counts are read from the read model. */
  static final Duration FLEET_COUNT_EVERY = Duration.ofSeconds(15);

  private static final Logger LOG = LoggerFactory.getLogger(Controller.class);
  private static final Duration ASK_PEERS_EVERY = Duration.ofSeconds(2);
  private static final Duration ROTATION_CHECK_EVERY = Duration.ofHours(1);
  private static final Duration EDGE_ASK_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration DESCRIBE_TIMEOUT = Duration.ofSeconds(3);
  /**
   * How long a leaving controller waits for the file catalog's shard to hand off before it
   * redirects its agents ({@link EarlyHandOff}); within a second when the cluster is healthy. Part
   * of the first phase's timeout ({@link ControllerSettings#pekkoConfig}).
   */
  public static final Duration EARLY_HAND_OFF_LIMIT = Duration.ofSeconds(5);
  /** How long requests already running may take once the operator API stops taking new ones. */
  private static final Duration API_DRAIN_DEADLINE = Duration.ofSeconds(4);

  private final ControllerSettings settings;
  private final Storage storage;
  private final Seal seal;
  private final AuditLog audit;
  private final ControllerApprovals approvals;
  private final CustodyLog custody;
  private final Readiness readiness;
  private final DenyList denyList;
  private final TlsRefusals clusterRefusals;
  private final TlsRefusals apiRefusals;
  private final TlsRefusals edgeRefusals;
  private final OnlineCa agentCa;
  private final OnlineCa serviceCa;
  private final Edge edge;
  private final ActorSystem<Void> system;
  private final ServerBinding api;
  private final int healthPort;

  private final ClusterChangeWatch clusterChanges;
  private final ClusterFormation formation;

  private Controller(ControllerSettings settings, Storage storage, Seal seal, AuditLog audit, ControllerApprovals approvals,
      CustodyLog custody, Readiness readiness, DenyList denyList, TlsRefusals clusterRefusals, TlsRefusals apiRefusals,
      TlsRefusals edgeRefusals, OnlineCa agentCa, OnlineCa serviceCa, Edge edge, ActorSystem<Void> system,
      ServerBinding api, int healthPort, ClusterChangeWatch clusterChanges, ClusterFormation formation) {
    this.settings = settings;
    this.storage = storage;
    this.seal = seal;
    this.audit = audit;
    this.approvals = approvals;
    this.custody = custody;
    this.readiness = readiness;
    this.denyList = denyList;
    this.clusterRefusals = clusterRefusals;
    this.apiRefusals = apiRefusals;
    this.edgeRefusals = edgeRefusals;
    this.agentCa = agentCa;
    this.serviceCa = serviceCa;
    this.edge = edge;
    this.system = system;
    this.api = api;
    this.healthPort = healthPort;
    this.clusterChanges = clusterChanges;
    this.formation = formation;
  }

  /**
   * Starts a controller, sealed.
   *
   * @throws IOException, GeneralSecurityException if the TLS files do not load
   * @throws org.opencluster.persistence.jdbc.StorageException if the database does not open
   */
  public static Controller start(ControllerSettings settings, Config config, Clock clock) throws Exception {
    return start(settings, config, clock, Rotators.standard());
  }

  /**
   * Starts a controller, sealed, whose rotating secrets may name the rotator kinds of {@code
   * rotators} (a build that adds MySQL or LDAP passes {@code Rotators.standard().with(...)}).
   */
  public static Controller start(ControllerSettings settings, Config config, Clock clock, Rotators rotators)
      throws Exception {
    AuditSettings auditSettings = AuditSettings.create(config);
    ApiSettings apiSettings = ApiSettings.create(config);
    ProvisionerSettings provisionerSettings = ProvisionerSettings.create(config);
    ControllerMetrics metrics = new ControllerMetrics(settings.name());
    metrics.nodesByStage(metrics.hostedNodes());
    Storage storage = Storage.open(settings.storage());
    Seal seal = new Seal(storage.keyRingStore(), clock, settings.seal().unsealProgressTimeout());
    metrics.seal(() -> seal.status().state());
    AuditLog audit = AuditLog.start(storage.dataSource(), seal, settings.name(), auditSettings, clock);
    ActorSystem<Void> system = null;
    Edge edge = null;
    try {
      DenyList denyList = new DenyList();
      TlsRefusals clusterRefusals = tlsRefusals(audit, metrics, "cluster", "Refused a cluster peer at the TLS handshake");
      TlsRefusals apiRefusals = tlsRefusals(audit, metrics, "api", "Refused an API client at the TLS handshake");
      TlsRefusals edgeRefusals = tlsRefusals(audit, metrics, "edge", "Refused an agent at the edge's TLS handshake");
      TlsPolicy clusterPolicy = TlsPolicy.controllers(denyList, clusterRefusals, clock);
      TlsPolicy operatorPolicy = new TlsPolicy(EnumSet.of(Identity.Kind.OPERATOR), CertificateProfile.Usage.TLS_CLIENT,
          CertificateProfile.Usage.TLS_SERVER, denyList, apiRefusals, clock);
      ReloadingTlsContext clusterTls = load(settings, clusterPolicy);
      ReloadingTlsContext operatorTls = load(settings, operatorPolicy);
      ReloadingTlsContext edgeTls = load(settings, TlsPolicy.edge(denyList, edgeRefusals, clock));

      Readiness readiness = new Readiness(seal, storage);
      SealedValues sealedValues = new SealedValues(storage.dataSource(), seal, clock);
      ControllerApprovals approvals = new ControllerApprovals(sealedValues, clock);
      OnlineCa agentCa = OnlineCa.agents(sealedValues, () -> clusterTls.keyMaterial().trustAnchors(), clock);
      OnlineCa serviceCa = OnlineCa.services(sealedValues, () -> clusterTls.keyMaterial().trustAnchors(), clock);
      CustodyLog custody = new CustodyLog(clock, audit);
      system = ActorSystem.create(Behaviors.empty(), ControllerSettings.SYSTEM_NAME,
          ActorSystemSetup.create(
              BootstrapSetup.create(settings.pekkoConfig(config)),
              SSLEngineProviderSetup.create(s -> new ArteryTls(clusterTls)),
              new StorageSetup(storage, seal),
              readiness));
      ActorSystem<Void> started = system;
      HeartbeatBucketWriter heartbeatBuckets = HeartbeatBucketWriter.start(storage.dataSource(),
          HeartbeatBucketWriter.DEFAULT_CAPACITY);
      system.getWhenTerminated().thenRun(() -> {
        heartbeatBuckets.close();
        audit.close();
        seal.seal();
        storage.close();
      });

      ExecutionContextExecutor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
      ActorRef<DenyListSync.Command> denyListSync = system.systemActorOf(DenyListSync.create(denyList), "deny-list",
          Props.empty());
      ClusterRevocations revocations = new ClusterRevocations(denyList, denyListSync, sealedValues, blocking, audit);
      LocalCatalog localCatalog = new LocalCatalog();
      ContentCipher cipher = ContentCipher.of(seal);
      ClusterChangeWatch clusterChanges = ClusterChangeWatch.start(started, clock);
      clusterChanges.watchLag(started, settings.congestionLag());
      ClusterFormation formation = ClusterFormation.start(org.apache.pekko.cluster.typed.Cluster.get(system),
          storage.dataSource(), settings.formation(), settings.name(), settings.appVersion(),
          settings.pekkoSeedAddresses(), settings.firstSeed(), settings.onlySeed(),
          system.settings().config().getDuration("pekko.cluster.seed-node-timeout"));
      system.getWhenTerminated().thenRun(formation::close);
      // Its presence record goes when it has left the cluster, before the database closes.
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseClusterExitingDone(), "forget-presence",
          () -> CompletableFuture.runAsync(formation::forget, blocking).thenApply(done -> Done.getInstance()));
      SetBudget setBudget = new SetBudget(settings.files().maxSetsPerSecond(),
          settings.files().maxSetsPerSecondAfterClusterChange(), settings.files().slowerAfterClusterChange(),
          clusterChanges, clock);
      NodeEnvironment nodeEnvironment = new NodeEnvironment(settings.nodes(), clock, clusterTls::keyMaterial, revocations,
          new FileSource(localCatalog, cipher, serviceCa::loaded, settings.files().resendAfter(), setBudget), audit,
          metrics, heartbeatBuckets).withProvisioner(provisionerSettings.hook(blocking))
          .withSecrets(new ShardedSecretConsumers(started, EDGE_ASK_TIMEOUT))
          .withClusterChanges(clusterChanges);
      NodeView nodeView = new NodeView(storage.dataSource(), system);
      SecretSettings secretSettings = SecretSettings.create(config);
      AtomicBoolean unsealed = new AtomicBoolean();
      AtomicBoolean shardingInitialized = new AtomicBoolean();
      seal.onChange(status -> {
        boolean nowUnsealed = status.state() == Seal.State.UNSEALED;
        if (nowUnsealed && !unsealed.getAndSet(true)) {
          audit.record("seal.unsealed", "controller/" + settings.name(), "unsealed", "data key " + status.activeKeyId());
        }
        if (status.state() == Seal.State.UNSEALED && shardingInitialized.compareAndSet(false, true)) {
          NodeEntity.init(started, nodeEnvironment);
          NodeViewProjection.init(started, storage.dataSource());
          FileCatalog.init(started, clock);
          localCatalog.start(started, settings.files().catalogRefreshInterval(), EDGE_ASK_TIMEOUT);
          SecretEntity.init(started, secretEnvironment(started, secretSettings, clock, cipher, localCatalog, nodeView,
              rotators, metrics));
          keepLoaded(started, serviceCa, seal::isUnsealed, blocking);
          // Serving (and ready) only once every entity type's region exists: a request before then
          // would find no region to ask.
          readiness.markShardingStarted();
          LOG.info("Unsealed: node entities are starting on {}", settings.name());
          blocking.execute(() -> {
            try {
              LOG.info("Loaded {} stored certificate revocations into the deny list", revocations.loadStored());
            } catch (RuntimeException e) {
              LOG.error("Could not load the stored certificate revocations: {}", e.getMessage());
            }
          });
        } else if (!nowUnsealed) {
          unsealed.set(false);
          agentCa.forget();
          serviceCa.forget();
        }
      });
      system.systemActorOf(
          KeyCustodian.supervised(seal, approvals, clusterTls::keyMaterial, denyList,
              new KeyCustodian.Settings(settings.name(), settings.seal().unsealFromPeers(), ASK_PEERS_EVERY,
                  settings.seal().giveKeyTo(), settings.seal().keyRequestMaxSkew()), custody, clock),
          "key-custodian", DispatcherSelector.blocking());

      scheduleKeyMaintenance(system, seal, settings, blocking);

      ClusterSharding sharding = ClusterSharding.get(system);
      BooleanSupplier serving = () -> seal.isUnsealed() && readiness.shardingStarted();
      edge = Edge.start(settings.edge().host(), settings.edge().port(), edgeTls, sharding, serving, EDGE_ASK_TIMEOUT,
          settings.nodes().maxFramePayloadBytes(), audit, settings.edgeRouting().maxTrackedAgents());
      Edge startedEdge = edge;
      metrics.edge(edge.counters());
      startDirectory(system, settings, seal, edge, clusterChanges, blocking, clock);
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "stop-edge",
          () -> CompletableFuture.runAsync(startedEdge::close, blocking).thenApply(stopped -> Done.getInstance()));
      NodeRegistrar registrar = new NodeRegistrar(agentCa, sharding, clusterTls.keyMaterial().trustAnchors(),
          settings.advertisedEdges(edge.port()), revocations, settings.nodes().maxLifetime());

      int healthPort = PekkoManagement.get(Adapter.toClassic(system))
          .start(s -> s.withHttpsConnectionContext(ConnectionContext.httpsServer(() ->
              TlsContexts.serverEngineWithoutClientAuth(clusterTls.current(), settings.health().host(), settings.health().port()))))
          .toCompletableFuture().get(30, TimeUnit.SECONDS).port();

      countFleet(system, nodeView, metrics, seal::isUnsealed, blocking);
      ApiDispatcher apiDispatcher = new ApiDispatcher(system);
      ServerBinding api = Http.get(system).newServerAt(settings.api().host(), settings.api().port())
          .withMaterializer(apiDispatcher.materializer())
          .enableHttps(ConnectionContext.httpsServer(() ->
              TlsContexts.serverEngine(operatorTls.current(), settings.api().host(), settings.api().port())))
          .bindFlow(apiDispatcher.flow(new OperatorApi(seal, approvals, settings.name(), settings.devMode(), blocking,
              new NodeRoutes.Services(agentCa, serviceCa, registrar, sharding, serving, nodeView),
              new FileRoutes.Services(() -> FileCatalog.ref(started), localCatalog, cipher, serving),
              new RotatingSecretRoutes.Services(name -> SecretEntity.ref(started, name), () -> FileCatalog.ref(started),
                  localCatalog, serving),
              new ClusterRoutes.Services(system, settings.name(), seal, readiness::shardingStarted), audit, clock,
              new OperatorApi.Options(apiSettings,
                  () -> CoordinatedShutdown.get(started).getShutdownReason().isPresent(), metrics::scrape,
                  operatorPolicy.revoked())).routes()))
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      // From the first phase of Coordinated Shutdown, every request is answered 503 (retryable); here
      // the listener closes and requests already running finish (up to the deadline), not dropped.
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "drain-operator-api",
          () -> api.terminate(API_DRAIN_DEADLINE).thenApply(terminated -> Done.getInstance()));

      LOG.info("Controller {} (version {}) started, sealed: cluster {}, edge {}:{}, operator API https://{}:{}, "
          + "health https://{}:{}/ready", settings.name(), settings.appVersion(), settings.cluster(), settings.edge().host(),
          edge.port(), settings.api().host(), api.localAddress().getPort(), settings.health().host(), healthPort);
      LOG.info("Controller {} schemas (checked at join): {}", settings.name(), CompatibilityCheck.describe(config));
      return new Controller(settings, storage, seal, audit, approvals, custody, readiness, denyList, clusterRefusals, apiRefusals,
          edgeRefusals, agentCa, serviceCa, edge, system, api, healthPort, clusterChanges, formation);
    } catch (Exception e) {
      if (edge != null) {
        edge.close();
      }
      if (system != null) {
        system.terminate();
        awaitTermination(system);
      }
      audit.close();
      seal.seal();
      storage.close();
      throw e;
    }
  }

  /**
   * How this controller's agents are moved: its directory actor describes it to its peers; every
   * {@code balance-interval} it compares its agents with theirs and redirects its excess; and when
   * it leaves (the first phase of Coordinated Shutdown) its edge redirects every agent to the
   * other controllers, least loaded first, before it stops.
   */
  private static void startDirectory(ActorSystem<?> system, ControllerSettings settings, Seal seal, Edge edge,
      ClusterChangeWatch clusterChanges, ExecutionContextExecutor blocking, Clock clock) {
    Duration window = agentsWindow(settings);
    org.apache.pekko.cluster.typed.Cluster cluster = org.apache.pekko.cluster.typed.Cluster.get(system);
    String address = cluster.selfMember().address().toString();
    String advertised = settings.advertisedEdge(edge.port());
    edge.sessions().advertisedAs(advertised);
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    // Leaving from the moment Coordinated Shutdown starts, or the member is no longer Up (a leave
    // asked through another controller makes it Leaving first).
    java.util.function.BooleanSupplier leaving = () -> shutdown.getShutdownReason().isPresent()
        || cluster.selfMember().status() != org.apache.pekko.cluster.MemberStatus.up();
    system.systemActorOf(ControllerDirectory.create(() -> new ControllerDirectory.Description(settings.name(), address,
        settings.appVersion(), seal.status().state().name().toLowerCase(Locale.ROOT), edge.sessions().active(window),
        advertised, leaving.getAsBoolean())), "controller-directory", Props.empty());
    system.scheduler().scheduleWithFixedDelay(window, window, () -> edge.sessions().prune(window.multipliedBy(4)),
        blocking);
    Duration every = settings.edgeRouting().balanceInterval();
    AtomicBoolean balancing = new AtomicBoolean();
    ControllerDirectory.LastKnown lastKnown = new ControllerDirectory.LastKnown();
    if (!every.isZero()) {
      system.scheduler().scheduleWithFixedDelay(every, every, () -> {
        if (!seal.isUnsealed() || leaving.getAsBoolean() || !balancing.compareAndSet(false, true)) {
          return; // sealed, leaving, or the previous round still asking
        }
        if (clusterChanges.lastChange().filter(change -> change.isAfter(clock.instant().minus(every))).isPresent()) {
          // The controller cluster changed within a round (a controller joined, left, was lost or congested):
          // agents and entities are still moving; balancing waits for the next round.
          balancing.set(false);
          return;
        }
        ControllerDirectory.describeAll(system, DESCRIBE_TIMEOUT).thenApply(lastKnown::remember).thenAccept(described -> {
          java.util.Map<String, Integer> moves = AgentBalancer.moves(settings.name(), described,
              settings.edgeRouting().maxMovesPerRound());
          if (!moves.isEmpty() && !leaving.getAsBoolean()) {
            LOG.info("Balancing agents over the controllers: redirected {} of this edge's agents to {}",
                edge.move(moves, window), moves);
          }
        }).exceptionally(failure -> {
          LOG.warn("Balancing agents: the other controllers did not describe themselves: {}", failure.getMessage());
          return null;
        }).whenComplete((done, failure) -> balancing.set(false));
      }, blocking);
    }
    // First the file catalog, while the other controllers are not yet busy with this one's agents,
    // and meanwhile where the agents go (a controller that is up but too busy to answer now keeps
    // the description it gave last); then the agents.
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "hand-off-catalog-then-redirect-agents", () -> {
      // Agents move from now on; Pekko marks this member Leaving only after this phase.
      clusterChanges.announceLeaving();
      CompletionStage<Done> catalogFirst =
          EarlyHandOff.run(system, FileCatalog.ENTITY_KEY.name(), EARLY_HAND_OFF_LIMIT);
      CompletionStage<java.util.List<ControllerDirectory.Description>> described =
          ControllerDirectory.describeAll(system, DESCRIBE_TIMEOUT)
              .exceptionally(failure -> java.util.List.of())
              .thenApply(answered -> {
                java.util.List<ControllerDirectory.Description> all = lastKnown.fillIn(answered, upMembers(cluster));
                if (all.size() > answered.size()) {
                  LOG.info("Leaving: {} of the other controllers did not describe themselves within {}; using what "
                      + "they said last", all.size() - answered.size(), DESCRIBE_TIMEOUT);
                }
                return all;
              });
      return catalogFirst.thenCombine(described, (done, all) -> all)
          .thenCompose(all -> edge.drain(AgentBalancer.drainTargets(settings.name(), all), window,
              settings.edgeRouting().drainTimeout(), system.scheduler(), blocking))
          .thenApply(told -> Done.getInstance());
    });
  }

  /** The addresses of the members {@code cluster} sees Up. */
  private static java.util.Set<String> upMembers(org.apache.pekko.cluster.typed.Cluster cluster) {
    java.util.Set<String> up = new java.util.HashSet<>();
    cluster.state().getMembers().forEach(m -> {
      if (m.status() == org.apache.pekko.cluster.MemberStatus.up()) {
        up.add(m.address().toString());
      }
    });
    return up;
  }

  /** An agent counts as this edge's while it heartbeat through it within three heartbeat intervals. */
  static Duration agentsWindow(ControllerSettings settings) {
    return settings.nodes().heartbeatInterval().multipliedBy(3);
  }

  /**
   * What the shared secrets' entities use on this controller: admin credentials and the consumers'
   * live nodes come from this controller's catalog copy and read model, new versions go to the
   * file catalog (and this controller's copy is refreshed at once), and rotator calls run on a pool
   * of {@code max-concurrent-rotator-calls} daemon threads, stopped with the actor system.
   */
  private static SecretEnvironment secretEnvironment(ActorSystem<?> system, SecretSettings settings, Clock clock,
      ContentCipher cipher, LocalCatalog localCatalog, NodeView nodeView, Rotators rotators, ControllerMetrics metrics) {
    AtomicInteger threads = new AtomicInteger();
    ExecutorService rotatorCalls = Executors.newFixedThreadPool(settings.maxConcurrentRotatorCalls(), task -> {
      Thread thread = new Thread(task, "opencluster-rotator-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    system.getWhenTerminated().thenRun(rotatorCalls::shutdownNow);
    // Also once the controller has left, before its actor system terminates: a termination that
    // stalls (apache/pekko#3247, where close() goes on without it) must not leave a rotator call
    // running here beside the saga resumed on a survivor (seen in RotationCrashIT: a test call
    // held at its gate here completed after the survivor's).
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "stop-rotator-calls", () -> {
          rotatorCalls.shutdownNow();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    SecretEnvironment.CatalogPublisher publisher = secret -> FileCatalog.ref(system)
        .<StatusReply<Done>>ask(replyTo -> new FileCatalog.PublishRotating(secret, replyTo), EDGE_ASK_TIMEOUT)
        .thenApply(reply -> {
          if (reply.isError()) {
            throw new IllegalStateException(reply.getError().getMessage());
          }
          localCatalog.refreshNow();
          return Done.getInstance();
        });
    return new SecretEnvironment(settings, clock, cipher,
        CatalogRotatorSource.of(localCatalog::current, cipher, rotators), nodeView::liveNodes, publisher, rotatorCalls,
        metrics);
  }

  /** Counts TLS handshake refusals by reason, logs each, and has the audit log write them per interval. */
  /** Refusals at one listener's TLS handshake: logged, counted in the metrics, and audited by kind. */
  private static TlsRefusals tlsRefusals(SecurityEvents audit, ControllerMetrics metrics, String listener, String what) {
    return new TlsRefusals(refusal -> {
      metrics.tlsRefused(listener, refusal.reason());
      LOG.warn("{} ({}): {}", what, refusal.reason(), refusal.getMessage());
      audit.refused("tls." + listener, refusal.reason().name().toLowerCase(Locale.ROOT), refusal.getMessage());
    });
  }

  /** Loads peers' new data keys often, and adds a data key when the newest is too old. */
  private static void scheduleKeyMaintenance(ActorSystem<?> system, Seal seal, ControllerSettings settings,
      ExecutionContextExecutor blocking) {
    Duration refreshEvery = settings.seal().keyRingRefreshInterval();
    system.scheduler().scheduleWithFixedDelay(refreshEvery, refreshEvery, () -> {
      try {
        seal.refresh();
      } catch (RuntimeException e) {
        LOG.warn("Loading data keys added by peers failed: {}", e.getMessage());
      }
    }, blocking);
    whileUnsealed(system, Duration.ofMinutes(1), ROTATION_CHECK_EVERY, seal::isUnsealed, blocking,
        "Scheduled data key rotation failed", () -> {
          if (seal.rotateIfOlderThan(settings.seal().dataKeyRotationInterval())) {
            LOG.info("Rotated the data key on schedule: new records use key {}", seal.status().activeKeyId());
          }
        });
  }

  /** Work a scheduled task does, which may fail. */
  @FunctionalInterface
  private interface Task {
    void run() throws Exception;
  }

  /**
   * Runs {@code task} on the blocking dispatcher every {@code every} (first after {@code first})
   * while the controller is unsealed; a failure is logged as {@code failure} and the next run tries again.
   */
  private static void whileUnsealed(ActorSystem<?> system, Duration first, Duration every, BooleanSupplier unsealed,
      ExecutionContextExecutor blocking, String failure, Task task) {
    system.scheduler().scheduleWithFixedDelay(first, every, () -> {
      if (!unsealed.getAsBoolean()) {
        return;
      }
      try {
        task.run();
      } catch (Exception e) {
        LOG.warn("{}: {}", failure, e.getMessage());
      }
    }, blocking);
  }

  /**
   * Keeps {@code ca}'s loaded copy fresh off the actors' threads (node entities read it through
   * {@link OnlineCa#loaded()}, which never touches the store): at once, then every half reread time.
   */
  private static void keepLoaded(ActorSystem<?> system, OnlineCa ca, BooleanSupplier unsealed,
      ExecutionContextExecutor blocking) {
    whileUnsealed(system, Duration.ZERO, OnlineCa.REREAD_AFTER.dividedBy(2), unsealed, blocking,
        "Loading the " + ca.label() + " failed", ca::current);
  }

  /**
   * Feeds the fleet-wide node counts of the metrics from the read model, counted off the actors
   * and the HTTP threads every {@link #FLEET_COUNT_EVERY} while unsealed (a scrape reads the last count).
   */
  private static void countFleet(ActorSystem<?> system, NodeView view, ControllerMetrics metrics, BooleanSupplier unsealed,
      ExecutionContextExecutor blocking) {
    java.util.concurrent.atomic.AtomicReference<java.util.Map<String, Long>> counted =
        new java.util.concurrent.atomic.AtomicReference<>(java.util.Map.of());
    metrics.fleetNodes(counted::get);
    whileUnsealed(system, Duration.ZERO, FLEET_COUNT_EVERY, unsealed, blocking,
        "Could not count the fleet's nodes for the metrics", () -> counted.set(view.countByStage()));
  }

  private static void awaitTermination(ActorSystem<?> system) {
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
      LOG.warn("The actor system did not terminate after a failed start: {}", e.toString());
    }
  }

  /**
   * Development only: initializes the store with {@code key} if it is new, and unseals with it.
   * Anyone who sees the key opens everything this cluster stores, so it is refused unless the
   * configuration says {@code opencluster.controller.dev-mode = on} and the store is embedded H2.
   *
   * @throws IllegalStateException if dev mode is off or the store is not H2
   * @throws SealException if the key is not this store's
   */
  public void unsealWithDevelopmentKey(SecretBytes key) throws SealException {
    if (!settings.devMode()) {
      throw new IllegalStateException("a development key is refused unless opencluster.controller.dev-mode = on");
    }
    if (settings.storage().vendor() != StorageSettings.Vendor.H2) {
      throw new IllegalStateException("a development key is refused on " + settings.storage().vendor()
          + ": dev mode runs on embedded H2 only");
    }
    LOG.warn("INSECURE: unsealing with a development key given at start. Anyone who can read it (the process's "
        + "arguments or its key file) can decrypt everything this cluster stores. Never do this in production.");
    if (seal.status().state() == Seal.State.UNINITIALIZED) {
      seal.initializeWithKey(key);
    }
    seal.unsealWithKey(key);
    audit.record("seal.unseal-dev-key", "controller/" + settings.name(), "unsealed", "INSECURE development key");
    try {
      approvals.approveIfAbsent(settings.name(), "development key");
    } catch (RuntimeException e) {
      LOG.warn("Controller {} is unsealed but could not record its own approval: {}", settings.name(), e.getMessage());
    }
  }

  public ControllerSettings settings() {
    return settings;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public Seal seal() {
    return seal;
  }

  /** The cluster's audit log, as this controller writes and reads it. */
  public AuditLog audit() {
    return audit;
  }

  /** The controllers approved to unseal from a peer. */
  public ControllerApprovals approvals() {
    return approvals;
  }

  /** The keys this controller gave to peers and the requests it refused, lately. */
  public CustodyLog custody() {
    return custody;
  }

  public Storage storage() {
    return storage;
  }

  public DenyList denyList() {
    return denyList;
  }

  public Readiness readiness() {
    return readiness;
  }

  /** How this controller joined or formed the cluster (for tests). */
  ClusterFormation formation() {
    return formation;
  }

  /** When this controller last saw the controller cluster change (for tests). */
  ClusterChangeWatch clusterChanges() {
    return clusterChanges;
  }

  /** Peers refused at the cluster link's TLS handshake, by reason. */
  public TlsRefusals clusterRefusals() {
    return clusterRefusals;
  }

  /** Clients refused at the operator API's TLS handshake, by reason. */
  public TlsRefusals apiRefusals() {
    return apiRefusals;
  }

  /** Agents refused at the edge's TLS handshake, by reason. */
  public TlsRefusals edgeRefusals() {
    return edgeRefusals;
  }

  /** The agent issuing CA the controllers hold. */
  public OnlineCa agentCa() {
    return agentCa;
  }

  /** The service CA the controllers hold: it signs the nodes' tls-certificate files. */
  public OnlineCa serviceCa() {
    return serviceCa;
  }

  /** The edge agents reach this controller at. */
  public Edge edge() {
    return edge;
  }

  public int apiPort() {
    return api.localAddress().getPort();
  }

  public int healthPort() {
    return healthPort;
  }

  /** Leaves the cluster gracefully: shards hand off, the API unbinds, the system terminates. */
  public CompletionStage<Done> stop() {
    return CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
  }

  /**
   * Leaves gracefully and waits for the actor system to terminate, within bounds: Pekko 1.7's
   * Artery can leave a remoting stream stalled at shutdown (apache/pekko#3247, fixed after 1.7.0),
   * which keeps the actor system from terminating; the controller's shards have been handed off
   * and it has left the cluster by then. As a process, Coordinated Shutdown exits the JVM after
   * its phase timeouts regardless. The database pool is closed either way.
   */
  @Override
  public void close() throws Exception {
    try {
      stop().toCompletableFuture().get(90, TimeUnit.SECONDS);
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      LOG.warn("Controller {} left the cluster, but its actor system did not terminate in time (a stalled remoting "
          + "stream, apache/pekko#3247); continuing", settings.name());
    } finally {
      edge.close();
      audit.close();
      seal.seal();
      storage.close();
    }
  }

  private static ReloadingTlsContext load(ControllerSettings settings, TlsPolicy policy)
      throws IOException, GeneralSecurityException {
    return ReloadingTlsContext.load(settings.certificateFile(), settings.keyFile(), settings.caFile(), policy,
        settings.tlsReloadInterval(),
        failure -> LOG.warn("Renewed TLS files did not load; keeping the previous certificate: {}", failure.getMessage()));
  }
}
