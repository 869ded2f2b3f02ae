package org.opencluster.controller.files;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.opencluster.controller.files.FileCatalog.Catalog;
import org.opencluster.protocol.crypto.AeadException;
import org.opencluster.protocol.crypto.AesGcm;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * Catalogs for tests, with content encrypted the way the API encrypts it, under a key made at run
 * time (a {@link ContentCipher} over one AES-256-GCM key instead of the controller's key ring).
 */
public final class TestCatalogs {

  private final AesGcm key = AesGcm.create(SecretBytes.random(AesGcm.KEY_LENGTH));
  private final Map<String, FileDefinition> files = new TreeMap<>();
  private final Map<String, SharedSecret> secrets = new TreeMap<>();
  private long revision;

  public final ContentCipher cipher = new ContentCipher() {
    @Override
    public byte[] encrypt(SecretBytes plaintext, byte[]... associatedData) {
      return key.encrypt(plaintext, associatedData);
    }

    @Override
    public SecretBytes decrypt(byte[] record, byte[]... associatedData) {
      try {
        return key.decrypt(record, associatedData);
      } catch (AeadException e) {
        throw new IllegalStateException("test record failed authentication", e);
      }
    }
  };

  public TestCatalogs staticFile(String name, String path, String content, FileDefinition.Selector selector) {
    try (SecretBytes plaintext = SecretBytes.copyOf(content.getBytes(StandardCharsets.UTF_8))) {
      return put(name, path, FileDefinition.Delivery.TMPFS, selector, new FileDefinition.StaticSource(
          ByteString.copyFrom(cipher.encrypt(plaintext, FileDefinition.contentAssociatedData(name))), plaintext.length()));
    }
  }

  public TestCatalogs template(String name, String path, String text, FileDefinition.Selector selector) throws Exception {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    try (SecretBytes plaintext = SecretBytes.copyOf(bytes)) {
      return put(name, path, FileDefinition.Delivery.TMPFS, selector, new FileDefinition.TemplateSource(
          ByteString.copyFrom(cipher.encrypt(plaintext, FileDefinition.templateAssociatedData(name))), bytes.length,
          Template.parse(bytes).references()));
    }
  }

  public TestCatalogs generated(String name, String path, FileDefinition.Generator generator, int length,
      FileDefinition.Selector selector) {
    return put(name, path, FileDefinition.Delivery.TMPFS, selector,
        new FileDefinition.GeneratedSource(generator, length, FileDefinition.Encoding.BASE64));
  }

  /** A random secret each node makes again every {@code every} (the node-scoped schedule). */
  public TestCatalogs generated(String name, String path, FileDefinition.Generator generator, int length,
      java.time.Duration every, FileDefinition.Selector selector) {
    return put(name, path, FileDefinition.Delivery.TMPFS, selector, new FileDefinition.GeneratedSource(generator, length,
        FileDefinition.Encoding.BASE64, List.of(), List.of(), every));
  }

  public TestCatalogs tlsCertificate(String name, String path, List<String> dnsNames, List<String> ipAddresses,
      java.time.Duration ttl, FileDefinition.Selector selector) {
    return put(name, path, FileDefinition.Delivery.TMPFS, selector,
        FileDefinition.GeneratedSource.tlsCertificate(dnsNames, ipAddresses, ttl));
  }

  public TestCatalogs secret(String name, Map<String, String> fields) {
    Map<String, ByteString> encrypted = new TreeMap<>();
    fields.forEach((field, value) -> {
      try (SecretBytes plaintext = SecretBytes.copyOf(value.getBytes(StandardCharsets.UTF_8))) {
        encrypted.put(field, ByteString.copyFrom(cipher.encrypt(plaintext, SharedSecret.fieldAssociatedData(name, field))));
      }
    });
    secrets.put(name, new SharedSecret(name, ++revision, encrypted, Instant.EPOCH));
    return this;
  }

  /**
   * A rotating secret as its entity publishes it: {@code current} at version {@code currentVersion}
   * and, if {@code pending} is not empty, a pending version {@code currentVersion + 1}.
   */
  public TestCatalogs rotatingSecret(String name, long currentVersion, Map<String, String> current,
      Map<String, String> pending, FileDefinition.Selector consumers) {
    Map<String, ByteString> encrypted = new TreeMap<>();
    current.forEach((field, value) -> encrypted.put(field, encrypt(value, SharedSecret.fieldAssociatedData(name, field))));
    java.util.Optional<SharedSecret.Pending> staged = java.util.Optional.empty();
    if (!pending.isEmpty()) {
      Map<String, ByteString> pendingFields = new TreeMap<>();
      pending.forEach((field, value) -> pendingFields.put(field,
          encrypt(value, SharedSecret.pendingFieldAssociatedData(name, currentVersion + 1, field))));
      staged = java.util.Optional.of(new SharedSecret.Pending(currentVersion + 1, pendingFields));
    }
    secrets.put(name, new SharedSecret(name, ++revision, encrypted, Instant.EPOCH,
        java.util.Optional.of(new SharedSecret.Rotation(currentVersion, staged, consumers))));
    return this;
  }

  private ByteString encrypt(String value, byte[][] associatedData) {
    try (SecretBytes plaintext = SecretBytes.copyOf(value.getBytes(StandardCharsets.UTF_8))) {
      return ByteString.copyFrom(cipher.encrypt(plaintext, associatedData));
    }
  }

  public TestCatalogs remove(String name) {
    files.remove(name);
    revision++;
    return this;
  }

  public Catalog catalog() {
    return new Catalog(revision, files, secrets);
  }

  public static FileDefinition.Selector labels(Map<String, String> labels) {
    return new FileDefinition.Selector(Set.of(), labels, false);
  }

  public static FileDefinition.Selector nodes(String... ids) {
    return new FileDefinition.Selector(Set.of(ids), Map.of(), false);
  }

  private TestCatalogs put(String name, String path, FileDefinition.Delivery delivery, FileDefinition.Selector selector,
      FileDefinition.Source source) {
    files.put(name, new FileDefinition(name, ++revision, path, "root", "root", 0440, delivery, List.of(), selector, source,
        Instant.EPOCH));
    return this;
  }
}
