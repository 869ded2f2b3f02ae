package org.opencluster.controller.node;

import com.google.protobuf.ByteString;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.opencluster.controller.files.FileCatalog.Catalog;
import org.opencluster.controller.files.FileDefinition;
import org.opencluster.controller.files.FileDefinition.GeneratedSource;
import org.opencluster.controller.files.FileDefinition.StaticSource;
import org.opencluster.controller.files.FileDefinition.TemplateSource;
import org.opencluster.controller.files.SharedSecret;
import org.opencluster.controller.files.Template;
import org.opencluster.controller.node.NodeEntity.FileSecretsGenerated;
import org.opencluster.controller.node.NodeEntity.FileStatus;
import org.opencluster.controller.node.NodeEntity.GeneratedSecret;
import org.opencluster.controller.node.NodeEntity.NodeFacts;
import org.opencluster.controller.node.NodeEntity.Session;
import org.opencluster.protocol.agent.v1.Ack;
import org.opencluster.protocol.agent.v1.ControllerMessage;
import org.opencluster.protocol.agent.v1.FileOutcome;
import org.opencluster.protocol.agent.v1.InfoSet;
import org.opencluster.protocol.agent.v1.SecureFile;
import org.opencluster.protocol.agent.v1.StagedFile;
import org.opencluster.protocol.agent.v1.StagedOutcome;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.session.SecureFileBox;
import org.slf4j.Logger;

/**
 * The secure files of one node's agent, for its entity: which files the node should hold now
 * (selector against its id and labels), the secrets to generate for it, whether its agent is
 * behind, and the InfoSet that brings it up to date, every file's content sealed to the agent's
 * one-off key of this boot.
 *
 * <p>Every InfoSet is complete (whatever it does not name, the agent removes), so an agent that
 * missed a change, or a controller that took over the entity, needs no history: the next set puts
 * the agent right. A set goes out when what the node should hold differs from what its agent
 * acknowledged, and again if unacknowledged after {@code resend-after}. Plaintext lives only while
 * one file is sealed, and is wiped at once. What an agent acknowledged is kept in memory only: a
 * new incarnation of the entity sends the set once more, which the agent applies as unchanged.
 */
final class NodeFiles {

  /** Parts are kept well under the frame limit: the InfoSet's own fields and the frame's come on top. */
  static final int PART_BYTES = 160 * 1024;
  private static final int MAX_DETAIL = 512;
  private static final char[] PASSWORD_ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  /** A file the node should hold, and what its content depends on. */
  record Wanted(FileDefinition definition, String fingerprint) {}

  /** The node holds version {@code version} of rotating secret {@code secret}, staged or {@code live} (to tell its entity). */
  record Held(String secret, long version, boolean live) {}

  /** What the set last sent carries of each rotating secret: the files rendered with it, by version. */
  private record Carried(Map<Held, List<String>> current, Map<Held, List<String>> staged) {
    static final Carried NONE = new Carried(Map.of(), Map.of());
  }

  private final String nodeId;
  private final FileSource source;
  private final Logger log;
  private final SecureRandom random = new SecureRandom();
  private final ServiceCertificates certificates;
  /** Why a generated file's secret could not be made, by file: shown in its status. */
  private final Map<String, String> cannotMake = new TreeMap<>();
  private long sentVersion;
  private Map<String, String> sentFingerprints = Map.of();
  private Instant sentAt = Instant.EPOCH;
  private long ackedVersion;
  private Map<String, String> ackedFingerprints = Map.of();
  private final Map<String, FileStatus> statuses = new TreeMap<>();
  private Carried sentCarried = Carried.NONE;
  /** During a distribution, what the node holds is reported again this often: a report lost in a busy moment is not lost. */
  static final Duration REPORT_AGAIN = Duration.ofSeconds(15);
  /** The pending versions the agent acknowledged holding in the last set it applied. */
  private List<Held> lastStagedHeld = List.of();
  private Instant reportedAgainAt = Instant.EPOCH;
  /** The versions this incarnation told the secrets' entities about (they ignore repeats; this saves messages). */
  private final java.util.Set<Held> reported = new java.util.HashSet<>();

  NodeFiles(String nodeId, FileSource source, Logger log) {
    this.nodeId = nodeId;
    this.source = source;
    this.log = log;
    this.certificates = new ServiceCertificates(source.serviceCa());
  }

