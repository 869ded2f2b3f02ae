package org.opencluster.protocol.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;

class PemTest {

  private static final char[] PASSPHRASE = "correct horse battery staple".toCharArray();

  private final TestPki pki = new TestPki();
  private final KeyPair keys = EcKeys.generate();

  PemTest() throws Exception {}

  @Test
  void certificates_roundTripInOrder() throws Exception {
    List<X509Certificate> chain = pki.agentCa.chain();
    String pem = Pem.encodeCertificates(chain);
    assertThat(pem).startsWith("-----BEGIN CERTIFICATE-----");
    assertThat(Pem.decodeCertificates(pem)).containsExactlyElementsOf(chain);
  }

  @Test
  void certificateFileHoldingAKey_isRefused() throws Exception {
    String mixed = Pem.encodeCertificates(List.of(pki.rootCertificate())) + Pem.encodeEncryptedPrivateKey(keys.getPrivate(), PASSPHRASE);
    assertThatThrownBy(() -> Pem.decodeCertificates(mixed)).isInstanceOf(CertificateException.class).hasMessageContaining("ENCRYPTED PRIVATE KEY");
    assertThatThrownBy(() -> Pem.decodeCertificates("not pem")).isInstanceOf(CertificateException.class).hasMessageContaining("no certificate");
  }

  @Test
  void privateKey_roundTripsAsSecretBytes() throws Exception {
    try (SecretBytes pem = Pem.encodePrivateKey(keys.getPrivate())) {
      String text = new String(pem.copyBytes(), StandardCharsets.US_ASCII);
      assertThat(text).startsWith(armour("BEGIN", PLAIN_KEY) + "\n").endsWith(armour("END", PLAIN_KEY) + "\n");
      PrivateKey decoded = Pem.decodePrivateKey(pem);
      assertThat(decoded.getEncoded()).isEqualTo(keys.getPrivate().getEncoded());
      assertThat(pem.toString()).isEqualTo("[secret]");
    }
  }

  @Test
  void privateKeyWithWindowsLineEndings_isRead() throws Exception {
    try (SecretBytes pem = Pem.encodePrivateKey(keys.getPrivate());
        SecretBytes crlf = SecretBytes.copyOf(new String(pem.copyBytes(), StandardCharsets.US_ASCII)
            .replace("\n", "\r\n").getBytes(StandardCharsets.US_ASCII))) {
      assertThat(Pem.decodePrivateKey(crlf).getEncoded()).isEqualTo(keys.getPrivate().getEncoded());
    }
  }

  @Test
  void encryptedPrivateKey_roundTripsWithThePassphrase() throws Exception {
    String pem = Pem.encodeEncryptedPrivateKey(keys.getPrivate(), PASSPHRASE);
    assertThat(pem).startsWith(armour("BEGIN", ENCRYPTED_KEY));
    assertThat(Pem.decodeEncryptedPrivateKey(pem, PASSPHRASE).getEncoded()).isEqualTo(keys.getPrivate().getEncoded());
  }

  @Test
  void encryptedPrivateKeyWithWrongPassphrase_isRefused() {
    String pem = Pem.encodeEncryptedPrivateKey(keys.getPrivate(), PASSPHRASE);
    assertThatThrownBy(() -> Pem.decodeEncryptedPrivateKey(pem, "wrong passphrase!!".toCharArray()))
        .isInstanceOf(KeyDecryptionException.class)
        .hasMessage("wrong passphrase, or the key file is damaged");
  }

  @Test
  void damagedEncryptedPrivateKey_isRefused() {
    String pem = Pem.encodeEncryptedPrivateKey(keys.getPrivate(), PASSPHRASE);
    String[] lines = pem.split("\n");
    char[] middle = lines[3].toCharArray();
    middle[10] = middle[10] == 'A' ? 'B' : 'A';
    lines[3] = new String(middle);
    String damaged = String.join("\n", lines) + "\n";
    assertThatThrownBy(() -> Pem.decodeEncryptedPrivateKey(damaged, PASSPHRASE)).isInstanceOf(GeneralSecurityException.class);
  }

