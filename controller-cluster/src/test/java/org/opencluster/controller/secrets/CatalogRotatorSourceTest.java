package org.opencluster.controller.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.files.TestCatalogs;
import org.opencluster.controller.rotation.Rotator;
import org.opencluster.controller.rotation.RotatorSpec;
import org.opencluster.controller.rotation.Rotators;
import org.opencluster.protocol.crypto.SecretBytes;

/** Where the saga's rotators come from: the kind from the registry, the admin credential from the catalog copy. */
class CatalogRotatorSourceTest {

  private static final String ADMIN_PASSWORD = "admin-password-never-shown";

  private final TestCatalogs catalogs = new TestCatalogs().secret("db/admin",
      Map.of("username", "rotator", "password", ADMIN_PASSWORD));
  /** The admin fields each {@code spy} rotator was built with. */
  private final List<Map<String, SecretBytes>> given = new CopyOnWriteArrayList<>();
  private final RotatorSource source = new CatalogRotatorSource(catalogs::catalog, catalogs.cipher,
      Rotators.standard().with("spy", (spec, admin) -> {
        given.add(admin);
        return Rotators.standard().create(RotatorSpec.of("none", Map.of()), Map.of());
      }));

  @Test
  void anAdminSecretInTheCatalog_isDecryptedForTheRotator() {
    try (RotatorSource.Lease lease = source.open(new RotatorSpec("spy", Map.of(), Optional.of("db/admin")))) {
      assertThat(lease.rotator().kind()).isEqualTo("none");
      assertThat(given).hasSize(1);
      assertThat(text(given.get(0).get("username"))).isEqualTo("rotator");
      assertThat(text(given.get(0).get("password"))).isEqualTo(ADMIN_PASSWORD);
    }
  }

  @Test
  void closingTheLease_wipesTheAdminCredential() {
    RotatorSource.Lease lease = source.open(new RotatorSpec("spy", Map.of(), Optional.of("db/admin")));
    lease.close();

    assertThat(given.get(0).values()).isNotEmpty().allMatch(SecretBytes::isDestroyed);
  }

  @Test
  void aMissingAdminSecret_isRefused_sayingHowToPutIt() {
    assertThatThrownBy(() -> source.open(new RotatorSpec("spy", Map.of(), Optional.of("db/nobody"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the admin secret 'db/nobody' does not exist: put it first "
            + "(opencluster secret put db/nobody username=... password=@-)");
    assertThat(given).as("no rotator was built").isEmpty();
  }

  @Test
  void anUnknownKind_isRefused_namingTheKnownOnes_andTheAdminCredentialIsWiped() {
    Rotators standard = Rotators.standard();
    List<Map<String, SecretBytes>> opened = new CopyOnWriteArrayList<>();
    RotatorSource refusing = new CatalogRotatorSource(catalogs::catalog, catalogs.cipher,
        standard.with("broken", (spec, admin) -> {
          opened.add(admin);
          throw new IllegalArgumentException("rotator 'broken' needs the parameter 'x'");
        }));

    assertThatThrownBy(() -> refusing.open(RotatorSpec.of("mysql", Map.of())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown rotator kind 'mysql'")
        .hasMessageContaining("none, postgresql");
    assertThatThrownBy(() -> refusing.open(new RotatorSpec("broken", Map.of(), Optional.of("db/admin"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining(ADMIN_PASSWORD);
    assertThat(opened.get(0).values()).as("wiped although no lease was handed out").allMatch(SecretBytes::isDestroyed);
  }

  @Test
  void aSpecWithoutAdminSecret_buildsTheRotatorWithNoCredential() {
    try (RotatorSource.Lease lease = source.open(RotatorSpec.of("spy", Map.of()))) {
      Rotator rotator = lease.rotator();
      assertThat(rotator).isNotNull();
      assertThat(given.get(0)).isEmpty();
    }
  }

  private static String text(SecretBytes value) {
    return new String(value.copyBytes(), StandardCharsets.UTF_8);
  }
}
