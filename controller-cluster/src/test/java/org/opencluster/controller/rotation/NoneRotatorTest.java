package org.opencluster.controller.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.crypto.SecretBytes;

class NoneRotatorTest {

  private static final Rotators ROTATORS = Rotators.standard();

  @Test
  void next_makesANewPasswordOfLettersAndDigits_andKeepsTheOtherFields() {
    Rotator rotator = ROTATORS.create(RotatorSpec.of("none", Map.of("password-length", "40")), Map.of());
    Map<String, SecretBytes> current = Map.of(
        "username", bytes("svc"), "password", bytes("OldPassw0rdOldPassw0rd"));

    Map<String, SecretBytes> next = rotator.next(current);

    assertThat(next).containsOnlyKeys("username", "password");
    assertThat(next.get("username")).isEqualTo(current.get("username")).isNotSameAs(current.get("username"));
    String password = Passwords.text(next, "password");
    assertThat(password).hasSize(40).matches("[A-Za-z0-9]+");
    assertThat(next.get("password")).isNotEqualTo(current.get("password"));
    assertThat(rotator.next(current).get("password")).isNotEqualTo(next.get("password"));
  }

  @Test
  void next_isPure_theCurrentVersionIsUntouched() {
    Rotator rotator = ROTATORS.create(RotatorSpec.of("none", Map.of()), Map.of());
    Map<String, SecretBytes> current = Map.of("password", bytes("OldPassw0rdOldPassw0rd"));

    rotator.next(current).values().forEach(SecretBytes::close);

    assertThat(Passwords.text(current, "password")).isEqualTo("OldPassw0rdOldPassw0rd");
    assertThat(Passwords.text(rotator.next(current), "password")).hasSize(32);
  }

  @Test
  void setTestAndRetire_doNothing() throws RotationException {
    Rotator rotator = ROTATORS.create(RotatorSpec.of("none", Map.of()), Map.of());
    Map<String, SecretBytes> version = Map.of("password", bytes("x"));

    rotator.set(version);
    rotator.test(version);
    rotator.retire(version);

    assertThat(rotator.kind()).isEqualTo("none");
    assertThat(rotator.fields()).containsExactly("password");
  }

  @Test
  void aPasswordLengthOutOfRange_isRefused() {
    for (String length : new String[] {"15", "1025", "ten"}) {
      assertThatThrownBy(() -> ROTATORS.create(RotatorSpec.of("none", Map.of("password-length", length)), Map.of()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("password-length").hasMessageContaining("16 to 1024");
    }
  }

  private static SecretBytes bytes(String text) {
    return SecretBytes.copyOf(text.getBytes(StandardCharsets.UTF_8));
  }
}
