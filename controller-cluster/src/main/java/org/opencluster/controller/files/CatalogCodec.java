package org.opencluster.controller.files;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import java.io.NotSerializableException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.opencluster.controller.files.FileCatalog.Catalog;
import org.opencluster.controller.files.FileCatalog.CatalogReply;
import org.opencluster.controller.files.FileCatalog.FilePut;
import org.opencluster.controller.files.FileCatalog.FileRemoved;
import org.opencluster.controller.files.FileCatalog.GetCatalog;
import org.opencluster.controller.files.FileCatalog.PutFile;
import org.opencluster.controller.files.FileCatalog.PutSecret;
import org.opencluster.controller.files.FileCatalog.RemoveFile;
import org.opencluster.controller.files.FileCatalog.RemoveSecret;
import org.opencluster.controller.files.FileCatalog.SecretPut;
import org.opencluster.controller.files.FileCatalog.SecretRemoved;
import org.opencluster.controller.files.FileDefinition.Delivery;
import org.opencluster.controller.files.FileDefinition.Encoding;
import org.opencluster.controller.files.FileDefinition.GeneratedSource;
import org.opencluster.controller.files.FileDefinition.Generator;
import org.opencluster.controller.files.FileDefinition.Selector;
import org.opencluster.controller.files.FileDefinition.StaticSource;
import org.opencluster.controller.files.FileDefinition.TemplateSource;

/**
 * The file catalog's records to and from protobuf ({@code opencluster/controller/v1/files.proto}).
 * The manifests are part of the stored format: never rename one.
 */
public final class CatalogCodec {

  private final ActorRefResolver resolver;

  public CatalogCodec(ActorRefResolver resolver) {
    this.resolver = resolver;
  }

  public static Optional<String> manifest(Object o) {
    String manifest = null;
    if (o instanceof PutFile) {
      manifest = "catalog-put-file";
    } else if (o instanceof RemoveFile) {
      manifest = "catalog-remove-file";
    } else if (o instanceof PutSecret) {
      manifest = "catalog-put-secret";
    } else if (o instanceof FileCatalog.PublishRotating) {
      manifest = "catalog-publish-rotating";
    } else if (o instanceof RemoveSecret) {
      manifest = "catalog-remove-secret";
    } else if (o instanceof GetCatalog) {
      manifest = "catalog-get";
    } else if (o instanceof CatalogReply) {
      manifest = "catalog-reply";
    } else if (o instanceof FilePut) {
      manifest = "catalog-file-put";
    } else if (o instanceof FileRemoved) {
      manifest = "catalog-file-removed";
    } else if (o instanceof SecretPut) {
      manifest = "catalog-secret-put";
    } else if (o instanceof SecretRemoved) {
      manifest = "catalog-secret-removed";
    } else if (o instanceof Catalog) {
      manifest = "catalog-state";
    } else if (o instanceof FileDefinition) {
      manifest = "catalog-file-definition";
    } else if (o instanceof SharedSecret) {
      manifest = "catalog-shared-secret";
    }
    return Optional.ofNullable(manifest);
  }

  public byte[] toBinary(Object o) {
    return toProto(o).toByteArray();
  }