  /** Whether this controller has read the catalog yet: until then nothing is sent (nor removed). */
  boolean ready() {
    return source.catalog().loaded();
  }

  Catalog catalog() {
    return source.catalog().current();
  }

  /** The files {@code facts}' node should hold, by name. */
  List<Wanted> wanted(NodeFacts facts, Map<String, GeneratedSecret> generated, Catalog catalog) {
    List<Wanted> wanted = new ArrayList<>();
    for (FileDefinition definition : new TreeMap<>(catalog.files()).values()) {
      if (!definition.selector().matches(facts.nodeId(), facts.labels())) {
        continue;
      }
      StringBuilder fingerprint = new StringBuilder().append(definition.version());
      if (definition.source() instanceof TemplateSource t) {
        for (String secret : t.secrets()) {
          SharedSecret shared = catalog.secrets().get(secret);
          fingerprint.append('|').append(secret).append('@').append(shared == null ? 0 : shared.version());
        }
        fingerprint.append("|node:").append(facts.name()).append(new TreeMap<>(facts.labels()));
      } else if (definition.source() instanceof GeneratedSource) {
        GeneratedSecret secret = generated.get(definition.name());
        fingerprint.append("|generated:").append(secret == null ? "none" : secret.generatedAt().toEpochMilli());
      }
      wanted.add(new Wanted(definition, fingerprint.toString()));
    }
    return wanted;
  }

  /**
   * The secrets to make for generated files that have none (or one made for an earlier version of
   * their definition, or a certificate due for renewal), and those to forget (their file no longer
   * applies); null if nothing changes. A certificate that cannot be made now (no service CA yet, a
   * name its CA may not certify) is not made: its file fails, with why in its status, until it can.
   */
  FileSecretsGenerated generate(List<Wanted> wanted, Map<String, GeneratedSecret> generated, NodeFacts facts,
      Instant now) {
    List<GeneratedSecret> made = new ArrayList<>();
    java.util.Set<String> keep = new java.util.HashSet<>();
    for (Wanted w : wanted) {
      if (w.definition().source() instanceof GeneratedSource g) {
        String name = w.definition().name();
        keep.add(name);
        GeneratedSecret existing = generated.get(name);
        if (existing != null && !existing.due(w.definition().version(), now)) {
          continue;
        }
        if (g.generator() != FileDefinition.Generator.TLS_CERTIFICATE) {
          made.add(new GeneratedSecret(name, w.definition().version(), make(g), now,
              g.ttl().isZero() ? null : now.plus(spread(g.ttl(), name))));
          continue;
        }
        try {
          made.add(certificates.issue(w.definition(), g, facts, now));
          cannotMake.remove(name);
        } catch (ServiceCertificates.CannotIssue e) {
          if (!e.getMessage().equals(cannotMake.put(name, e.getMessage()))) {
            log.warn("Node {}: secure file {} v{}: {}", nodeId, name, w.definition().version(), e.getMessage());
          }
        }
      }
    }
    cannotMake.keySet().retainAll(keep);
    List<String> dropped = generated.keySet().stream().filter(name -> !keep.contains(name)).sorted().toList();
    return made.isEmpty() && dropped.isEmpty() ? null : new FileSecretsGenerated(made, dropped);
  }

  /**
   * Whether the agent needs a new set: what it should hold is not what it acknowledged, and no set
   * carrying it is on its way (or one has been for longer than {@code resend-after}).
   *
   * @param agentVersion the set version the agent says it applied (its heartbeat)
   */
  boolean due(List<Wanted> wanted, long agentVersion, Instant now) {
    if (!ready()) {
      return false;
    }
    if (agentVersion == sentVersion && sentVersion > ackedVersion) {
      // Its acknowledgement was lost; the heartbeat says the set arrived.
      ackedVersion = sentVersion;
      ackedFingerprints = sentFingerprints;
    }
    Map<String, String> fingerprints = fingerprints(wanted);
    if (fingerprints.equals(ackedFingerprints) && agentVersion == ackedVersion) {
      return false;
    }
    boolean inFlight = sentVersion > ackedVersion && fingerprints.equals(sentFingerprints);
    return !inFlight || !now.isBefore(sentAt.plus(source.resendAfter()));
  }

