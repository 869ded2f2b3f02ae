package org.opencluster.protocol.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdentityTest {

  @Test
  void uriForms_roundTrip() {
    for (Identity identity : new Identity[] {
        Identity.controller("ctl-1"), Identity.node("n-0a1b"), Identity.operator("alice", Role.AUDITOR),
        Identity.ROOT_CA, Identity.AGENT_CA}) {
      assertThat(Identity.parse(identity.toString())).isEqualTo(identity);
    }
    assertThat(Identity.operator("alice", Role.ADMIN).toString()).isEqualTo("opencluster://operator/alice?role=admin");
    assertThat(Identity.node("n-1").toUri().getScheme()).isEqualTo("opencluster");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "opencluster://node/", "opencluster://node/UPPER", "opencluster://node/a/b", "opencluster://node/../x",
      "opencluster://node/-leading", "opencluster://admin/alice", "https://node/n-1", "opencluster://node/n-1?role=admin",
      "opencluster://operator/alice", "opencluster://operator/alice?role=root", "opencluster://ca/other",
      " opencluster://node/n-1", "opencluster://node/n-1 ", "opencluster://NODE/n-1"})
  void malformedIdentities_areRefused(String uri) {
    assertThatThrownBy(() -> Identity.parse(uri)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void nameLongerThan63_isRefused() {
    assertThat(Identity.isValidName("a".repeat(63))).isTrue();
    assertThat(Identity.isValidName("a".repeat(64))).isFalse();
    assertThatThrownBy(() -> Identity.controller("a".repeat(64))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unknownRole_namesTheAcceptedOnes() {
    assertThatThrownBy(() -> Role.fromId("root")).hasMessageContaining("admin, operator or auditor");
  }
}
