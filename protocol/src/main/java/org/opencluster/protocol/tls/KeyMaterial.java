package org.opencluster.protocol.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.Pem;

/**
 * What one side of a TLS connection presents and trusts: its private key and certificate chain,
 * and the CA certificates it accepts peers from. Read from the files {@code opencluster ca issue}
 * writes ({@code cert.pem}, {@code key.pem}, {@code ca.pem}).
 */
public record KeyMaterial(PrivateKey key, List<X509Certificate> chain, List<X509Certificate> trustAnchors) {

  private static final Set<PosixFilePermission> TOO_OPEN = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  public KeyMaterial {
    chain = List.copyOf(chain);
    trustAnchors = List.copyOf(trustAnchors);
    if (chain.isEmpty() || trustAnchors.isEmpty()) {
      throw new IllegalArgumentException("TLS key material needs a certificate and at least one trust anchor");
    }
  }

  /**
   * Reads and checks the three files.
   *
   * @throws IOException if a file is missing or unreadable
   * @throws GeneralSecurityException if one is malformed, the key file is readable by anyone but
   *     its owner, or the key does not belong to the certificate
   */
  public static KeyMaterial load(Path certificateFile, Path keyFile, Path caFile) throws IOException, GeneralSecurityException {
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(keyFile);
    mode.retainAll(TOO_OPEN);
    if (!mode.isEmpty()) {
      throw new GeneralSecurityException("key file " + keyFile + " is readable by others than its owner: chmod 600 it");
    }
    List<X509Certificate> chain = certificates(certificateFile);
    List<X509Certificate> anchors = certificates(caFile);
    PrivateKey key;
    try (SecretBytes pem = SecretBytes.adopt(Files.readAllBytes(keyFile))) {
      key = Pem.decodePrivateKey(pem);
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException(keyFile + ": " + e.getMessage(), e);
    }
    requireMatch(key, chain.get(0), keyFile, certificateFile);
    return new KeyMaterial(key, chain, anchors);
  }

  @Override
  public String toString() {
    return "KeyMaterial[" + chain.get(0).getSubjectX500Principal().getName() + ", key=[secret]]";
  }

  private static List<X509Certificate> certificates(Path file) throws IOException, CertificateException {
    try {
      return Pem.decodeCertificates(Files.readString(file, StandardCharsets.US_ASCII));
    } catch (CertificateException e) {
      throw new CertificateException(file + ": " + e.getMessage(), e);
    }
  }

  private static void requireMatch(PrivateKey key, X509Certificate certificate, Path keyFile, Path certificateFile)
      throws GeneralSecurityException {
    if (!EcKeys.belongTogether(certificate.getPublicKey(), key)) {
      throw new GeneralSecurityException(keyFile + " is not the key of " + certificateFile);
    }
  }
}
