package org.opencluster.controller.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.crypto.SecretBytes;

class RotatorsTest {

  private static final Map<String, SecretBytes> ADMIN = Map.of(
      "username", SecretBytes.copyOf("rotator".getBytes(StandardCharsets.UTF_8)),
      "password", SecretBytes.copyOf("Adm1nPassw0rd".getBytes(StandardCharsets.UTF_8)));

  @Test
  void anUnknownKind_isRefused_namingTheKnownOnes() {
    assertThatThrownBy(() -> Rotators.standard().create(RotatorSpec.of("mysql", Map.of()), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown rotator kind 'mysql'; known kinds: none, postgresql");
  }

  @Test
  void aBlankKind_isRefused() {
    assertThatThrownBy(() -> RotatorSpec.of(" ", Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kind");
  }

  @Test
  void anotherKind_isAddedWithoutTouchingTheStandardOnes() {
    Rotators rotators = Rotators.standard().with("ldap", (spec, admin) -> new StubRotator("ldap"));

    assertThat(rotators.kinds()).containsExactly("ldap", "none", "postgresql");
    assertThat(rotators.create(RotatorSpec.of("ldap", Map.of()), Map.of()).kind()).isEqualTo("ldap");
    assertThat(Rotators.standard().kinds()).containsExactly("none", "postgresql");
    assertThatThrownBy(() -> rotators.with("none", (spec, admin) -> new StubRotator("none")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already registered");
  }

  @Test
  void anUnknownParameter_isRefused_namingIt() {
    assertThatThrownBy(() -> Rotators.standard().create(RotatorSpec.of("none", Map.of("lenght", "20")), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lenght");
  }

  @Test
  void postgresql_needsItsParameters_andTheAdminFields() {
    Rotators rotators = Rotators.standard();
    Map<String, String> good = Map.of("jdbc-url", "jdbc:postgresql://db.example:5432/orders",
        "role-a", "app_a", "role-b", "app_b");
    Optional<String> adminSecret = Optional.of("db/rotator");

    assertThat(rotators.create(new RotatorSpec("postgresql", good, adminSecret), ADMIN).fields())
        .containsExactlyInAnyOrder("username", "password");
    assertRefused(new RotatorSpec("postgresql", without(good, "jdbc-url"), adminSecret), ADMIN, "jdbc-url");
    assertRefused(new RotatorSpec("postgresql", without(good, "role-b"), adminSecret), ADMIN, "role-b");
    assertRefused(new RotatorSpec("postgresql", with(good, "role-b", "app_a"), adminSecret), ADMIN, "two different");
    assertRefused(new RotatorSpec("postgresql", with(good, "role-a", "app a"), adminSecret), ADMIN, "role-a");
    assertRefused(new RotatorSpec("postgresql", with(good, "retire", "never"), adminSecret), ADMIN, "retire");
    assertRefused(new RotatorSpec("postgresql", with(good, "jdbc-url", "jdbc:mysql://db/orders"), adminSecret),
        ADMIN, "jdbc:postgresql://");
    assertRefused(new RotatorSpec("postgresql", good, Optional.empty()), ADMIN, "admin secret");
    assertRefused(new RotatorSpec("postgresql", good, adminSecret), Map.of("username", ADMIN.get("username")),
        "'username' and 'password'");
  }

  @Test
  void postgresql_refusesAUrlCarryingAPassword_withoutRepeatingIt() {
    Map<String, String> parameters = Map.of(
        "jdbc-url", "jdbc:postgresql://db.example/orders?password=Le4kedInTheUrl",
        "role-a", "app_a", "role-b", "app_b");

    assertThatThrownBy(() -> Rotators.standard().create(
            new RotatorSpec("postgresql", parameters, Optional.of("db/rotator")), ADMIN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not carry a user or password")
        .message().doesNotContain("Le4kedInTheUrl");
  }

  private static void assertRefused(RotatorSpec spec, Map<String, SecretBytes> admin, String naming) {
    assertThatThrownBy(() -> Rotators.standard().create(spec, admin))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(naming)
        .message().doesNotContain("Adm1nPassw0rd");
  }

  private static Map<String, String> without(Map<String, String> map, String key) {
    Map<String, String> copy = new java.util.HashMap<>(map);
    copy.remove(key);
    return copy;
  }

  private static Map<String, String> with(Map<String, String> map, String key, String value) {
    Map<String, String> copy = new java.util.HashMap<>(map);
    copy.put(key, value);
    return copy;
  }

  private record StubRotator(String kind) implements Rotator {
    @Override
    public Set<String> fields() {
      return Set.of("token");
    }

    @Override
    public Map<String, SecretBytes> next(Map<String, SecretBytes> current) {
      return current;
    }

    @Override
    public void set(Map<String, SecretBytes> pending) {}

    @Override
    public void test(Map<String, SecretBytes> pending) {}

    @Override
    public void retire(Map<String, SecretBytes> previous) {}

    @Override
    public void revoke(Map<String, SecretBytes> previous) {}
  }
}