  /**
   * The complete set for the agent of {@code session}, in parts that each fit a frame. A file that
   * cannot be made (a template reading a label the node lacks, content that does not decrypt) is
   * left out, with why in its status.
   */
  List<ControllerMessage> build(Session session, NodeFacts facts, List<Wanted> wanted,
      Map<String, GeneratedSecret> generated, Catalog catalog, long agentVersion, Instant now) {
    long version = Math.max(Math.max(sentVersion, ackedVersion), agentVersion) + 1;
    ECPublicKey agentKey;
    try {
      agentKey = EcKeys.decodePoint(session.agentKey().toByteArray());
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("node " + nodeId + ": the session's agent key is not a P-256 point", e);
    }
    List<SecureFile> files = new ArrayList<>();
    List<StagedFile> staged = new ArrayList<>();
    Map<Held, List<String>> carriedCurrent = new java.util.HashMap<>();
    Map<Held, List<String>> carriedStaged = new java.util.HashMap<>();
    Map<String, FileStatus> next = new TreeMap<>();
    for (Wanted w : wanted) {
      FileDefinition definition = w.definition();
      try (SecretBytes content = content(definition, facts, generated, catalog, null)) {
        byte[] sealed = SecureFileBox.seal(agentKey, nodeId, definition.name(), definition.version(), content);
        files.add(SecureFile.newBuilder().setName(definition.name()).setVersion(definition.version())
            .setPath(definition.path()).setOwner(definition.owner()).setGroup(definition.group())
            .setMode(definition.mode()).setDelivery(SecureFile.Delivery.valueOf(definition.delivery().name()))
            .addAllReloadCommand(definition.reload()).setSealedContent(ByteString.copyFrom(sealed)).build());
        next.put(definition.name(), new FileStatus(definition.name(), definition.version(), FileStatus.Result.PENDING, ""));
        if (definition.source() instanceof TemplateSource t) {
          for (String secret : t.secrets()) {
            SharedSecret shared = catalog.secrets().get(secret);
            if (shared == null || shared.rotation().isEmpty()) {
              continue;
            }
            SharedSecret.Rotation rotation = shared.rotation().get();
            carriedCurrent.computeIfAbsent(new Held(secret, rotation.currentVersion(), true), h -> new ArrayList<>())
                .add(definition.name());
            if (rotation.pending().isPresent()) {
              long pendingVersion = rotation.pending().get().version();
              carriedStaged.computeIfAbsent(new Held(secret, pendingVersion, false), h -> new ArrayList<>())
                  .add(definition.name());
              try {
                staged.add(staged(agentKey, definition, facts, generated, catalog, secret, pendingVersion));
              } catch (Template.TemplateException | RuntimeException e) {
                // Not staged: the node is not reported as holding the pending version, so it shows as behind.
                log.warn("Node {}: secure file {} v{} could not be staged with pending version {} of secret {}: {}",
                    nodeId, definition.name(), definition.version(), pendingVersion, secret, e.getMessage());
              }
            }
          }
        }
      } catch (Template.TemplateException | RuntimeException | InvalidKeyException e) {
        String why = e instanceof Template.TemplateException ? "template: " + e.getMessage()
            : "could not be made: " + e.getMessage();
        log.warn("Node {}: secure file {} v{} {}", nodeId, definition.name(), definition.version(), why);
        next.put(definition.name(), new FileStatus(definition.name(), definition.version(), FileStatus.Result.FAILED, why));
      }
    }
    statuses.clear();
    statuses.putAll(next);
    sentVersion = version;
    sentFingerprints = fingerprints(wanted);
    sentAt = now;
    sentCarried = new Carried(carriedCurrent, carriedStaged);
    reported.clear(); // each new set is reported again: a report lost on the way is not lost for good
    return parts(version, files, staged);
  }