  private MessageLite toProto(Object o) {
    if (o instanceof PutFile c) {
      return org.opencluster.controller.proto.v1.PutFile.newBuilder().setDefinition(definition(c.definition()))
          .setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof RemoveFile c) {
      return org.opencluster.controller.proto.v1.RemoveFile.newBuilder().setName(c.name()).setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof FileCatalog.PublishRotating c) {
      return org.opencluster.controller.proto.v1.PublishRotating.newBuilder().setSecret(secret(c.secret()))
          .setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof PutSecret c) {
      return org.opencluster.controller.proto.v1.PutSecret.newBuilder().setSecret(secret(c.secret()))
          .setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof RemoveSecret c) {
      return org.opencluster.controller.proto.v1.RemoveSecret.newBuilder().setName(c.name()).setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof GetCatalog c) {
      return org.opencluster.controller.proto.v1.GetCatalog.newBuilder().setKnownRevision(c.knownRevision())
          .setReplyTo(ref(c.replyTo())).build();
    } else if (o instanceof CatalogReply r) {
      var b = org.opencluster.controller.proto.v1.CatalogReply.newBuilder().setRevision(r.revision());
      r.catalog().ifPresent(c -> b.setCatalog(catalog(c)));
      return b.build();
    } else if (o instanceof FilePut e) {
      return org.opencluster.controller.proto.v1.FilePut.newBuilder().setDefinition(definition(e.definition())).build();
    } else if (o instanceof FileRemoved e) {
      return org.opencluster.controller.proto.v1.FileRemoved.newBuilder().setName(e.name()).setRevision(e.revision())
          .setAtUnixMillis(e.at().toEpochMilli()).build();
    } else if (o instanceof SecretPut e) {
      return org.opencluster.controller.proto.v1.SecretPut.newBuilder().setSecret(secret(e.secret())).build();
    } else if (o instanceof SecretRemoved e) {
      return org.opencluster.controller.proto.v1.SecretRemoved.newBuilder().setName(e.name()).setRevision(e.revision())
          .setAtUnixMillis(e.at().toEpochMilli()).build();
    } else if (o instanceof Catalog c) {
      return catalog(c);
    } else if (o instanceof FileDefinition d) {
      return definition(d);
    } else if (o instanceof SharedSecret s) {
      return secret(s);
    }
    throw new IllegalArgumentException("CatalogCodec cannot serialize " + o.getClass().getName());
  }

  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case "catalog-put-file" -> {
          var p = org.opencluster.controller.proto.v1.PutFile.parseFrom(bytes);
          yield new PutFile(definition(p.getDefinition()), resolve(p.getReplyTo()));
        }
        case "catalog-remove-file" -> {
          var p = org.opencluster.controller.proto.v1.RemoveFile.parseFrom(bytes);
          yield new RemoveFile(p.getName(), resolve(p.getReplyTo()));
        }
        case "catalog-publish-rotating" -> {
          var p = org.opencluster.controller.proto.v1.PublishRotating.parseFrom(bytes);
          yield new FileCatalog.PublishRotating(secret(p.getSecret()), resolve(p.getReplyTo()));
        }
        case "catalog-put-secret" -> {
          var p = org.opencluster.controller.proto.v1.PutSecret.parseFrom(bytes);
          yield new PutSecret(secret(p.getSecret()), resolve(p.getReplyTo()));
        }
        case "catalog-remove-secret" -> {
          var p = org.opencluster.controller.proto.v1.RemoveSecret.parseFrom(bytes);
          yield new RemoveSecret(p.getName(), resolve(p.getReplyTo()));
        }
        case "catalog-get" -> {
          var p = org.opencluster.controller.proto.v1.GetCatalog.parseFrom(bytes);
          yield new GetCatalog(p.getKnownRevision(), resolve(p.getReplyTo()));
        }
        case "catalog-reply" -> {
          var p = org.opencluster.controller.proto.v1.CatalogReply.parseFrom(bytes);
          yield new CatalogReply(p.getRevision(), p.hasCatalog() ? Optional.of(catalog(p.getCatalog())) : Optional.empty());
        }
        case "catalog-file-put" -> new FilePut(definition(org.opencluster.controller.proto.v1.FilePut.parseFrom(bytes).getDefinition()));
        case "catalog-file-removed" -> {
          var p = org.opencluster.controller.proto.v1.FileRemoved.parseFrom(bytes);
          yield new FileRemoved(p.getName(), p.getRevision(), Instant.ofEpochMilli(p.getAtUnixMillis()));
        }
        case "catalog-secret-put" -> new SecretPut(secret(org.opencluster.controller.proto.v1.SecretPut.parseFrom(bytes).getSecret()));
        case "catalog-secret-removed" -> {
          var p = org.opencluster.controller.proto.v1.SecretRemoved.parseFrom(bytes);
          yield new SecretRemoved(p.getName(), p.getRevision(), Instant.ofEpochMilli(p.getAtUnixMillis()));
        }
        case "catalog-state" -> catalog(org.opencluster.controller.proto.v1.Catalog.parseFrom(bytes));
        case "catalog-file-definition" -> definition(org.opencluster.controller.proto.v1.FileDefinition.parseFrom(bytes));
        case "catalog-shared-secret" -> secret(org.opencluster.controller.proto.v1.SharedSecret.parseFrom(bytes));
        default -> throw new NotSerializableException("unknown manifest '" + manifest + "'");
      };
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      NotSerializableException refused = new NotSerializableException("malformed " + manifest + ": " + e.getMessage());
      refused.initCause(e);
      throw refused;
    }
  }

  private static org.opencluster.controller.proto.v1.Catalog catalog(Catalog c) {
    var b = org.opencluster.controller.proto.v1.Catalog.newBuilder().setRevision(c.revision());
    new TreeMap<>(c.files()).values().forEach(d -> b.addFiles(definition(d)));
    new TreeMap<>(c.secrets()).values().forEach(s -> b.addSecrets(secret(s)));
    return b.build();
  }

  private static Catalog catalog(org.opencluster.controller.proto.v1.Catalog p) {
    Map<String, FileDefinition> files = new TreeMap<>();
    p.getFilesList().forEach(d -> files.put(d.getName(), definition(d)));
    Map<String, SharedSecret> secrets = new TreeMap<>();
    p.getSecretsList().forEach(s -> secrets.put(s.getName(), secret(s)));
    return new Catalog(p.getRevision(), files, secrets);
  }

  static org.opencluster.controller.proto.v1.FileDefinition definition(FileDefinition d) {
    var b = org.opencluster.controller.proto.v1.FileDefinition.newBuilder().setName(d.name()).setVersion(d.version())
        .setPath(d.path()).setOwner(d.owner()).setGroup(d.group()).setMode(d.mode())
        .setDelivery(org.opencluster.controller.proto.v1.FileDefinition.Delivery.valueOf(d.delivery().name()))
        .addAllReload(d.reload())
        .setSelector(selector(d.selector()))
        .setUpdatedAtUnixMillis(d.updatedAt().toEpochMilli());
    if (d.source() instanceof StaticSource s) {
      b.setStaticSource(org.opencluster.controller.proto.v1.StaticSource.newBuilder()
          .setEncryptedContent(s.encryptedContent()).setLength(s.length()));
    } else if (d.source() instanceof TemplateSource t) {
      var template = org.opencluster.controller.proto.v1.TemplateSource.newBuilder()
          .setEncryptedText(t.encryptedText()).setLength(t.length());
      t.references().forEach(r -> template.addReferences(org.opencluster.controller.proto.v1.SecretReference.newBuilder()
          .setSecret(r.secret()).setField(r.field())));
      b.setTemplateSource(template);
    } else if (d.source() instanceof GeneratedSource g) {
      b.setGeneratedSource(org.opencluster.controller.proto.v1.GeneratedSource.newBuilder()
          .setGenerator(org.opencluster.controller.proto.v1.GeneratedSource.Generator.valueOf(g.generator().name()))
          .setLength(g.length())
          .setEncoding(org.opencluster.controller.proto.v1.GeneratedSource.Encoding.valueOf(g.encoding().name()))
          .addAllDnsNames(g.dnsNames()).addAllIpAddresses(g.ipAddresses()).setTtlSeconds(g.ttl().toSeconds()));
    }
    return b.build();
  }

  static FileDefinition definition(org.opencluster.controller.proto.v1.FileDefinition p) {
    FileDefinition.Source source = switch (p.getSourceCase()) {
      case STATIC_SOURCE -> new StaticSource(p.getStaticSource().getEncryptedContent(), p.getStaticSource().getLength());
      case TEMPLATE_SOURCE -> {
        List<Template.SecretReference> references = new ArrayList<>();
        p.getTemplateSource().getReferencesList().forEach(r -> references.add(new Template.SecretReference(r.getSecret(), r.getField())));
        yield new TemplateSource(p.getTemplateSource().getEncryptedText(), p.getTemplateSource().getLength(), references);
      }
      case GENERATED_SOURCE -> new GeneratedSource(
          Generator.valueOf(known(p.getGeneratedSource().getGenerator().name(), "generator")),
          p.getGeneratedSource().getLength(),
          Encoding.valueOf(known(p.getGeneratedSource().getEncoding().name(), "encoding")),
          p.getGeneratedSource().getDnsNamesList(), p.getGeneratedSource().getIpAddressesList(),
          java.time.Duration.ofSeconds(p.getGeneratedSource().getTtlSeconds()));
      case SOURCE_NOT_SET -> throw new IllegalArgumentException("a file definition without a source");
    };
    return new FileDefinition(p.getName(), p.getVersion(), p.getPath(), p.getOwner(), p.getGroup(), p.getMode(),
        Delivery.valueOf(known(p.getDelivery().name(), "delivery")), p.getReloadList(),
        selector(p.getSelector()),
        source, Instant.ofEpochMilli(p.getUpdatedAtUnixMillis()));
  }

  private static org.opencluster.controller.proto.v1.SharedSecret secret(SharedSecret s) {
    var b = org.opencluster.controller.proto.v1.SharedSecret.newBuilder().setName(s.name()).setVersion(s.version())
        .putAllEncryptedFields(s.encryptedFields()).setUpdatedAtUnixMillis(s.updatedAt().toEpochMilli());
    s.rotation().ifPresent(r -> {
      var rotation = org.opencluster.controller.proto.v1.SecretRotation.newBuilder()
          .setCurrentVersion(r.currentVersion()).setConsumers(selector(r.consumers()));
      r.pending().ifPresent(p -> rotation.setPendingVersion(p.version()).putAllPendingFields(p.encryptedFields()));
      b.setRotation(rotation);
    });
    return b.build();
  }

  private static SharedSecret secret(org.opencluster.controller.proto.v1.SharedSecret p) {
    Map<String, ByteString> fields = new TreeMap<>(p.getEncryptedFieldsMap());
    Optional<SharedSecret.Rotation> rotation = Optional.empty();
    if (p.hasRotation()) {
      var r = p.getRotation();
      Optional<SharedSecret.Pending> pending = r.getPendingVersion() == 0 ? Optional.empty()
          : Optional.of(new SharedSecret.Pending(r.getPendingVersion(), r.getPendingFieldsMap()));
      rotation = Optional.of(new SharedSecret.Rotation(r.getCurrentVersion(), pending, selector(r.getConsumers())));
    }
    return new SharedSecret(p.getName(), p.getVersion(), fields, Instant.ofEpochMilli(p.getUpdatedAtUnixMillis()),
        rotation);
  }

  /** A selector as its message (shared with SecretCodec). */
  public static org.opencluster.controller.proto.v1.Selector selector(Selector s) {
    return org.opencluster.controller.proto.v1.Selector.newBuilder().addAllNodes(s.nodes()).putAllLabels(s.labels())
        .setAll(s.all()).build();
  }

  public static Selector selector(org.opencluster.controller.proto.v1.Selector p) {
    return new Selector(new HashSet<>(p.getNodesList()), p.getLabelsMap(), p.getAll());
  }

  /** Fails closed on a value this build does not know. */
  private static String known(String name, String what) {
    if (name.endsWith("UNSPECIFIED") || name.equals("UNRECOGNIZED")) {
      throw new IllegalArgumentException(what + " carries an unknown value");
    }
    return name;
  }

  private String ref(ActorRef<?> ref) {
    return resolver.toSerializationFormat(ref);
  }

  private <T> ActorRef<T> resolve(String serialized) {
    return resolver.resolveActorRef(serialized);
  }
}
