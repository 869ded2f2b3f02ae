package org.opencluster.persistence.keys;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.opencluster.protocol.crypto.AeadException;
import org.opencluster.protocol.crypto.AesGcm;
import org.opencluster.protocol.crypto.SealedBox;
import org.opencluster.protocol.crypto.SealedBoxException;
import org.opencluster.protocol.crypto.SecretBytes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's seal: whether it holds the key-encryption key (KEK) and, through it, the data
 * keys that encrypt everything stored.
 *
 * <pre>
 * UNINITIALIZED --initialize(n, k)--> SEALED --k shares / a peer / dev key--> UNSEALED
 *                                        ^                                       |
 *                                        +------------------seal()---------------+
 * </pre>
 *
 * The KEK is never stored: {@link #initialize} splits it into Shamir shares handed out once, and
 * keeps only a check value that only the right KEK decrypts. Data keys are stored wrapped under
 * the KEK. While sealed, nothing stored can be read or written.
 *
 * <p>Thread-safe. Listeners hear every change of state; they must not call back into the seal
 * synchronously.
 */
public final class Seal {

  private static final Logger LOG = LoggerFactory.getLogger(Seal.class);

  /** Where the controller stands. */
  public enum State {
    /** No KEK has been made for this cluster's store: run {@code operator init}. */
    UNINITIALIZED,
    /** The store is initialized, but this controller does not hold the KEK. */
    SEALED,
    /** This controller holds the KEK and the data keys. */
    UNSEALED
  }

  /** What {@code seal-status} reports. No secret in it. */
  public record Status(State state, int shares, int threshold, int progress, String shareSetId, int activeKeyId,
      int dataKeys) {}

  private static final byte[] CHECK_PLAINTEXT = "opencluster key check".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CHECK_LABEL = "opencluster/key-check/v1".getBytes(StandardCharsets.US_ASCII);
  private static final String TRANSFER_CONTEXT = "opencluster/kek-transfer/v1";
  private static final int KEY_LENGTH = 32;

  private final KeyRingStore store;
  private final Clock clock;
  private final Duration progressTimeout;
  private final List<Consumer<Status>> listeners = new CopyOnWriteArrayList<>();

  private volatile DataKeyRing ring;
  private KeyRingStore.SealRecord record;
  private AesGcm keyEncryption;
  private SecretBytes keyEncryptionKey;
  private final Map<Integer, AesGcm> dataKeys = new TreeMap<>();
  private final Map<Integer, Instant> dataKeyCreated = new HashMap<>();
  private final Map<Integer, UnsealShare> pending = new TreeMap<>();
  private Instant lastShareAt = Instant.MIN;

  /**
   * @param progressTimeout shares given longer ago than this are forgotten, so a half-finished
   *     unseal does not linger in memory
   */
  public Seal(KeyRingStore store, Clock clock, Duration progressTimeout) {
    this.store = store;
    this.clock = clock;
    this.progressTimeout = progressTimeout;
  }

  public void onChange(Consumer<Status> listener) {
    listeners.add(listener);
  }

  public synchronized Status status() {
    Optional<KeyRingStore.SealRecord> found = sealRecord();
    if (found.isEmpty()) {
      return new Status(State.UNINITIALIZED, 0, 0, 0, "", 0, 0);
    }
    KeyRingStore.SealRecord seal = found.get();
    DataKeyRing current = ring;
    if (current == null) {
      return new Status(State.SEALED, seal.shares(), seal.threshold(), livePending(), shareSetId(seal.keyCheck()), 0, 0);
    }
    return new Status(State.UNSEALED, seal.shares(), seal.threshold(), 0, shareSetId(seal.keyCheck()),
        current.activeKeyId(), current.size());
  }

  public boolean isUnsealed() {
    return ring != null;
  }

  /**
   * Makes the cluster's KEK and first data key, stores the check value and the wrapped data key,
   * and returns the KEK split into {@code shares} shares of which {@code threshold} unseal. The
   * shares exist nowhere else: hand each to one operator. The controller stays sealed.
   *
   * @throws SealException if the store is already initialized
   */
  public List<String> initialize(int shares, int threshold) throws SealException {
    try {
      UnsealShare.requireScheme(shares, threshold);
    } catch (IllegalArgumentException e) {
      throw new SealException(e.getMessage());
    }
    List<String> result;
    try (SecretBytes kek = SecretBytes.random(KEY_LENGTH)) {
      synchronized (this) {
        String setId = store(kek, shares, threshold);
        result = UnsealShare.split(kek, shares, threshold, setId);
      }
    }
    notifyListeners();
    return result;
  }

  /**
   * Initializes with a KEK given by the caller instead of shares: for development only, where the
   * key arrives on the command line.
   */
  public void initializeWithKey(SecretBytes kek) throws SealException {
    requireKeyLength(kek);
    synchronized (this) {
      store(kek, 1, 1);
    }
    notifyListeners();
  }

  /**
   * Takes one operator's share. When the threshold is reached the KEK is rebuilt and checked;
   * shares that do not rebuild it reset the progress.
   *
   * @throws SealException if the controller is not sealed, the share is malformed or mistyped,
   *     belongs to another key, was already given, or the shares do not rebuild the key
   */
  public Status submitShare(String encoded) throws SealException {
    Status status;
    synchronized (this) {
      KeyRingStore.SealRecord sealed = requireSealed();
      livePending();
      UnsealShare share = UnsealShare.decode(encoded);
      String expected = shareSetId(sealed.keyCheck());
      if (!share.setId().equals(expected)) {
        share.close();
        throw new SealException("this share belongs to another cluster or an earlier init (share set "
            + share.setId() + "; this cluster's is " + expected + ")");
      }
      if (share.index() > sealed.shares()) {
        share.close();
        throw new SealException("share " + share.index() + " does not exist: this cluster has " + sealed.shares());
      }
      if (pending.containsKey(share.index())) {
        share.close();
        throw new SealException("share " + share.index() + " was already given; " + pending.size() + " of "
            + sealed.threshold() + " so far");
      }
      pending.put(share.index(), share);
      lastShareAt = clock.instant();
      if (pending.size() >= sealed.threshold()) {
        try (SecretBytes kek = UnsealShare.join(pending.values(), sealed.shares(), sealed.threshold())) {
          unsealLocked(sealed, kek);
        } catch (SealException e) {
          throw new SealException("the shares given do not rebuild this cluster's key; progress was reset: start again", e);
        } finally {
          clearPending();
        }
      }
      status = status();
    }
    notifyListeners();
    return status;
  }

  /** Forgets the shares given so far. */
  public synchronized void resetProgress() {
    clearPending();
  }

  /**
   * Unseals with the KEK itself: from a peer controller, or a development key.
   *
   * @throws SealException if the store is not initialized, the key is not this cluster's, or a
   *     stored data key fails authentication
   */
  public void unsealWithKey(SecretBytes kek) throws SealException {
    requireKeyLength(kek);
    synchronized (this) {
      KeyRingStore.SealRecord found = sealRecord()
          .orElseThrow(() -> new SealException("the store is not initialized: run 'opencluster operator init'"));
      if (ring != null) {
        return;
      }
      unsealLocked(found, kek);
    }
    notifyListeners();
  }

  /** Drops the KEK and every data key from memory. Reading or writing stored records stops. */
  public void seal() {
    DataKeyRing old;
    synchronized (this) {
      old = ring;
      ring = null;
      if (old != null) {
        dataKeys.values().forEach(AesGcm::close);
        dataKeys.clear();
        dataKeyCreated.clear();
        keyEncryption.close();
        keyEncryptionKey.close();
        keyEncryption = null;
        keyEncryptionKey = null;
      }
      clearPending();
    }
    if (old != null) {
      notifyListeners();
    }
  }

  /**
   * The data keys, for the serializer.
   *
   * @throws IllegalStateException while sealed
   */
  public DataKeyRing keyRing() {
    DataKeyRing current = ring;
    if (current == null) {
      throw new IllegalStateException("the controller is sealed: stored records cannot be read or written until it is unsealed");
    }
    return current;
  }

  /**
   * A key ring holding {@code keyId}, reloading wrapped keys from the store if another controller
   * added it since.
   */
  public DataKeyRing keyRingHolding(int keyId) {
    DataKeyRing current = keyRing();
    if (current.holds(keyId)) {
      return current;
    }
    synchronized (this) {
      refreshLocked();
      return keyRing();
    }
  }

  /** Loads data keys other controllers added since this one unsealed. */
  public synchronized void refresh() {
    if (ring != null) {
      refreshLocked();
    }
  }

  /**
   * Adds a new data key for new records; old records stay readable under theirs.
   *
   * @return the new key's id
   */
  public int rotateDataKey() throws SealException {
    int keyId;
    synchronized (this) {
      keyId = rotateLocked();
    }
    notifyListeners();
    return keyId;
  }

  /**
   * Rotates if the active data key is older than {@code maxAge}. Several controllers may run this
   * on one schedule: the first adds a key, the others find it fresh.
   *
   * @return whether a key was added
   */
  public boolean rotateIfOlderThan(Duration maxAge) throws SealException {
    synchronized (this) {
      requireUnsealed();
      refreshLocked();
      Instant created = dataKeyCreated.get(ring.activeKeyId());
      if (created != null && !created.plus(maxAge).isBefore(clock.instant())) {
        return false;
      }
      rotateLocked();
    }
    notifyListeners();
    return true;
  }

  /**
   * The KEK sealed to a joining peer's ephemeral key, for it to unseal without operators. Only
   * ever send this over the mutual-TLS cluster link, to a controller.
   *
   * @param associatedData binds the box to the request (e.g. the requester's address)
   */
  public synchronized byte[] exportKeyTo(ECPublicKey requester, byte[]... associatedData) throws SealException {
    requireUnsealed();
    try {
      return SealedBox.seal(requester, TRANSFER_CONTEXT, keyEncryptionKey, associatedData);
    } catch (InvalidKeyException e) {
      throw new SealException("the requester's key is not a valid P-256 key", e);
    }
  }

  /** Unseals with a KEK a peer sealed to {@code ephemeral} ({@link #exportKeyTo}). */
  public void unsealFromPeer(KeyPair ephemeral, byte[] box, byte[]... associatedData) throws SealException {
    SecretBytes kek;
    try {
      kek = SealedBox.open(ephemeral, TRANSFER_CONTEXT, box, associatedData);
    } catch (SealedBoxException e) {
      throw new SealException("the key sent by the peer was refused: " + e.getMessage(), e);
    }
    try (kek) {
      unsealWithKey(kek);
    }
  }

  @Override
  public String toString() {
    return "Seal[" + (ring == null ? "sealed" : "unsealed") + "]";
  }

  /** The seal record, read from the store until it exists; it never changes after that. */
  private Optional<KeyRingStore.SealRecord> sealRecord() {
    if (record == null) {
      record = store.sealRecord().orElse(null);
    }
    return Optional.ofNullable(record);
  }

  private String store(SecretBytes kek, int shares, int threshold) throws SealException {
    if (sealRecord().isPresent()) {
      throw new SealException("already initialized: unseal with the shares from the first 'operator init'");
    }
    Instant now = clock.instant();
    try (AesGcm aead = AesGcm.create(kek);
        SecretBytes firstKey = SecretBytes.random(KEY_LENGTH)) {
      byte[] check = aead.encrypt(CHECK_PLAINTEXT, CHECK_LABEL);
      KeyRingStore.WrappedKey wrapped = new KeyRingStore.WrappedKey(1, DataKeyRing.wrap(aead, 1, firstKey), now);
      KeyRingStore.SealRecord created = new KeyRingStore.SealRecord(shares, threshold, check, now);
      if (!store.initialize(created, wrapped)) {
        throw new SealException("already initialized by another controller: unseal with the shares it printed");
      }
      record = created;
      return shareSetId(check);
    }
  }

  private void unsealLocked(KeyRingStore.SealRecord record, SecretBytes kek) throws SealException {
    AesGcm aead = AesGcm.create(kek);
    boolean right;
    try (SecretBytes check = aead.decrypt(record.keyCheck(), CHECK_LABEL)) {
      right = MessageDigest.isEqual(check.copyBytes(), CHECK_PLAINTEXT);
    } catch (AeadException e) {
      right = false;
    }
    if (!right) {
      aead.close();
      throw new SealException("this is not the cluster's key");
    }
    Map<Integer, AesGcm> unwrapped = new TreeMap<>();
    Map<Integer, Instant> created = new HashMap<>();
    try {
      for (KeyRingStore.WrappedKey wrapped : store.wrappedKeys()) {
        try (SecretBytes dataKey = DataKeyRing.unwrap(aead, wrapped.keyId(), wrapped.wrapped())) {
          unwrapped.put(wrapped.keyId(), AesGcm.create(dataKey));
          created.put(wrapped.keyId(), wrapped.createdAt());
        }
      }
    } catch (AeadException e) {
      unwrapped.values().forEach(AesGcm::close);
      aead.close();
      throw new SealException("a stored data key failed authentication under this cluster's key: the key table was modified", e);
    } catch (RuntimeException e) {
      unwrapped.values().forEach(AesGcm::close);
      aead.close();
      throw e;
    }
    if (unwrapped.isEmpty()) {
      aead.close();
      throw new SealException("the store holds no data key: it is damaged");
    }
    keyEncryption = aead;
    keyEncryptionKey = kek.copy();
    dataKeys.putAll(unwrapped);
    dataKeyCreated.putAll(created);
    ring = new DataKeyRing(dataKeys);
  }

  private void refreshLocked() {
    if (ring == null) {
      throw new IllegalStateException("the controller is sealed: stored records cannot be read or written until it is unsealed");
    }
    boolean added = false;
    for (KeyRingStore.WrappedKey wrapped : store.wrappedKeys()) {
      if (dataKeys.containsKey(wrapped.keyId())) {
        continue;
      }
      try (SecretBytes dataKey = DataKeyRing.unwrap(keyEncryption, wrapped.keyId(), wrapped.wrapped())) {
        dataKeys.put(wrapped.keyId(), AesGcm.create(dataKey));
        dataKeyCreated.put(wrapped.keyId(), wrapped.createdAt());
        added = true;
      } catch (AeadException e) {
        throw new StorageIntegrityException("stored data key " + wrapped.keyId()
            + " failed authentication under this cluster's key: the key table was modified", e);
      }
    }
    if (added) {
      ring = new DataKeyRing(dataKeys);
    }
  }

  /**
   * Adds the next data key. If another controller added that id first, its key is just as new:
   * this one loads it and uses it instead of adding another.
   */
  private int rotateLocked() throws SealException {
    requireUnsealed();
    refreshLocked();
    int keyId = ring.activeKeyId() + 1;
    try (SecretBytes dataKey = SecretBytes.random(KEY_LENGTH)) {
      Instant now = clock.instant();
      if (store.addWrappedKey(new KeyRingStore.WrappedKey(keyId, DataKeyRing.wrap(keyEncryption, keyId, dataKey), now))) {
        dataKeys.put(keyId, AesGcm.create(dataKey));
        dataKeyCreated.put(keyId, now);
        ring = new DataKeyRing(dataKeys);
        return keyId;
      }
    }
    refreshLocked();
    if (ring.activeKeyId() < keyId) {
      throw new SealException("could not add data key " + keyId + ": the id is taken but the key cannot be loaded");
    }
    return ring.activeKeyId();
  }

  private KeyRingStore.SealRecord requireSealed() throws SealException {
    KeyRingStore.SealRecord found = sealRecord()
        .orElseThrow(() -> new SealException("the store is not initialized: run 'opencluster operator init' first"));
    if (ring != null) {
      throw new SealException("already unsealed");
    }
    return found;
  }

  private void requireUnsealed() throws SealException {
    if (ring == null) {
      throw new SealException("the controller is sealed");
    }
  }

  /** The number of shares given, after forgetting them if they are older than the timeout. */
  private int livePending() {
    if (!pending.isEmpty() && lastShareAt.plus(progressTimeout).isBefore(clock.instant())) {
      clearPending();
    }
    return pending.size();
  }

  private void clearPending() {
    pending.values().forEach(UnsealShare::close);
    pending.clear();
  }

  private void notifyListeners() {
    Status status = status();
    for (Consumer<Status> listener : listeners) {
      try {
        listener.accept(status);
      } catch (RuntimeException e) {
        LOG.error("A seal listener failed on {}", status.state(), e);
      }
    }
  }

  private static void requireKeyLength(SecretBytes kek) throws SealException {
    if (kek.length() != KEY_LENGTH) {
      throw new SealException("the cluster key must be " + KEY_LENGTH + " bytes");
    }
  }

  /** 16 hex characters naming the KEK by its public check value. */
  static String shareSetId(byte[] keyCheck) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(keyCheck), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable in this JVM", e);
    }
  }
}
