package org.opencluster.persistence.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opencluster.persistence.jdbc.Storage;
import org.opencluster.persistence.testing.TestDatabases;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;

class SealTest {

  private static final byte[] RECORD = "secret-marker-seal".getBytes(StandardCharsets.UTF_8);

  private final Storage storage = Storage.open(TestDatabases.freshH2());
  private final MovableClock clock = new MovableClock(Instant.parse("2026-06-01T00:00:00Z"));
  private final Seal seal = new Seal(storage.keyRingStore(), clock, Duration.ofMinutes(15));

  @AfterEach
  void close() {
    storage.close();
  }

  @Test
  void newStore_isUninitialized_andRefusesWork() {
    assertThat(seal.status().state()).isEqualTo(Seal.State.UNINITIALIZED);
    assertThatThrownBy(seal::keyRing).isInstanceOf(IllegalStateException.class).hasMessageContaining("sealed");
    assertThatThrownBy(() -> seal.submitShare("ocs1-0123456789abcdef-1-AAAA-00000000"))
        .isInstanceOf(SealException.class).hasMessageContaining("operator init");
  }

  @Test
  void initialize_handsOutSharesOnce_andStaysSealed() throws Exception {
    List<String> shares = seal.initialize(5, 3);
    assertThat(shares).hasSize(5).doesNotHaveDuplicates();
    Seal.Status status = seal.status();
    assertThat(status.state()).isEqualTo(Seal.State.SEALED);
    assertThat(status.shares()).isEqualTo(5);
    assertThat(status.threshold()).isEqualTo(3);
    assertThat(shares.get(0)).contains(status.shareSetId());
    assertThatThrownBy(() -> seal.initialize(5, 3)).isInstanceOf(SealException.class).hasMessageContaining("already initialized");
  }

  @Test
  void oneShareShortOfTheThreshold_doesNotUnseal() throws Exception {
    List<String> shares = seal.initialize(5, 3);
    assertThat(seal.submitShare(shares.get(0)).progress()).isEqualTo(1);
    Seal.Status status = seal.submitShare(shares.get(3));
    assertThat(status.state()).isEqualTo(Seal.State.SEALED);
    assertThat(status.progress()).isEqualTo(2);
    assertThat(seal.isUnsealed()).isFalse();
  }

  @Test
  void thresholdShares_unseal_andTheKeyRingWorks() throws Exception {
    List<String> shares = seal.initialize(5, 3);
    seal.submitShare(shares.get(4));
    seal.submitShare(shares.get(1));
    Seal.Status status = seal.submitShare(shares.get(2));
    assertThat(status.state()).isEqualTo(Seal.State.UNSEALED);
    assertThat(status.activeKeyId()).isEqualTo(1);
    byte[] record = seal.keyRing().encrypt(RECORD);
    assertThat(seal.keyRing().decrypt(record).copyBytes()).isEqualTo(RECORD);
  }

  @Test
  void aShareGivenTwice_isRefused() throws Exception {
    List<String> shares = seal.initialize(5, 3);
    seal.submitShare(shares.get(0));
    assertThatThrownBy(() -> seal.submitShare(shares.get(0))).isInstanceOf(SealException.class).hasMessageContaining("already given");
    assertThat(seal.status().progress()).isEqualTo(1);
  }

  @Test
  void aShareOfAnotherCluster_isRefusedByName() throws Exception {
    seal.initialize(5, 3);
    try (Storage other = Storage.open(TestDatabases.freshH2())) {
      String foreign = new Seal(other.keyRingStore(), clock, Duration.ofMinutes(15)).initialize(3, 2).get(0);
      assertThatThrownBy(() -> seal.submitShare(foreign)).isInstanceOf(SealException.class).hasMessageContaining("another cluster");
    }
    assertThat(seal.status().progress()).isZero();
  }