  /** A template file rendered with the pending version of {@code secret}, sealed under its staged name. */
  private StagedFile staged(ECPublicKey agentKey, FileDefinition definition, NodeFacts facts,
      Map<String, GeneratedSecret> generated, Catalog catalog, String secret, long pendingVersion)
      throws Template.TemplateException, InvalidKeyException {
    try (SecretBytes content = content(definition, facts, generated, catalog, secret)) {
      byte[] sealed = SecureFileBox.seal(agentKey, nodeId,
          SecureFileBox.stagedName(secret, pendingVersion, definition.name()), definition.version(), content);
      return StagedFile.newBuilder().setSecret(secret).setSecretVersion(pendingVersion)
          .setFile(SecureFile.newBuilder().setName(definition.name()).setVersion(definition.version())
              .setPath(definition.path()).setOwner(definition.owner()).setGroup(definition.group())
              .setMode(definition.mode()).setDelivery(SecureFile.Delivery.valueOf(definition.delivery().name()))
              .addAllReloadCommand(definition.reload()).setSealedContent(ByteString.copyFrom(sealed)))
          .build();
    }
  }

  /**
   * The rotating secrets {@code facts}' node consumes but reads in none of its files: it holds
   * nothing of them, so it holds their current and pending versions as soon as they exist. Each is
   * returned once per incarnation.
   */
  List<Held> heldWithoutFiles(NodeFacts facts, List<Wanted> wanted, Catalog catalog) {
    if (!ready()) {
      return List.of();
    }
    java.util.Set<String> read = new java.util.HashSet<>();
    for (Wanted w : wanted) {
      if (w.definition().source() instanceof TemplateSource t) {
        read.addAll(t.secrets());
      }
    }
    List<Held> held = new ArrayList<>();
    for (SharedSecret shared : catalog.secrets().values()) {
      if (shared.rotation().isEmpty() || read.contains(shared.name())
          || !shared.rotation().get().consumers().matches(facts.nodeId(), facts.labels())) {
        continue;
      }
      SharedSecret.Rotation rotation = shared.rotation().get();
      report(held, new Held(shared.name(), rotation.currentVersion(), true));
      rotation.pending().ifPresent(p -> report(held, new Held(shared.name(), p.version(), false)));
    }
    return held;
  }

  /**
   * While a rotation distributes a pending version the agent holds, that holding is reported again
   * every {@link #REPORT_AGAIN} (and the consumers without files report again too): the secret
   * ignores repeats, and a report lost while a controller was busy or moving the secret is made up.
   */
  List<Held> stagedAgain(Catalog catalog, Instant now) {
    if (now.isBefore(reportedAgainAt.plus(REPORT_AGAIN))) {
      return List.of();
    }
    reportedAgainAt = now;
    reported.removeIf(held -> !held.live()); // heldWithoutFiles reports the pending versions again
    return lastStagedHeld.stream().filter(held -> {
      SharedSecret shared = catalog.secrets().get(held.secret());
      return shared != null && shared.rotation().flatMap(SharedSecret.Rotation::pending)
          .map(SharedSecret.Pending::version).orElse(-1L) == held.version();
    }).toList();
  }

  /** The rotating secrets whose consumers {@code facts}' node is: what it could read (its blast radius). */
  static List<String> consumed(NodeFacts facts, Catalog catalog) {
    return catalog.secrets().values().stream()
        .filter(shared -> shared.rotation().isPresent()
            && shared.rotation().get().consumers().matches(facts.nodeId(), facts.labels()))
        .map(SharedSecret::name).sorted().toList();
  }

  private void report(List<Held> out, Held held) {
    if (reported.size() > 4096) {
      reported.clear(); // repeats are harmless; this only bounds the memory
    }
    if (reported.add(held)) {
      out.add(held);
    }
  }

