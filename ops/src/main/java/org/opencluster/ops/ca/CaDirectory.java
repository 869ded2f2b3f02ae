package org.opencluster.ops.ca;

import static org.opencluster.ops.internal.NewDirectory.text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.internal.NewDirectory;
import org.opencluster.ops.internal.NewFiles;
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
 *   service-ca.pem     service CA certificate, then the root's (from 'ca create-service-ca')
 *   service-ca.key     service CA key, encrypted PKCS#8 (mode 0600)
 * </pre>
 *
 * Each key is encrypted under its own passphrase, never stored: the agent CA's and the service
 * CA's go to the controllers, which sign node certificates and the nodes' TLS certificates with
 * them; the root's stays with whoever keeps the root offline.
 */
public final class CaDirectory {

  public static final String ROOT_CERTIFICATE = "root-ca.pem";
  public static final String ROOT_KEY = "root-ca.key";
  public static final String AGENT_CERTIFICATE = "agent-ca.pem";
  public static final String AGENT_KEY = "agent-ca.key";
  public static final String SERVICE_CERTIFICATE = "service-ca.pem";
  public static final String SERVICE_KEY = "service-ca.key";

  private final Path directory;
  private final X509Certificate root;
  private final X509Certificate agent;
  private final X509Certificate service;

  /** @param service null when the directory has no service CA (yet) */
  private CaDirectory(Path directory, X509Certificate root, X509Certificate agent, X509Certificate service) {
    this.directory = directory;
    this.root = root;
    this.agent = agent;
    this.service = service;
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
    List<NewDirectory.File> files = new ArrayList<>();
    files.addAll(caFiles(ROOT_CERTIFICATE, List.of(root.certificate()), ROOT_KEY, rootKeys.getPrivate(), rootPassphrase));
    files.addAll(caFiles(AGENT_CERTIFICATE, List.of(agent.certificate()), AGENT_KEY, agentKeys.getPrivate(),
        agentPassphrase));
    NewDirectory.create(directory, NewDirectory.PRIVATE_DIRECTORY, files);
    return new CaDirectory(directory, root.certificate(), agent.certificate(), null);
  }

