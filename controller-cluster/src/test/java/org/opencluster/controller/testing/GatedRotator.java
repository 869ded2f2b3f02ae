package org.opencluster.controller.testing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.opencluster.controller.rotation.RotationException;
import org.opencluster.controller.rotation.Rotator;
import org.opencluster.controller.rotation.RotatorSpec;
import org.opencluster.controller.rotation.Rotators;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * Rotator kind {@value #KIND} for tests: the real PostgreSQL alternating-users rotator, whose set,
 * test and retire first wait at a gate of their own that the test opens, so a test can hold a
 * saga inside a rotator call (and stop the controller running it). The gates and the record of
 * calls are static: every controller in this JVM shares them. A gate waits at most
 * {@link #LONGEST_WAIT}, then the call fails (not retryably), so a forgotten gate fails the test
 * instead of hanging it. Each call is recorded when it enters its gate and again when it ends
 * (done, failed, or interrupted: a controller that stops interrupts its rotator calls).
 */
public final class GatedRotator implements Rotator {

  public static final String KIND = "gated-postgresql";
  public static final Duration LONGEST_WAIT = Duration.ofSeconds(90);

  /** The calls that wait at a gate. */
  public enum Call {
    SET,
    TEST,
    RETIRE
  }

  public enum Phase {
    ENTERED,
    DONE,
    FAILED,
    INTERRUPTED
  }

  /**
   * One moment of one call.
   *
   * @param username the version's user (which of the two roles)
   * @param fingerprint the first 8 bytes of SHA-256 of the version's password, in hex: which version, not its value
   */
  public record Entry(Call call, Phase phase, String username, String fingerprint) {}

  private static final Map<Call, CountDownLatch> GATES = new EnumMap<>(Call.class);
  private static final List<Entry> RECORDS = new CopyOnWriteArrayList<>();

  static {
    reset();
  }

  private final Rotator postgresql;

  private GatedRotator(Rotator postgresql) {
    this.postgresql = postgresql;
  }

  /** The standard kinds plus {@value #KIND}, whose parameters and admin secret are PostgreSQL's. */
  public static Rotators withStandard() {
    return Rotators.standard().with(KIND, GatedRotator::create);
  }

  private static Rotator create(RotatorSpec spec, Map<String, SecretBytes> admin) {
    return new GatedRotator(Rotators.standard().create(new RotatorSpec("postgresql", spec.parameters(),
        spec.adminSecret()), admin));
  }

  /** Every gate open, the record empty. */
  public static synchronized void reset() {
    RECORDS.clear();
    for (Call call : Call.values()) {
      CountDownLatch open = new CountDownLatch(1);
      open.countDown();
      GATES.put(call, open);
    }
  }

  /** Calls of {@code call} from now on wait until {@link #open}. */
  public static synchronized void close(Call call) {
    if (GATES.get(call).getCount() == 0) {
      GATES.put(call, new CountDownLatch(1));
    }
  }

  /** Lets the waiting and later calls of {@code call} through. */
  public static synchronized void open(Call call) {
    GATES.get(call).countDown();
  }

  private static synchronized CountDownLatch gate(Call call) {
    return GATES.get(call);
  }

  /** Everything recorded since {@link #reset}, in order. */
  public static List<Entry> records() {
    return List.copyOf(RECORDS);
  }

  /** How many calls of {@code call} reached {@code phase}. */
  public static long count(Call call, Phase phase) {
    return RECORDS.stream().filter(e -> e.call() == call && e.phase() == phase).count();
  }

  /** The fingerprint {@link Entry} gives a password. */
  public static String fingerprint(String password) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public Set<String> fields() {
    return postgresql.fields();
  }

  @Override
  public Map<String, SecretBytes> next(Map<String, SecretBytes> current) {
    return postgresql.next(current);
  }

  @Override
  public void set(Map<String, SecretBytes> pending) throws RotationException {
    gated(Call.SET, pending, () -> postgresql.set(pending));
  }

  @Override
  public void test(Map<String, SecretBytes> pending) throws RotationException {
    gated(Call.TEST, pending, () -> postgresql.test(pending));
  }

  @Override
  public void retire(Map<String, SecretBytes> previous) throws RotationException {
    gated(Call.RETIRE, previous, () -> postgresql.retire(previous));
  }

  @Override
  public void revoke(Map<String, SecretBytes> previous) throws RotationException {
    postgresql.revoke(previous);
  }

  @Override
  public String toString() {
    return "GatedRotator[" + postgresql + "]";
  }

  private interface Body {
    void run() throws RotationException;
  }

  private static void gated(Call call, Map<String, SecretBytes> version, Body body) throws RotationException {
    String username = text(version.get("username"));
    String fingerprint = fingerprint(text(version.get("password")));
    RECORDS.add(new Entry(call, Phase.ENTERED, username, fingerprint));
    try {
      if (!gate(call).await(LONGEST_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        RECORDS.add(new Entry(call, Phase.FAILED, username, fingerprint));
        throw new RotationException("the test left the gate of " + call + " closed", false);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      RECORDS.add(new Entry(call, Phase.INTERRUPTED, username, fingerprint));
      throw new RotationException(call + " was interrupted at its gate", true);
    }
    try {
      body.run();
    } catch (RotationException | RuntimeException e) {
      RECORDS.add(new Entry(call, Phase.FAILED, username, fingerprint));
      throw e;
    }
    RECORDS.add(new Entry(call, Phase.DONE, username, fingerprint));
  }

  private static String text(SecretBytes value) {
    return value == null ? "" : new String(value.copyBytes(), StandardCharsets.UTF_8);
  }
}