  /**
   * The agent applied a set: its outcomes become the files' statuses. Returns the versions of
   * rotating secrets the node now holds: a current version once every file rendered with it was
   * written, a pending one once every file staged with it is held in the agent's memory.
   */
  List<Held> acknowledged(Ack ack) {
    if (ack.getInfoSetVersion() != sentVersion) {
      return List.of();
    }
    ackedVersion = sentVersion;
    ackedFingerprints = sentFingerprints;
    for (FileOutcome outcome : ack.getFilesList()) {
      FileStatus known = statuses.get(outcome.getName());
      if (known == null) {
        continue;
      }
      FileStatus.Result result = switch (outcome.getResult()) {
        case APPLIED -> FileStatus.Result.APPLIED;
        case RELOAD_FAILED -> FileStatus.Result.RELOAD_FAILED;
        default -> FileStatus.Result.FAILED;
      };
      statuses.put(outcome.getName(), new FileStatus(outcome.getName(), outcome.getVersion(), result,
          printable(outcome.getDetail())));
    }
    List<Held> held = new ArrayList<>();
    sentCarried.current().forEach((version, files) -> {
      if (files.stream().allMatch(file -> statuses.containsKey(file)
          && statuses.get(file).result() != FileStatus.Result.FAILED && statuses.get(file).result() != FileStatus.Result.PENDING)) {
        report(held, version);
      }
    });
    java.util.Set<Held> notHeld = new java.util.HashSet<>();
    java.util.Set<String> heldFiles = new java.util.HashSet<>();
    for (StagedOutcome outcome : ack.getStagedList()) {
      Held version = new Held(outcome.getSecret(), outcome.getSecretVersion(), false);
      if (outcome.getHeld()) {
        heldFiles.add(version + "|" + outcome.getFile());
      } else {
        notHeld.add(version);
        log.warn("Node {}: the agent could not hold pending version {} of secret {} for file {}: {}", nodeId,
            outcome.getSecretVersion(), outcome.getSecret(), outcome.getFile(), printable(outcome.getDetail()));
      }
    }
    List<Held> stagedHeld = new ArrayList<>();
    sentCarried.staged().forEach((version, files) -> {
      if (!notHeld.contains(version) && files.stream().allMatch(file -> heldFiles.contains(version + "|" + file))) {
        stagedHeld.add(version);
        report(held, version);
      }
    });
    lastStagedHeld = List.copyOf(stagedHeld);
    return held;
  }

  /** A new session (a new boot of the agent): it holds nothing yet. */
  void sessionOpened() {
    sentCarried = Carried.NONE;
    lastStagedHeld = List.of();
    reported.clear();
    ackedFingerprints = Map.of();
    sentFingerprints = Map.of();
    ackedVersion = 0;
    sentAt = Instant.EPOCH;
    statuses.clear();
  }

  List<FileStatus> statuses() {
    return List.copyOf(statuses.values());
  }

  /** @param pendingOf the rotating secret whose pending version is rendered, or null for current versions only */
  private SecretBytes content(FileDefinition definition, NodeFacts facts, Map<String, GeneratedSecret> generated,
      Catalog catalog, String pendingOf) throws Template.TemplateException {
    if (definition.source() instanceof StaticSource s) {
      return source.cipher().decrypt(s.encryptedContent().toByteArray(), FileDefinition.contentAssociatedData(definition.name()));
    } else if (definition.source() instanceof TemplateSource t) {
      try (SecretBytes text = source.cipher().decrypt(t.encryptedText().toByteArray(),
          FileDefinition.templateAssociatedData(definition.name()))) {
        byte[] bytes = text.copyBytes();
        try {
          return Template.parse(bytes).render(bytes, new Template.NodeView(facts.nodeId(), facts.name(), facts.labels()),
              (secret, field) -> field(catalog, facts, secret, field, secret.equals(pendingOf)));
        } finally {
          java.util.Arrays.fill(bytes, (byte) 0);
        }
      }
    } else if (definition.source() instanceof GeneratedSource g) {
      GeneratedSecret secret = generated.get(definition.name());
      if (secret == null || secret.definitionVersion() != definition.version()) {
        throw new IllegalStateException(cannotMake.getOrDefault(definition.name(), "its generated secret is not made yet"));
      }
      return g.generator() == FileDefinition.Generator.TLS_CERTIFICATE ? secret.value().copy() : encode(secret.value(), g);
    }
    throw new IllegalStateException("unknown source " + definition.source().kind());
  }

  /**
   * A field of a shared secret, for a template. A rotating secret is read only on its consumers (a
   * file reading it elsewhere fails), at its current version or, when {@code pending}, its pending one.
   */
  private SecretBytes field(Catalog catalog, NodeFacts facts, String secret, String field, boolean pending)
      throws Template.TemplateException {
    SharedSecret shared = catalog.secrets().get(secret);
    if (shared == null || !shared.encryptedFields().containsKey(field)) {
      throw new Template.TemplateException("secret '" + secret + "' has no field '" + field + "'");
    }
    if (shared.rotation().isPresent()
        && !shared.rotation().get().consumers().matches(facts.nodeId(), facts.labels())) {
      throw new Template.TemplateException("this node is not a consumer of rotating secret '" + secret
          + "' (consumers: " + shared.rotation().get().consumers() + ")");
    }
    if (pending) {
      SharedSecret.Pending version = shared.rotation().flatMap(SharedSecret.Rotation::pending)
          .orElseThrow(() -> new Template.TemplateException("secret '" + secret + "' has no pending version"));
      return source.cipher().decrypt(version.encryptedFields().get(field).toByteArray(),
          SharedSecret.pendingFieldAssociatedData(secret, version.version(), field));
    }
    return source.cipher().decrypt(shared.encryptedFields().get(field).toByteArray(),
        SharedSecret.fieldAssociatedData(secret, field));
  }