  @Test
  void plainKeyWhereEncryptedExpected_andViceVersa_isRefused() throws Exception {
    String encrypted = Pem.encodeEncryptedPrivateKey(keys.getPrivate(), PASSPHRASE);
    try (SecretBytes plain = Pem.encodePrivateKey(keys.getPrivate());
        SecretBytes encryptedBytes = SecretBytes.copyOf(encrypted.getBytes(StandardCharsets.US_ASCII))) {
      assertThatThrownBy(() -> Pem.decodeEncryptedPrivateKey(new String(plain.copyBytes(), StandardCharsets.US_ASCII), PASSPHRASE))
          .isInstanceOf(GeneralSecurityException.class).hasMessageContaining("ENCRYPTED PRIVATE KEY");
      assertThatThrownBy(() -> Pem.decodePrivateKey(encryptedBytes))
          .isInstanceOf(GeneralSecurityException.class).hasMessageContaining("passphrase");
    }
  }

  @Test
  void keyNotOnP256_isRefusedPlainOrEncrypted() throws Exception {
    java.security.KeyPairGenerator p384 = java.security.KeyPairGenerator.getInstance("EC");
    p384.initialize(384);
    PrivateKey other = p384.generateKeyPair().getPrivate();
    try (SecretBytes plain = Pem.encodePrivateKey(other)) {
      assertThatThrownBy(() -> Pem.decodePrivateKey(plain)).isInstanceOf(GeneralSecurityException.class).hasMessageContaining("P-256");
    }
    String encrypted = Pem.encodeEncryptedPrivateKey(other, PASSPHRASE);
    assertThatThrownBy(() -> Pem.decodeEncryptedPrivateKey(encrypted, PASSPHRASE)).hasMessageContaining("P-256");
  }

  @Test
  void encryptedKeyWithTooFewIterations_isRefusedBeforeDecrypting() throws Exception {
    org.bouncycastle.operator.OutputEncryptor weak = new org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder(
            org.bouncycastle.openssl.PKCS8Generator.AES_256_CBC)
        .setPRF(org.bouncycastle.openssl.PKCS8Generator.PRF_HMACSHA256)
        .setIterationCount(1000)
        .setPassword(PASSPHRASE)
        .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
        .build();
    java.io.StringWriter out = new java.io.StringWriter();
    try (org.bouncycastle.util.io.pem.PemWriter writer = new org.bouncycastle.util.io.pem.PemWriter(out)) {
      writer.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(keys.getPrivate(), weak).generate());
    }
    assertThatThrownBy(() -> Pem.decodeEncryptedPrivateKey(out.toString(), PASSPHRASE))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("1000 PBKDF2 iterations");
  }

  @Test
  void certificateRequest_roundTrips() throws Exception {
    CertificateRequest request = CertificateRequest.create(keys, Identity.node("n-3"));
    CertificateRequest decoded = Pem.decodeCertificateRequest(Pem.encodeCertificateRequest(request));
    assertThat(decoded.requestedIdentity()).isEqualTo(Identity.node("n-3"));
    assertThat(decoded.publicKey()).isEqualTo(keys.getPublic());
    decoded.verifyProofOfPossession();
    X509Certificate node = pki.agentCa.issue(decoded, Identity.node("n-3"), Duration.ofHours(1), SubjectAltNames.NONE);
    assertThat(node.getPublicKey()).isEqualTo(keys.getPublic());
  }

  @Test
  void certificateRequestWithoutIdentity_isRefused() {
    String certificate = Pem.encodeCertificates(List.of(pki.rootCertificate()));
    assertThatThrownBy(() -> Pem.decodeCertificateRequest(certificate)).isInstanceOf(CertificateException.class);
  }

  /** PKCS#8 PEM labels, plain and encrypted. */
  private static final String PLAIN_KEY = "PRIVATE KEY";
  private static final String ENCRYPTED_KEY = "ENCRYPTED " + PLAIN_KEY;

  /**
   * A PEM armour line (five dashes, BEGIN or END, the label, five dashes). Built here rather than
   * written out, so that no committed file holds a private-key header: every key in these tests is
   * generated at run time.
   */
  static String armour(String edge, String label) {
    return "-----" + edge + " " + label + "-----";
  }
}