  @Test
  void sharesThatDoNotRebuildTheKey_resetProgress_andLeaveItSealed() throws Exception {
    List<String> shares = seal.initialize(3, 2);
    String setId = seal.status().shareSetId();
    String forged;
    try (SecretBytes wrongKey = SecretBytes.random(32)) {
      forged = UnsealShare.split(wrongKey, 3, 2, setId).get(1);
    }
    seal.submitShare(shares.get(0));
    assertThatThrownBy(() -> seal.submitShare(forged))
        .isInstanceOf(SealException.class).hasMessageContaining("do not rebuild").hasMessageContaining("reset");
    assertThat(seal.status().state()).isEqualTo(Seal.State.SEALED);
    assertThat(seal.status().progress()).isZero();
    seal.submitShare(shares.get(0));
    assertThat(seal.submitShare(shares.get(2)).state()).isEqualTo(Seal.State.UNSEALED);
  }

  @Test
  void staleProgress_isForgotten() throws Exception {
    List<String> shares = seal.initialize(5, 3);
    seal.submitShare(shares.get(0));
    clock.advance(Duration.ofMinutes(16));
    assertThat(seal.status().progress()).isZero();
  }

  @Test
  void theWrongKey_doesNotUnseal() throws Exception {
    try (SecretBytes key = SecretBytes.random(32);
        SecretBytes wrong = SecretBytes.random(32)) {
      seal.initializeWithKey(key);
      assertThatThrownBy(() -> seal.unsealWithKey(wrong)).isInstanceOf(SealException.class).hasMessageContaining("not the cluster's key");
      assertThat(seal.isUnsealed()).isFalse();
    }
  }

  @Test
  void sealing_dropsTheKeys() throws Exception {
    unsealWithFreshKey();
    byte[] record = seal.keyRing().encrypt(RECORD);
    seal.seal();
    assertThat(seal.status().state()).isEqualTo(Seal.State.SEALED);
    assertThatThrownBy(seal::keyRing).isInstanceOf(IllegalStateException.class);
    assertThat(record).isNotNull();
  }

  @Test
  void rotation_addsAKey_andOldRecordsStayReadable() throws Exception {
    unsealWithFreshKey();
    byte[] old = seal.keyRing().encrypt(RECORD);
    assertThat(seal.rotateDataKey()).isEqualTo(2);
    byte[] fresh = seal.keyRing().encrypt(RECORD);
    assertThat(DataKeyRing.keyIdOf(fresh)).isEqualTo(2);
    assertThat(seal.keyRing().decrypt(old).copyBytes()).isEqualTo(RECORD);
  }

  @Test
  void scheduledRotation_addsAKeyOnlyWhenTheActiveOneIsOld() throws Exception {
    unsealWithFreshKey();
    assertThat(seal.rotateIfOlderThan(Duration.ofDays(30))).isFalse();
    clock.advance(Duration.ofDays(31));
    assertThat(seal.rotateIfOlderThan(Duration.ofDays(30))).isTrue();
    assertThat(seal.status().activeKeyId()).isEqualTo(2);
  }

  @Test
  void aKeyAddedByAnotherController_isFoundWhenARecordNeedsIt() throws Exception {
    SecretBytes key = SecretBytes.random(32);
    seal.initializeWithKey(key);
    seal.unsealWithKey(key);
    Seal peer = new Seal(storage.keyRingStore(), clock, Duration.ofMinutes(15));
    peer.unsealWithKey(key);
    key.close();
    peer.rotateDataKey();
    byte[] written = peer.keyRing().encrypt(RECORD);
    assertThat(seal.keyRing().holds(2)).isFalse();
    assertThat(seal.keyRingHolding(2).decrypt(written).copyBytes()).isEqualTo(RECORD);
  }

  @Test
  void whenAPeerRotatesAtTheSameMoment_itsNewKeyIsUsed_andNoSecondKeyIsAdded() throws Exception {
    SecretBytes key = SecretBytes.random(32);
    seal.initializeWithKey(key);
    Seal peer = new Seal(storage.keyRingStore(), clock, Duration.ofMinutes(15));
    peer.unsealWithKey(key);
    KeyRingStore racing = new KeyRingStore() {
      private boolean raced;

      @Override
      public java.util.Optional<SealRecord> sealRecord() {
        return storage.keyRingStore().sealRecord();
      }

      @Override
      public boolean initialize(SealRecord record, WrappedKey firstKey) {
        return storage.keyRingStore().initialize(record, firstKey);
      }

      @Override
      public List<WrappedKey> wrappedKeys() {
        return storage.keyRingStore().wrappedKeys();
      }

      @Override
      public boolean addWrappedKey(WrappedKey wrapped) {
        if (!raced) {
          raced = true;
          try {
            peer.rotateDataKey();
          } catch (SealException e) {
            throw new IllegalStateException(e);
          }
        }
        return storage.keyRingStore().addWrappedKey(wrapped);
      }
    };
    Seal racer = new Seal(racing, clock, Duration.ofMinutes(15));
    racer.unsealWithKey(key);
    key.close();

    assertThat(racer.rotateDataKey()).as("the peer's key 2, not a key 3").isEqualTo(2);
    assertThat(storage.keyRingStore().wrappedKeys()).hasSize(2);
    byte[] written = racer.keyRing().encrypt(RECORD);
    assertThat(peer.keyRing().decrypt(written).copyBytes()).isEqualTo(RECORD);
  }

