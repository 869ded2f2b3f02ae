package org.opencluster.persistence.keys;

import com.codahale.shamir.Scheme;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * One Shamir share (GF(256)) of the key-encryption key, as an operator holds it:
 *
 * <pre>ocs1-&lt;share set id, 16 hex&gt;-&lt;index&gt;-&lt;share, base64url&gt;-&lt;check, 8 hex&gt;</pre>
 *
 * The share set id names the cluster's current key (a hash of its public check value), so a
 * share from another cluster or an earlier init is refused by name; the check (SHA-256 over the
 * rest) catches a mistyped share before it spoils an unseal.
 */
public final class UnsealShare implements AutoCloseable {

  public static final int MAX_SHARES = 32;
  /** A share is as long as the key it is part of. */
  static final int VALUE_LENGTH = 32;
  private static final Pattern FORM =
      Pattern.compile("ocs1-([0-9a-f]{16})-([1-9][0-9]{0,2})-([A-Za-z0-9_-]{1,128})-([0-9a-f]{8})");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String setId;
  private final int index;
  private final SecretBytes value;

  private UnsealShare(String setId, int index, SecretBytes value) {
    this.setId = setId;
    this.index = index;
    this.value = value;
  }

  /**
   * Splits {@code key} into {@code shares} shares, any {@code threshold} of which rebuild it.
   *
   * @throws IllegalArgumentException unless 2 <= threshold <= shares <= 32
   */
  static List<String> split(SecretBytes key, int shares, int threshold, String setId) {
    requireScheme(shares, threshold);
    byte[] secret = key.copyBytes();
    try {
      Map<Integer, byte[]> parts = new Scheme(RANDOM, shares, threshold).split(secret);
      List<String> encoded = new ArrayList<>();
      for (Map.Entry<Integer, byte[]> part : parts.entrySet()) {
        encoded.add(encode(setId, part.getKey(), part.getValue()));
        Arrays.fill(part.getValue(), (byte) 0);
      }
      return encoded;
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  /**
   * Rebuilds the key from {@code threshold} or more distinct shares of one set.
   *
   * @throws SealException if the shares cannot be combined
   */
  static SecretBytes join(Collection<UnsealShare> shares, int totalShares, int threshold) throws SealException {
    Map<Integer, byte[]> parts = new HashMap<>();
    try {
      for (UnsealShare share : shares) {
        parts.put(share.index, share.value.copyBytes());
      }
      return SecretBytes.adopt(new Scheme(RANDOM, totalShares, threshold).join(parts));
    } catch (IllegalArgumentException e) {
      throw new SealException("the shares given cannot be combined");
    } finally {
      parts.values().forEach(p -> Arrays.fill(p, (byte) 0));
    }
  }

  static void requireScheme(int shares, int threshold) {
    if (threshold < 2 || threshold > shares || shares > MAX_SHARES) {
      throw new IllegalArgumentException("shares and threshold must satisfy 2 <= threshold <= shares <= "
          + MAX_SHARES + ": got " + shares + " shares, threshold " + threshold);
    }
  }

  /**
   * Reads an operator's share. The message of a refusal never repeats the share.
   *
   * @throws SealException if it is not a share, or its check does not match (mistyped)
   */
  public static UnsealShare decode(String text) throws SealException {
    Matcher m = FORM.matcher(text == null ? "" : text.strip());
    if (!m.matches()) {
      throw new SealException("not an unseal share: expected ocs1-<set>-<index>-<share>-<check>");
    }
    String setId = m.group(1);
    int index = Integer.parseInt(m.group(2));
    byte[] value;
    try {
      value = Base64.getUrlDecoder().decode(m.group(3));
    } catch (IllegalArgumentException e) {
      throw new SealException("unseal share is damaged: its value is not base64url");
    }
    if (index > 255 || !MessageDigest.isEqual(check(setId, index, value), HexFormat.of().parseHex(m.group(4)))) {
      Arrays.fill(value, (byte) 0);
      throw new SealException("unseal share " + index + " is mistyped: its check does not match");
    }
    if (value.length != VALUE_LENGTH) {
      Arrays.fill(value, (byte) 0);
      throw new SealException("unseal share " + index + " is not a share of a cluster key: its value is "
          + "the wrong length");
    }
    return new UnsealShare(setId, index, SecretBytes.adopt(value));
  }

  public String setId() {
    return setId;
  }

  public int index() {
    return index;
  }

  @Override
  public void close() {
    value.close();
  }

  @Override
  public String toString() {
    return "UnsealShare[" + setId + " #" + index + ", [secret]]";
  }

  private static String encode(String setId, int index, byte[] value) {
    return "ocs1-" + setId + "-" + index + "-" + Base64.getUrlEncoder().withoutPadding().encodeToString(value) + "-"
        + HexFormat.of().formatHex(check(setId, index, value));
  }

  private static byte[] check(String setId, int index, byte[] value) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(("ocs1-" + setId + "-" + index + "-").getBytes(StandardCharsets.US_ASCII));
      digest.update(value);
      return Arrays.copyOf(digest.digest(), 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable in this JVM", e);
    }
  }
}
