package org.opencluster.protocol.crypto;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.SignatureException;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;

/**
 * NIST P-256 keys: the only curve the protocol speaks. Public keys travel as uncompressed SEC1
 * points (65 bytes); a point read from the wire is checked to lie on the curve before use.
 */
public final class EcKeys {

  /** Length of an uncompressed SEC1 P-256 point: 0x04 || X || Y. */
  public static final int ENCODED_POINT_LENGTH = 65;

  private static final int COORDINATE_LENGTH = 32;
  private static final SecureRandom RANDOM = new SecureRandom();
  static final ECParameterSpec P256 = loadP256();

  private EcKeys() {}

  /** A fresh P-256 key pair. */
  public static KeyPair generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("P-256 key generation unavailable in this JVM", e);
    }
  }

  /** True when {@code key} is an EC key on P-256. */
  /** Whether {@code privateKey} is the key of {@code publicKey}: it signs a random challenge that one verifies. */
  public static boolean belongTogether(PublicKey publicKey, PrivateKey privateKey) {
    byte[] challenge = new byte[32];
    RANDOM.nextBytes(challenge);
    try {
      byte[] signature = EcdsaSigner.create(privateKey).sign("opencluster/key-check/v1", challenge);
      EcdsaVerifier.create(publicKey).verify("opencluster/key-check/v1", challenge, signature);
      return true;
    } catch (InvalidKeyException | SignatureException e) {
      return false;
    }
  }

  public static boolean isP256(Key key) {
    return key instanceof ECKey ec && sameCurve(ec.getParams());
  }

  /** Throws unless {@code key} is an EC key on P-256. */
  public static void requireP256(Key key) throws InvalidKeyException {
    if (!isP256(key)) {
      throw new InvalidKeyException("expected an EC P-256 key, got " + describe(key));
    }
  }

  /** The uncompressed SEC1 encoding of a P-256 public key. */
  public static byte[] encodePoint(ECPublicKey key) {
    if (!isP256(key)) {
      throw new IllegalArgumentException("expected an EC P-256 key, got " + describe(key));
    }
    byte[] out = new byte[ENCODED_POINT_LENGTH];
    out[0] = 0x04;
    writeCoordinate(key.getW().getAffineX(), out, 1);
    writeCoordinate(key.getW().getAffineY(), out, 1 + COORDINATE_LENGTH);
    return out;
  }

  /**
   * Reads an uncompressed SEC1 P-256 point, refusing anything that is not exactly a point on the
   * curve (wrong length, compressed or infinity encoding, coordinates out of range, off-curve).
   */
  public static ECPublicKey decodePoint(byte[] encoded) throws InvalidKeyException {
    if (encoded == null || encoded.length != ENCODED_POINT_LENGTH) {
      throw new InvalidKeyException(
          "P-256 public key must be a 65-byte uncompressed point, got "
              + (encoded == null ? "nothing" : encoded.length + " bytes"));
    }
    if (encoded[0] != 0x04) {
      throw new InvalidKeyException("P-256 public key must use the uncompressed encoding (0x04)");
    }
    BigInteger x = new BigInteger(1, Arrays.copyOfRange(encoded, 1, 1 + COORDINATE_LENGTH));
    BigInteger y = new BigInteger(1, Arrays.copyOfRange(encoded, 1 + COORDINATE_LENGTH, ENCODED_POINT_LENGTH));
    ECPoint point = new ECPoint(x, y);
    requireOnCurve(point);
    try {
      return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, P256));
    } catch (GeneralSecurityException e) {
      throw new InvalidKeyException("P-256 public key refused by the JVM", e);
    }
  }

  /** Checks that {@code key}'s point lies on P-256 (for keys that did not come through decodePoint). */
  public static void requireValidPublicKey(PublicKey key) throws InvalidKeyException {
    requireP256(key);
    requireOnCurve(((ECPublicKey) key).getW());
  }

  private static void requireOnCurve(ECPoint point) throws InvalidKeyException {
    if (ECPoint.POINT_INFINITY.equals(point)) {
      throw new InvalidKeyException("P-256 public key is the point at infinity");
    }
    BigInteger p = ((ECFieldFp) P256.getCurve().getField()).getP();
    BigInteger x = point.getAffineX();
    BigInteger y = point.getAffineY();
    if (x.signum() < 0 || x.compareTo(p) >= 0 || y.signum() < 0 || y.compareTo(p) >= 0) {
      throw new InvalidKeyException("P-256 public key coordinates out of range");
    }
    // y^2 = x^3 + a*x + b (mod p); P-256 has cofactor 1, so on-curve means in the group.
    BigInteger left = y.multiply(y).mod(p);
    BigInteger right =
        x.pow(3).add(P256.getCurve().getA().multiply(x)).add(P256.getCurve().getB()).mod(p);
    if (!left.equals(right)) {
      throw new InvalidKeyException("P-256 public key is not a point on the curve");
    }
  }

  private static void writeCoordinate(BigInteger value, byte[] out, int offset) {
    byte[] raw = value.toByteArray();
    int skip = raw.length > COORDINATE_LENGTH ? raw.length - COORDINATE_LENGTH : 0;
    int length = raw.length - skip;
    System.arraycopy(raw, skip, out, offset + COORDINATE_LENGTH - length, length);
  }

  private static boolean sameCurve(ECParameterSpec params) {
    return params != null
        && params.getCurve().equals(P256.getCurve())
        && params.getGenerator().equals(P256.getGenerator())
        && params.getOrder().equals(P256.getOrder())
        && params.getCofactor() == P256.getCofactor();
  }

  private static String describe(Key key) {
    if (key == null) {
      return "no key";
    }
    return key.getAlgorithm() + (key instanceof ECKey ? " key on another curve" : " key");
  }

  private static ECParameterSpec loadP256() {
    try {
      AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
      parameters.init(new ECGenParameterSpec("secp256r1"));
      return parameters.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
