package org.opencluster.controller.secrets;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.opencluster.controller.files.ContentCipher;
import org.opencluster.controller.files.FileCatalog.Catalog;
import org.opencluster.controller.files.FileDefinition;
import org.opencluster.controller.files.SharedSecret;
import org.opencluster.controller.rotation.Rotator;
import org.opencluster.controller.rotation.RotatorSpec;
import org.opencluster.controller.rotation.Rotators;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * The controller's {@link RotatorSource}: the rotator comes from {@link Rotators}, and the admin
 * credential a spec names is read from this controller's copy of the file catalog (a static
 * secret, or a rotating secret's current version), decrypted field by field for the lease and
 * wiped when the lease closes. Only memory is read: safe on an entity's thread.
 */
public final class CatalogRotatorSource implements RotatorSource {

  private final Supplier<Catalog> catalog;
  private final ContentCipher cipher;
  private final Rotators rotators;

  /**
   * @param catalog the newest catalog this controller holds (its LocalCatalog's {@code current})
   * @param cipher decrypts the admin secret's fields
   */
  CatalogRotatorSource(Supplier<Catalog> catalog, ContentCipher cipher, Rotators rotators) {
    this.catalog = catalog;
    this.cipher = cipher;
    this.rotators = rotators;
  }

  /** With the standard rotators ({@code none}, {@code postgresql}). */
  public static RotatorSource standard(Supplier<Catalog> catalog, ContentCipher cipher) {
    return of(catalog, cipher, Rotators.standard());
  }

  /** As {@link #standard}, with the rotator kinds of {@code rotators}. */
  public static RotatorSource of(Supplier<Catalog> catalog, ContentCipher cipher, Rotators rotators) {
    return new CatalogRotatorSource(catalog, cipher, rotators);
  }

  @Override
  public Lease open(RotatorSpec spec) {
    Map<String, SecretBytes> admin = spec.adminSecret().map(this::admin).orElse(Map.of());
    Rotator rotator;
    try {
      rotator = rotators.create(spec, admin);
    } catch (RuntimeException e) {
      wipe(admin);
      throw e;
    }
    return new Lease() {
      @Override
      public Rotator rotator() {
        return rotator;
      }

      @Override
      public void close() {
        wipe(admin);
      }
    };
  }

  /** The admin secret's current fields, decrypted; the caller wipes them. */
  private Map<String, SecretBytes> admin(String name) {
    SharedSecret secret = catalog.get().secrets().get(name);
    if (secret == null) {
      String printable = FileDefinition.printable(name);
      throw new IllegalArgumentException("the admin secret '" + printable + "' does not exist: put it first "
          + "(opencluster secret put " + printable + " username=... password=@-)");
    }
    Map<String, SecretBytes> fields = new TreeMap<>();
    try {
      secret.encryptedFields().forEach((field, record) -> fields.put(field,
          cipher.decrypt(record.toByteArray(), SharedSecret.fieldAssociatedData(name, field))));
    } catch (RuntimeException e) {
      wipe(fields);
      throw e;
    }
    return fields;
  }

  private static void wipe(Map<String, SecretBytes> values) {
    values.values().forEach(SecretBytes::close);
  }
}
