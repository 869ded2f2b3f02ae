package org.opencluster.protocol.pki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.math.BigInteger;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;

/**
 * PEM encodings of certificates, certificate requests and private keys, readable by OpenSSL.
 *
 * <p>Private keys in the clear are PKCS#8 ({@code PRIVATE KEY}) and handled as {@link
 * SecretBytes}, never as strings. Encrypted private keys are PKCS#8 PBES2 ({@code ENCRYPTED
 * PRIVATE KEY}): PBKDF2-HMAC-SHA256 with {@value #PBKDF2_ITERATIONS} iterations and
 * AES-256-CBC, as {@code openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256} writes them.
 */
public final class Pem {

  /** PBKDF2 iterations for encrypted keys (OWASP's 2023 figure for PBKDF2-HMAC-SHA256). */
  public static final int PBKDF2_ITERATIONS = 600_000;

  private static final int MIN_PBKDF2_ITERATIONS = 100_000;
  private static final int MAX_PBKDF2_ITERATIONS = 10_000_000;

  private static final String CERTIFICATE = "CERTIFICATE";
  private static final String CERTIFICATE_REQUEST = "CERTIFICATE REQUEST";
  private static final String PRIVATE_KEY = "PRIVATE KEY";
  private static final String ENCRYPTED_PRIVATE_KEY = "ENCRYPTED PRIVATE KEY";
  private static final byte[] KEY_HEADER = ("-----BEGIN " + PRIVATE_KEY + "-----").getBytes(StandardCharsets.US_ASCII);
  private static final byte[] KEY_FOOTER = ("-----END " + PRIVATE_KEY + "-----").getBytes(StandardCharsets.US_ASCII);
  private static final SecureRandom RANDOM = new SecureRandom();

  private Pem() {}

  public static String encodeCertificates(List<X509Certificate> certificates) {
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      for (X509Certificate certificate : certificates) {
        writer.writeObject(new PemObject(CERTIFICATE, certificate.getEncoded()));
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("certificate could not be encoded", e);
    }
    return out.toString();
  }