  @Test
  void aFailingListener_doesNotBreakTheSeal_orTheOtherListeners() throws Exception {
    List<Seal.State> heard = new ArrayList<>();
    seal.onChange(status -> {
      throw new IllegalStateException("listener bug");
    });
    seal.onChange(status -> heard.add(status.state()));
    unsealWithFreshKey();
    assertThat(seal.isUnsealed()).isTrue();
    assertThat(heard).endsWith(Seal.State.UNSEALED);
  }

  @Test
  void theKeyHandedToAPeer_unsealsOnlyThatPeer() throws Exception {
    unsealWithFreshKey();
    KeyPair joiner = EcKeys.generate();
    byte[] address = "pekko://opencluster@127.0.0.1:25521".getBytes(StandardCharsets.UTF_8);
    byte[] box = seal.exportKeyTo((ECPublicKey) joiner.getPublic(), address);
    Seal peer = new Seal(storage.keyRingStore(), clock, Duration.ofMinutes(15));
    assertThatThrownBy(() -> peer.unsealFromPeer(EcKeys.generate(), box, address)).isInstanceOf(SealException.class);
    assertThatThrownBy(() -> peer.unsealFromPeer(joiner, box, "elsewhere".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SealException.class);
    peer.unsealFromPeer(joiner, box, address);
    assertThat(peer.isUnsealed()).isTrue();
  }

  @Test
  void aSealedControllerHasNoKeyToHandOut() throws Exception {
    seal.initialize(3, 2);
    assertThatThrownBy(() -> seal.exportKeyTo((ECPublicKey) EcKeys.generate().getPublic()))
        .isInstanceOf(SealException.class).hasMessageContaining("sealed");
  }

  @Test
  void aModifiedKeyTable_refusesToUnseal() throws Exception {
    try (SecretBytes key = SecretBytes.random(32)) {
      seal.initializeWithKey(key);
      try (Connection connection = storage.dataSource().getConnection();
          Statement statement = connection.createStatement()) {
        statement.executeUpdate("UPDATE oc_data_key SET key_id = 9 WHERE key_id = 1");
      }
      assertThatThrownBy(() -> seal.unsealWithKey(key)).isInstanceOf(SealException.class).hasMessageContaining("key table was modified");
    }
  }

  @Test
  void listeners_hearEachChange() throws Exception {
    List<Seal.State> heard = new ArrayList<>();
    seal.onChange(status -> heard.add(status.state()));
    unsealWithFreshKey();
    seal.seal();
    assertThat(heard).containsExactly(Seal.State.SEALED, Seal.State.UNSEALED, Seal.State.SEALED);
  }

  @Test
  void statusAndToString_carryNoSecret() throws Exception {
    List<String> shares = seal.initialize(3, 2);
    seal.submitShare(shares.get(0));
    String everything = seal.status() + " " + seal;
    for (String share : shares) {
      assertThat(everything).doesNotContain(share.substring(24, 40));
    }
  }

  private void unsealWithFreshKey() throws SealException {
    try (SecretBytes key = SecretBytes.random(32)) {
      seal.initializeWithKey(key);
      seal.unsealWithKey(key);
    }
  }

  /** A clock the test moves. */
  static final class MovableClock extends Clock {
    private final AtomicReference<Instant> now;

    MovableClock(Instant start) {
      now = new AtomicReference<>(start);
    }

    void advance(Duration by) {
      now.updateAndGet(t -> t.plus(by));
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public ZoneId getZone() {
      return ZoneId.of("UTC");
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