  /**
   * Fails early, before a passphrase is asked for, if {@link #createServiceCa} would refuse
   * because this directory already holds a service CA and {@code replace} is false.
   */
  public void checkCanCreateServiceCa(boolean replace) throws OpsException {
    if (replace) {
      return;
    }
    for (String name : List.of(SERVICE_CERTIFICATE, SERVICE_KEY)) {
      if (Files.exists(directory.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
        throw new OpsException(directory + " already holds a service CA (" + name + "); to rotate it, run again with "
            + "--replace, then 'opencluster operator import-service-ca'. Nothing was written");
      }
    }
  }

  /**
   * Makes the service CA, signed by {@code rootCa} (from {@link #unlockRoot}), and writes
   * service-ca.pem (its certificate, then the root's) and service-ca.key (encrypted under {@code
   * servicePassphrase}) into this directory.
   *
   * @param permittedDnsDomains the only DNS domains (and subdomains) it may certify; empty for any
   *     name and address
   * @param replace whether an existing service CA may be replaced (a rotation)
   * @throws OpsException if a service CA exists and {@code replace} is false, or the root refuses (a
   *     validity that outlives it, a domain that is not a DNS name)
   */
  public CaDirectory createServiceCa(CertificateAuthority rootCa, char[] servicePassphrase, Duration validity,
      List<String> permittedDnsDomains, boolean replace) throws OpsException, IOException {
    checkCanCreateServiceCa(replace);
    KeyPair keys = EcKeys.generate();
    CertificateAuthority serviceCa;
    try {
      serviceCa = rootCa.createServiceCa(keys, validity, permittedDnsDomains);
    } catch (CertificateIssuanceException e) {
      throw new OpsException(e.getMessage(), e);
    }
    NewFiles.write(directory, caFiles(SERVICE_CERTIFICATE, serviceCa.chain(), SERVICE_KEY, keys.getPrivate(),
        servicePassphrase), replace);
    return new CaDirectory(directory, root, agent, serviceCa.certificate());
  }

  /**
   * A CA's key file, encrypted under {@code passphrase}, then its certificate file (its chain): in
   * that order, so that where files appear one by one a CA counts as made once its certificate is
   * there.
   */
  private static List<NewDirectory.File> caFiles(String certificateName, List<X509Certificate> chain, String keyName,
      PrivateKey key, char[] passphrase) {
    String keyPem = Pem.encodeEncryptedPrivateKey(key, passphrase);
    return List.of(
        new NewDirectory.File(keyName, NewDirectory.PRIVATE_FILE, text(keyPem)),
        new NewDirectory.File(certificateName, NewDirectory.PUBLIC_FILE, text(Pem.encodeCertificates(chain))));
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
    X509Certificate root = readCertificate(directory, ROOT_CERTIFICATE, Identity.ROOT_CA, null);
    X509Certificate agent = readCertificate(directory, AGENT_CERTIFICATE, Identity.AGENT_CA, null);
    requireSignedByRoot(directory, AGENT_CERTIFICATE, agent, root);
    X509Certificate service = null;
    if (Files.exists(directory.resolve(SERVICE_CERTIFICATE), LinkOption.NOFOLLOW_LINKS)) {
      service = readCertificate(directory, SERVICE_CERTIFICATE, Identity.SERVICE_CA, root);
      requireSignedByRoot(directory, SERVICE_CERTIFICATE, service, root);
    }
    return new CaDirectory(directory, root, agent, service);
  }

  /** The root CA with its key, for issuing controller and operator certificates. */
  public CertificateAuthority unlockRoot(char[] passphrase, Clock clock) throws OpsException {
    return loadAuthority(List.of(root), readKey(ROOT_KEY, passphrase), clock, directory.resolve(ROOT_KEY));
  }

  /** The agent CA's private key, to hand to the controllers ({@code operator import-agent-ca}). */
  public PrivateKey agentKey(char[] passphrase) throws OpsException {
    return readKeyOf(agent, AGENT_CERTIFICATE, AGENT_KEY, passphrase, "the files come from different CAs");
  }

  /** The service CA's private key, to hand to the controllers ({@code operator import-service-ca}). */
  public PrivateKey serviceKey(char[] passphrase) throws OpsException {
    return readKeyOf(serviceCertificate(), SERVICE_CERTIFICATE, SERVICE_KEY, passphrase,
        "a 'ca create-service-ca' cut short? Run it again with --replace");
  }

  /** The service CA's certificate, then the root's: what service-ca.pem holds. */
  public List<X509Certificate> serviceChain() throws OpsException {
    return List.of(serviceCertificate(), root);
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

  /** The service CA's certificate; empty until 'ca create-service-ca'. */
  public Optional<X509Certificate> service() {
    return Optional.ofNullable(service);
  }

  private X509Certificate serviceCertificate() throws OpsException {
    if (service == null) {
      throw new OpsException(directory + " holds no service CA; create one with 'opencluster ca create-service-ca --dir "
          + directory + "'");
    }
    return service;
  }

  /** The key in {@code keyName}, checked against {@code certificate}; {@code hint} says why they may differ. */
  private PrivateKey readKeyOf(X509Certificate certificate, String certificateName, String keyName, char[] passphrase,
      String hint) throws OpsException {
    PrivateKey key = readKey(keyName, passphrase);
    if (!EcKeys.belongTogether(certificate.getPublicKey(), key)) {
      throw new OpsException(directory.resolve(keyName) + " is not the key of " + directory.resolve(certificateName)
          + " (" + hint + ")");
    }
    return key;
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

  /**
   * The {@code expected} CA's certificate from {@code name}, which holds exactly that certificate,
   * followed by {@code issuer}'s when that is not null.
   */
  private static X509Certificate readCertificate(Path directory, String name, Identity expected, X509Certificate issuer)
      throws OpsException {
    Path path = directory.resolve(name);
    try {
      List<X509Certificate> certificates = Pem.decodeCertificates(Files.readString(path, StandardCharsets.US_ASCII));
      X509Certificate certificate = certificates.get(0);
      Identity identity = Certificates.identityOf(certificate);
      List<X509Certificate> chain = issuer == null ? List.of(certificate) : List.of(certificate, issuer);
      if (!certificates.equals(chain) || !identity.equals(expected)) {
        throw new OpsException(path + " should hold exactly the " + expected + " certificate"
            + (issuer == null ? "" : ", then the root CA's"));
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

  private static void requireSignedByRoot(Path directory, String name, X509Certificate certificate, X509Certificate root)
      throws OpsException {
    try {
      certificate.verify(root.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new OpsException(directory.resolve(name) + " is not signed by " + directory.resolve(ROOT_CERTIFICATE)
          + ": the files come from different CAs", e);
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
