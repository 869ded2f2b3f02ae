package org.opencluster.controller.registration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.testing.MovableClock;
import org.opencluster.persistence.jdbc.SealedValues;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.persistence.testing.TestSeals;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.Identity;

/**
 * The agent CA and the service CA as the controllers hold them: only this cluster's, each only of
 * its kind, kept as sealed values, and an import on one controller reaches the others (two
 * OnlineCa over one store) within a minute.
 */
class OnlineCaTest {

  private final MovableClock clock = new MovableClock(Instant.now());
  private final Storage storage = Storage.open(TestDatabases.freshH2());
  private final SealedValues store = new SealedValues(storage.dataSource(), TestSeals.unsealed(storage), Clock.systemUTC());
  private final CertificateAuthority root;

  OnlineCaTest() throws Exception {
    root = CertificateAuthority.createRoot(EcKeys.generate(), "test", Duration.ofDays(30), Clock.systemUTC());
  }

  @AfterEach
  void close() {
    storage.close();
  }

  @Test
  void anImportOnOneController_reachesAnotherWithinTheRereadTime() throws Exception {
    OnlineCa here = OnlineCa.agents(store, () -> List.of(root.certificate()), clock);
    OnlineCa there = OnlineCa.agents(store, () -> List.of(root.certificate()), clock);
    KeyPair firstKeys = EcKeys.generate();
    CertificateAuthority first = root.createAgentCa(firstKeys, Duration.ofDays(1));
    here.importCa(first.certificate(), firstKeys.getPrivate());
    assertThat(there.current().orElseThrow().certificate()).isEqualTo(first.certificate());

    KeyPair rotatedKeys = EcKeys.generate();
    CertificateAuthority rotated = root.createAgentCa(rotatedKeys, Duration.ofDays(1));
    here.importCa(rotated.certificate(), rotatedKeys.getPrivate());
    assertThat(here.current().orElseThrow().certificate()).isEqualTo(rotated.certificate());
    clock.advance(OnlineCa.REREAD_AFTER);
    assertThat(there.current().orElseThrow().certificate()).as("the other controller signs with the new one")
        .isEqualTo(rotated.certificate());
  }

  @Test
  void aCaNotSignedByThisClustersRoot_orAKeyNotItsOwn_isRefused_andNothingIsKept() throws Exception {
    OnlineCa agentCa = OnlineCa.agents(store, () -> List.of(root.certificate()), clock);
    CertificateAuthority otherRoot = CertificateAuthority.createRoot(EcKeys.generate(), "other", Duration.ofDays(30),
        Clock.systemUTC());
    KeyPair foreignKeys = EcKeys.generate();
    CertificateAuthority foreign = otherRoot.createAgentCa(foreignKeys, Duration.ofDays(1));
    assertThatThrownBy(() -> agentCa.importCa(foreign.certificate(), foreignKeys.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not signed by this cluster's root");
    CertificateAuthority ours = root.createAgentCa(EcKeys.generate(), Duration.ofDays(1));
    assertThatThrownBy(() -> agentCa.importCa(ours.certificate(), EcKeys.generate().getPrivate()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(agentCa.current()).isEmpty();
  }

  @Test
  void eachKind_refusesTheOtherKindsCa_andTheTwoAreKeptApart() throws Exception {
    OnlineCa agentCa = OnlineCa.agents(store, () -> List.of(root.certificate()), clock);
    OnlineCa serviceCa = OnlineCa.services(store, () -> List.of(root.certificate()), clock);
    KeyPair agentKeys = EcKeys.generate();
    KeyPair serviceKeys = EcKeys.generate();
    CertificateAuthority agents = root.createAgentCa(agentKeys, Duration.ofDays(1));
    CertificateAuthority services = root.createServiceCa(serviceKeys, Duration.ofDays(1), List.of());

    assertThatThrownBy(() -> serviceCa.importCa(agents.certificate(), agentKeys.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not the service CA");
    assertThatThrownBy(() -> agentCa.importCa(services.certificate(), serviceKeys.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not the agent CA");
    assertThatThrownBy(() -> serviceCa.importCa(root.certificate(), serviceKeys.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not the service CA");
    assertThat(serviceCa.current()).isEmpty();
    assertThat(serviceCa.loaded()).isEmpty();

    agentCa.importCa(agents.certificate(), agentKeys.getPrivate());
    serviceCa.importCa(services.certificate(), serviceKeys.getPrivate());
    OnlineCa otherController = OnlineCa.services(store, () -> List.of(root.certificate()), clock);
    assertThat(otherController.loaded()).as("loaded() never reads the store").isEmpty();
    assertThat(otherController.current().orElseThrow().identity()).isEqualTo(Identity.SERVICE_CA);
    assertThat(otherController.loaded().orElseThrow().certificate()).isEqualTo(services.certificate());
    assertThat(agentCa.current().orElseThrow().identity()).isEqualTo(Identity.AGENT_CA);
  }
}