  /**
   * Reads every certificate in {@code pem}, in order.
   *
   * @throws CertificateException if there is none, or a block is not a certificate or is malformed
   */
  public static List<X509Certificate> decodeCertificates(String pem) throws CertificateException {
    List<X509Certificate> certificates = new ArrayList<>();
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    for (PemObject object : readAll(pem)) {
      if (!CERTIFICATE.equals(object.getType())) {
        throw new CertificateException("expected only CERTIFICATE blocks, found " + object.getType());
      }
      certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(object.getContent())));
    }
    if (certificates.isEmpty()) {
      throw new CertificateException("no certificate found");
    }
    return certificates;
  }

  public static String encodeCertificateRequest(CertificateRequest request) {
    return write(new PemObject(CERTIFICATE_REQUEST, request.toDer()));
  }

  /** @throws CertificateException if {@code pem} is not exactly one valid certificate request */
  public static CertificateRequest decodeCertificateRequest(String pem) throws CertificateException {
    List<PemObject> objects = readAll(pem);
    if (objects.size() != 1 || !CERTIFICATE_REQUEST.equals(objects.get(0).getType())) {
      throw new CertificateException("expected exactly one CERTIFICATE REQUEST block");
    }
    return CertificateRequest.fromDer(objects.get(0).getContent());
  }

  /** PKCS#8 PEM of a private key, as secret bytes. */
  public static SecretBytes encodePrivateKey(PrivateKey key) {
    byte[] der = key.getEncoded();
    byte[] base64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encode(der);
    Arrays.fill(der, (byte) 0);
    byte[] pem = new byte[KEY_HEADER.length + 1 + base64.length + 1 + KEY_FOOTER.length + 1];
    int at = 0;
    System.arraycopy(KEY_HEADER, 0, pem, at, KEY_HEADER.length);
    at += KEY_HEADER.length;
    pem[at++] = '\n';
    System.arraycopy(base64, 0, pem, at, base64.length);
    at += base64.length;
    pem[at++] = '\n';
    System.arraycopy(KEY_FOOTER, 0, pem, at, KEY_FOOTER.length);
    pem[pem.length - 1] = '\n';
    Arrays.fill(base64, (byte) 0);
    return SecretBytes.adopt(pem);
  }

  /**
   * Reads a PKCS#8 {@code PRIVATE KEY} PEM holding an EC P-256 key.
   *
   * @throws GeneralSecurityException if it is not one; the message never quotes the input
   */
  public static PrivateKey decodePrivateKey(SecretBytes pem) throws GeneralSecurityException {
    byte[] text = pem.copyBytes();
    byte[] base64 = null;
    byte[] der = null;
    try {
      int start = indexOf(text, KEY_HEADER, 0);
      int end = start < 0 ? -1 : indexOf(text, KEY_FOOTER, start);
      if (start < 0 || end < 0) {
        throw new GeneralSecurityException("not a PKCS#8 PRIVATE KEY PEM (encrypted keys need a passphrase)");
      }
      base64 = Arrays.copyOfRange(text, start + KEY_HEADER.length, end);
      der = Base64.getMimeDecoder().decode(base64);
      PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
      EcKeys.requireP256(key);
      return key;
    } catch (IllegalArgumentException e) {
      throw new GeneralSecurityException("private key PEM is not valid base64");
    } finally {
      Arrays.fill(text, (byte) 0);
      if (base64 != null) {
        Arrays.fill(base64, (byte) 0);
      }
      if (der != null) {
        Arrays.fill(der, (byte) 0);
      }
    }
  }

  /** PKCS#8 PBES2 PEM of a private key, encrypted under {@code passphrase}. */
  public static String encodeEncryptedPrivateKey(PrivateKey key, char[] passphrase) {
    try {
      OutputEncryptor encryptor = new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
          .setPRF(PKCS8Generator.PRF_HMACSHA256)
          .setIterationCount(PBKDF2_ITERATIONS)
          .setRandom(RANDOM)
          .setPassword(passphrase)
          .setProvider(Bc.PROVIDER)
          .build();
      return write(new JcaPKCS8Generator(key, encryptor).generate());
    } catch (OperatorCreationException | IOException e) {
      throw new IllegalStateException("private key could not be encrypted", e);
    }
  }

  /**
   * Opens an {@code ENCRYPTED PRIVATE KEY} PEM.
   *
   * @throws KeyDecryptionException on a wrong passphrase or a damaged file
   * @throws GeneralSecurityException if it is not an encrypted EC P-256 key
   */
  public static PrivateKey decodeEncryptedPrivateKey(String pem, char[] passphrase) throws GeneralSecurityException {
    List<PemObject> objects;
    try {
      objects = readAll(pem);
    } catch (CertificateException e) {
      throw new GeneralSecurityException("not a PEM file", e);
    }
    if (objects.size() != 1 || !ENCRYPTED_PRIVATE_KEY.equals(objects.get(0).getType())) {
      throw new GeneralSecurityException("expected exactly one ENCRYPTED PRIVATE KEY block");
    }
    PKCS8EncryptedPrivateKeyInfo encrypted;
    try {
      encrypted = new PKCS8EncryptedPrivateKeyInfo(objects.get(0).getContent());
    } catch (IOException | IllegalArgumentException e) {
      throw new KeyDecryptionException("the key file is damaged", e);
    }
    requireStrongEncryption(encrypted.getEncryptionAlgorithm());
    PrivateKeyInfo info;
    try {
      info = encrypted.decryptPrivateKeyInfo(
          new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(Bc.PROVIDER).build(passphrase));
    } catch (PKCSException | OperatorCreationException | IllegalArgumentException e) {
      throw new KeyDecryptionException("wrong passphrase, or the key file is damaged", e);
    }
    PrivateKey key;
    try {
      key = new JcaPEMKeyConverter().getPrivateKey(info);
    } catch (IOException e) {
      throw new KeyDecryptionException("wrong passphrase, or the key file is damaged", e);
    }
    EcKeys.requireP256(key);
    return key;
  }

  /**
   * Accepts only what {@link #encodeEncryptedPrivateKey} writes: PBES2, PBKDF2 with HMAC-SHA256
   * and a sane iteration count, AES-256-CBC. A file asking for a weak scheme or for billions of
   * iterations is refused before any work is done.
   */
  private static void requireStrongEncryption(AlgorithmIdentifier algorithm) throws GeneralSecurityException {
    if (!PKCSObjectIdentifiers.id_PBES2.equals(algorithm.getAlgorithm())) {
      throw new GeneralSecurityException("encrypted key uses " + algorithm.getAlgorithm() + ", not PBES2: re-encrypt it");
    }
    PBES2Parameters parameters = PBES2Parameters.getInstance(algorithm.getParameters());
    if (!PKCSObjectIdentifiers.id_PBKDF2.equals(parameters.getKeyDerivationFunc().getAlgorithm())
        || !NISTObjectIdentifiers.id_aes256_CBC.equals(parameters.getEncryptionScheme().getAlgorithm())) {
      throw new GeneralSecurityException("encrypted key must use PBKDF2 and AES-256-CBC");
    }
    PBKDF2Params kdf = PBKDF2Params.getInstance(parameters.getKeyDerivationFunc().getParameters());
    if (!PKCSObjectIdentifiers.id_hmacWithSHA256.equals(kdf.getPrf().getAlgorithm())) {
      throw new GeneralSecurityException("encrypted key must use PBKDF2 with HMAC-SHA256");
    }
    BigInteger iterations = kdf.getIterationCount();
    if (iterations.compareTo(BigInteger.valueOf(MIN_PBKDF2_ITERATIONS)) < 0
        || iterations.compareTo(BigInteger.valueOf(MAX_PBKDF2_ITERATIONS)) > 0) {
      throw new GeneralSecurityException("encrypted key uses " + iterations + " PBKDF2 iterations; accepted: "
          + MIN_PBKDF2_ITERATIONS + " to " + MAX_PBKDF2_ITERATIONS);
    }
  }

  private static String write(PemObject object) {
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      writer.writeObject(object);
    } catch (IOException e) {
      throw new IllegalStateException("PEM could not be written", e);
    }
    return out.toString();
  }

  private static List<PemObject> readAll(String pem) throws CertificateException {
    List<PemObject> objects = new ArrayList<>();
    try (PemReader reader = new PemReader(new StringReader(pem))) {
      for (PemObject object = reader.readPemObject(); object != null; object = reader.readPemObject()) {
        objects.add(object);
      }
    } catch (IOException | RuntimeException e) {
      throw new CertificateException("malformed PEM", e);
    }
    return objects;
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