  /**
   * The node-scoped schedule of a random secret made again every {@code every}: between 90% and
   * 100% of it, by an amount that depends on the node and the file, so the nodes given a
   * definition at the same moment do not all make their next value at the same moment.
   */
  Duration spread(Duration every, String file) {
    long tenth = every.toMillis() / 10;
    return every.minusMillis(Math.floorMod((nodeId + "|" + file).hashCode() * 0x9E3779B97F4A7C15L, tenth + 1));
  }

  private SecretBytes make(GeneratedSource generator) {
    return switch (generator.generator()) {
      case RANDOM_PASSWORD -> {
        byte[] password = new byte[generator.length()];
        for (int i = 0; i < password.length; i++) {
          password[i] = (byte) PASSWORD_ALPHABET[random.nextInt(PASSWORD_ALPHABET.length)];
        }
        yield SecretBytes.adopt(password);
      }
      case RANDOM_KEY -> SecretBytes.random(generator.length());
      case TLS_CERTIFICATE -> throw new IllegalArgumentException("certificates are issued, not made at random");
    };
  }

  private static SecretBytes encode(SecretBytes value, GeneratedSource generator) {
    if (generator.generator() == FileDefinition.Generator.RANDOM_PASSWORD || generator.encoding() == FileDefinition.Encoding.RAW) {
      return value.copy();
    }
    byte[] raw = value.copyBytes();
    try {
      byte[] encoded = generator.encoding() == FileDefinition.Encoding.HEX
          ? HexFormat.of().formatHex(raw).getBytes(java.nio.charset.StandardCharsets.US_ASCII)
          : Base64.getEncoder().encode(raw);
      return SecretBytes.adopt(encoded);
    } finally {
      java.util.Arrays.fill(raw, (byte) 0);
    }
  }

  /** An agent's detail, printable and at most {@link #MAX_DETAIL} characters (paths and file system types fit). */
  static String printable(String detail) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < detail.length() && out.length() < MAX_DETAIL; i++) {
      char c = detail.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return detail.length() > MAX_DETAIL ? out + "..." : out.toString();
  }

  private static Map<String, String> fingerprints(List<Wanted> wanted) {
    Map<String, String> fingerprints = new LinkedHashMap<>();
    wanted.forEach(w -> fingerprints.put(w.definition().name(), w.fingerprint()));
    return fingerprints;
  }

  private static List<ControllerMessage> parts(long version, List<SecureFile> files, List<StagedFile> staged) {
    List<List<com.google.protobuf.MessageLite>> parts = new ArrayList<>();
    List<com.google.protobuf.MessageLite> current = new ArrayList<>();
    int size = 0;
    List<com.google.protobuf.MessageLite> items = new ArrayList<>(files);
    items.addAll(staged);
    for (com.google.protobuf.MessageLite item : items) {
      if (!current.isEmpty() && size + item.getSerializedSize() > PART_BYTES) {
        parts.add(current);
        current = new ArrayList<>();
        size = 0;
      }
      current.add(item);
      size += item.getSerializedSize() + 8;
    }
    parts.add(current);
    List<ControllerMessage> messages = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      InfoSet.Builder set = InfoSet.newBuilder().setVersion(version).setComplete(true);
      for (com.google.protobuf.MessageLite item : parts.get(i)) {
        if (item instanceof SecureFile file) {
          set.addFiles(file);
        } else {
          set.addStaged((StagedFile) item);
        }
      }
      if (parts.size() > 1) {
        set.setPart(i + 1).setParts(parts.size());
      }
      messages.add(ControllerMessage.newBuilder().setInfoSet(set).build());
    }
    return messages;
  }
}
