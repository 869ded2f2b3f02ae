package org.opencluster.ops.ca;

import static org.opencluster.ops.internal.NewDirectory.text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.internal.NewDirectory;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.CertificateIssuanceException;
import org.opencluster.protocol.pki.Certificates;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.KeyDecryptionException;
import org.opencluster.protocol.pki.Pem;

/**
 * The cluster CA on disk, as {@code opencluster ca init} lays it out:
 *
 * <pre>
 * DIR/                 mode 0700
 *   root-ca.pem        root CA certificate: the cluster's trust anchor, public
 *   root-ca.key        root CA key, encrypted PKCS#8 (mode 0600); may live offline
 *   agent-ca.pem       agent issuing CA certificate, signed by the root
 *   agent-ca.key       agent CA key, encrypted PKCS#8 (mode 0600)
 * </pre>
 *
 * Each key is encrypted under its own passphrase, never stored: the agent CA's goes to the
 * controllers that sign node certificates; the root's stays with whoever keeps the root offline.
 */
public final class CaDirectory {

  public static final String ROOT_CERTIFICATE = "root-ca.pem";
  public static final String ROOT_KEY = "root-ca.key";
  public static final String AGENT_CERTIFICATE = "agent-ca.pem";
  public static final String AGENT_KEY = "agent-ca.key";

  private final Path directory;
  private final X509Certificate root;
  private final X509Certificate agent;

  private CaDirectory(Path directory, X509Certificate root, X509Certificate agent) {
    this.directory = directory;
    this.root = root;
    this.agent = agent;
  }

  /**
   * Makes the root CA and the agent CA and writes them to {@code directory}, all files or none.
   *
   * @throws OpsException if {@code directory} already holds anything, or its parent is missing
   */
  public static CaDirectory init(Path directory, String clusterName, Duration rootValidity, Duration agentValidity,
      char[] rootPassphrase, char[] agentPassphrase, Clock clock) throws OpsException, IOException {
    KeyPair rootKeys = EcKeys.generate();
    KeyPair agentKeys = EcKeys.generate();
    CertificateAuthority root;
    CertificateAuthority agent;
    try {
      root = CertificateAuthority.createRoot(rootKeys, clusterName, rootValidity, clock);
      agent = root.createAgentCa(agentKeys, agentValidity);
    } catch (CertificateIssuanceException e) {
      throw new OpsException(e.getMessage(), e);
    }
    String rootKeyPem = Pem.encodeEncryptedPrivateKey(rootKeys.getPrivate(), rootPassphrase);
    String agentKeyPem = Pem.encodeEncryptedPrivateKey(agentKeys.getPrivate(), agentPassphrase);
    NewDirectory.create(directory, NewDirectory.PRIVATE_DIRECTORY, List.of(
        new NewDirectory.File(ROOT_CERTIFICATE, NewDirectory.PUBLIC_FILE, text(Pem.encodeCertificates(List.of(root.certificate())))),
        new NewDirectory.File(ROOT_KEY, NewDirectory.PRIVATE_FILE, text(rootKeyPem)),
        new NewDirectory.File(AGENT_CERTIFICATE, NewDirectory.PUBLIC_FILE, text(Pem.encodeCertificates(List.of(agent.certificate())))),
        new NewDirectory.File(AGENT_KEY, NewDirectory.PRIVATE_FILE, text(agentKeyPem))));
    return new CaDirectory(directory, root.certificate(), agent.certificate());
  }

  /**
   * Reads the certificates of an existing CA directory. Needs no passphrase.
   *
   * @throws OpsException if the directory or one of its certificates is missing or malformed
   */
  public static CaDirectory open(Path directory) throws OpsException {
    if (!Files.isDirectory(directory)) {
      throw new OpsException("CA directory " + directory + " does not exist; create one with 'opencluster ca init --dir "
          + directory + "'");
    }
    X509Certificate root = readCertificate(directory, ROOT_CERTIFICATE, Identity.ROOT_CA);
    X509Certificate agent = readCertificate(directory, AGENT_CERTIFICATE, Identity.AGENT_CA);
    try {
      agent.verify(root.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new OpsException(directory.resolve(AGENT_CERTIFICATE) + " is not signed by " + directory.resolve(ROOT_CERTIFICATE)
          + ": the files come from different CAs", e);
    }
    return new CaDirectory(directory, root, agent);
  }

  /** The root CA with its key, for issuing controller and operator certificates. */
  public CertificateAuthority unlockRoot(char[] passphrase, Clock clock) throws OpsException {
    return loadAuthority(List.of(root), readKey(ROOT_KEY, passphrase), clock, directory.resolve(ROOT_KEY));
  }

  /** The agent CA's private key, to hand to the controllers ({@code operator import-agent-ca}). */
  public PrivateKey agentKey(char[] passphrase) throws OpsException {
    return readKey(AGENT_KEY, passphrase);
  }

  public Path directory() {
    return directory;
  }

  public X509Certificate root() {
    return root;
  }

  public X509Certificate agent() {
    return agent;
  }

  private PrivateKey readKey(String name, char[] passphrase) throws OpsException {
    Path path = directory.resolve(name);
    String pem;
    try {
      pem = Files.readString(path, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new OpsException("missing " + path + ": this CA directory has no key to issue with (is it an offline copy?)");
    } catch (IOException e) {
      throw new OpsException("cannot read " + path + ": " + e.getMessage(), e);
    }
    try {
      return Pem.decodeEncryptedPrivateKey(pem, passphrase);
    } catch (KeyDecryptionException e) {
      throw new OpsException("cannot open " + path + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new OpsException(path + " is not an encrypted EC P-256 key: " + e.getMessage(), e);
    }
  }

  private static X509Certificate readCertificate(Path directory, String name, Identity expected) throws OpsException {
    Path path = directory.resolve(name);
    try {
      List<X509Certificate> certificates = Pem.decodeCertificates(Files.readString(path, StandardCharsets.US_ASCII));
      X509Certificate certificate = certificates.get(0);
      Identity identity = Certificates.identityOf(certificate);
      if (certificates.size() != 1 || !identity.equals(expected)) {
        throw new OpsException(path + " should hold exactly the " + expected + " certificate");
      }
      return certificate;
    } catch (NoSuchFileException e) {
      throw new OpsException("missing " + path + ": " + directory + " is not a CA directory made by 'opencluster ca init'");
    } catch (IOException e) {
      throw new OpsException("cannot read " + path + ": " + e.getMessage(), e);
    } catch (CertificateException e) {
      throw new OpsException(path + " is not a valid certificate: " + e.getMessage(), e);
    }
  }


  private static CertificateAuthority loadAuthority(List<X509Certificate> chain, PrivateKey key, Clock clock, Path keyPath)
      throws OpsException {
    try {
      return CertificateAuthority.load(chain, key, clock);
    } catch (CertificateIssuanceException e) {
      throw new OpsException(keyPath + ": " + e.getMessage(), e);
    }
  }
}
