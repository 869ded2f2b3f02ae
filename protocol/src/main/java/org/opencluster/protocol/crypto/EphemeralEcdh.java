package org.opencluster.protocol.crypto;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECMultiplier;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.util.BigIntegers;

/**
 * The sender's half of a sealed box's ECDH: a fresh P-256 key pair, used once, and its agreement
 * with the recipient's public key; the same values as {@link EcKeys#generate()} then {@link
 * Ecdh#agree} (the shared X coordinate, 32 bytes, and the uncompressed ephemeral point), on Bouncy
 * Castle's P-256 arithmetic.
 *
 * <p>Why not the JDK's: a controller seals one box per secure file per node, tens of thousands
 * after a take-over or at a rotation, and a flight recording of a 10,000-node rolling upgrade
 * found the JDK 17 key generation and agreement at 40% of a surviving controller's CPU. Here the
 * key generation is a fixed-base comb multiplication (Bouncy Castle's precomputed table for the
 * generator, a regular pattern of additions whatever the scalar), and the agreement Bouncy
 * Castle's windowed multiplication on its dedicated P-256 field. That multiplication's timing may
 * depend on the scalar. Each scalar serves one box and is then dropped: someone who could time
 * that one multiplication on the controller's host (a co-located cache attack, say) would learn at
 * most about that one box, whose content the controller holds in clear while sealing anyway.
 * Opening a box (the agent, with its key of the boot, used for many boxes) stays on the JDK's
 * constant-time code ({@link Ecdh}).
 */
final class EphemeralEcdh {

  private static final X9ECParameters P256 = CustomNamedCurves.getByName("secp256r1");
  private static final ECCurve CURVE = P256.getCurve();
  private static final ECPoint GENERATOR = P256.getG();
  private static final BigInteger ORDER = P256.getN();
  private static final ECMultiplier BASE = new FixedPointCombMultiplier();
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The ephemeral public point (uncompressed, 65 bytes) and the shared secret (32 bytes). */
  record Agreement(byte[] ephemeralPoint, SecretBytes shared) {}

  private EphemeralEcdh() {}

  /**
   * A fresh key pair's agreement with {@code recipient}.
   *
   * @throws InvalidKeyException if {@code recipient} is not a valid P-256 point
   */
  static Agreement with(ECPublicKey recipient) throws InvalidKeyException {
    EcKeys.requireValidPublicKey(recipient);
    ECPoint peer;
    try {
      peer = CURVE.validatePoint(recipient.getW().getAffineX(), recipient.getW().getAffineY());
    } catch (IllegalArgumentException e) {
      throw new InvalidKeyException("the recipient's key is not a P-256 point");
    }
    BigInteger scalar;
    do {
      scalar = BigIntegers.createRandomBigInteger(ORDER.bitLength(), RANDOM);
    } while (scalar.signum() == 0 || scalar.compareTo(ORDER) >= 0);
    byte[] ephemeralPoint = BASE.multiply(GENERATOR, scalar).getEncoded(false);
    ECPoint shared = peer.multiply(scalar).normalize();
    if (shared.isInfinity()) {
      // Not reachable with a valid point of a prime-order curve and a scalar below the order.
      throw new InvalidKeyException("ECDH gave the point at infinity");
    }
    return new Agreement(ephemeralPoint, SecretBytes.adopt(shared.getAffineXCoord().getEncoded()));
  }
}
