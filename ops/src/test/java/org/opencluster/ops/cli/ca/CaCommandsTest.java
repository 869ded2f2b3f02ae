package org.opencluster.ops.cli.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.opencluster.ops.cli.OctlRun.AGENT_PASSPHRASE;
import static org.opencluster.ops.cli.OctlRun.PASSPHRASE;
import static org.opencluster.ops.cli.OctlRun.SERVICE_PASSPHRASE;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.ops.cli.OctlRun;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.EcdsaSigner;
import org.opencluster.protocol.crypto.EcdsaVerifier;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.CertificateIssuanceException;
import org.opencluster.protocol.pki.CertificateProfile;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.pki.Certificates;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.KeyDecryptionException;
import org.opencluster.protocol.pki.Pem;
import org.opencluster.protocol.pki.Role;
import org.opencluster.protocol.pki.SubjectAltNames;

class CaCommandsTest {

  private static final String NAME_CONSTRAINTS = "2.5.29.30";

  @TempDir
  Path tmp;

  // ---- init ---------------------------------------------------------------------------------

  @Test
  void init_writesBothCasWithPrivateFileModes() throws Exception {
    Path ca = tmp.resolve("ca");
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "init", "--dir", ca.toString(), "--cluster-name", "acme")).isZero();

    assertThat(mode(ca)).isEqualTo("rwx------");
    assertThat(mode(ca.resolve("root-ca.key"))).isEqualTo("rw-------");
    assertThat(mode(ca.resolve("agent-ca.key"))).isEqualTo("rw-------");
    assertThat(mode(ca.resolve("root-ca.pem"))).isEqualTo("rw-r--r--");
    try (var files = Files.list(ca)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
          "root-ca.pem", "root-ca.key", "agent-ca.pem", "agent-ca.key");
    }
    X509Certificate root = certificate(ca.resolve("root-ca.pem"));
    assertThat(root.getSubjectX500Principal().getName()).isEqualTo("CN=OpenCluster root CA,O=acme");
    assertThat(certificate(ca.resolve("agent-ca.pem")).getIssuerX500Principal()).isEqualTo(root.getSubjectX500Principal());
    assertThat(octl.out()).contains("opencluster://ca/root", "opencluster://ca/agents");
  }

  @Test
  void init_encryptsEachKeyUnderItsOwnPassphrase() throws Exception {
    Path ca = initCa();
    String rootKey = Files.readString(ca.resolve("root-ca.key"));
    String agentKey = Files.readString(ca.resolve("agent-ca.key"));
    // The armour line, built from its parts (no committed file holds a private-key header).
    String label = "ENCRYPTED PRIVATE KEY";
    assertThat(rootKey).startsWith("-----BEGIN " + label + "-----");
    assertKeyMatches(Pem.decodeEncryptedPrivateKey(rootKey, PASSPHRASE.toCharArray()), ca.resolve("root-ca.pem"));
    assertKeyMatches(Pem.decodeEncryptedPrivateKey(agentKey, AGENT_PASSPHRASE.toCharArray()), ca.resolve("agent-ca.pem"));
    assertThatThrownBy(() -> Pem.decodeEncryptedPrivateKey(agentKey, PASSPHRASE.toCharArray()))
        .isInstanceOf(KeyDecryptionException.class);
  }

  @Test
  void init_withTheSamePassphraseForBothKeys_isRefused() {
    OctlRun octl = OctlRun.withPassphrase().agentPassphrase(PASSPHRASE);
    assertThat(octl.run("ca", "init", "--dir", tmp.resolve("ca").toString())).isEqualTo(1);
    assertThat(octl.err()).contains("must differ");
    assertThat(tmp.resolve("ca")).doesNotExist();
  }

  @Test
  void init_refusesADirectoryThatHoldsAnything_andLeavesItAlone() throws Exception {
    Path ca = initCa();
    String before = Files.readString(ca.resolve("root-ca.pem"));
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "init", "--dir", ca.toString())).isEqualTo(1);
    assertThat(octl.err()).contains("is not empty; refusing to overwrite");
    assertThat(Files.readString(ca.resolve("root-ca.pem"))).isEqualTo(before);
  }

  @Test
  void init_intoAnExistingEmptyDirectory_works() throws Exception {
    Path ca = Files.createDirectory(tmp.resolve("empty"));
    assertThat(OctlRun.withPassphrase().run("ca", "init", "--dir", ca.toString())).isZero();
    assertThat(ca.resolve("root-ca.pem")).exists();
  }

  @Test
  void init_withAShortPassphrase_writesNothing() {
    Path ca = tmp.resolve("ca");
    OctlRun octl = OctlRun.withoutPassphrase().passphrase("too short");
    assertThat(octl.run("ca", "init", "--dir", ca.toString())).isEqualTo(1);
    assertThat(octl.err()).contains("at least 12 characters");
    assertThat(ca).doesNotExist();
    assertThat(tmp.toFile().list()).isEmpty();
  }

  @Test
  void init_withoutPassphraseOrTerminal_saysHowToGiveOne() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("ca", "init", "--dir", tmp.resolve("ca").toString())).isEqualTo(1);
    assertThat(octl.err()).contains("set OPENCLUSTER_CA_PASSPHRASE or run in a terminal");
  }

  @Test
  void init_onATerminal_asksTwiceForEachKey() {
    OctlRun octl = OctlRun.withoutPassphrase().terminal(PASSPHRASE, PASSPHRASE, AGENT_PASSPHRASE, AGENT_PASSPHRASE);
    assertThat(octl.run("ca", "init", "--dir", tmp.resolve("ca").toString())).isZero();
  }

  @Test
  void init_onATerminal_refusesMismatchedPassphrases() {
    OctlRun octl = OctlRun.withoutPassphrase().terminal(PASSPHRASE, PASSPHRASE + "x");
    assertThat(octl.run("ca", "init", "--dir", tmp.resolve("ca").toString())).isEqualTo(1);
    assertThat(octl.err()).contains("do not match");
    assertThat(tmp.resolve("ca")).doesNotExist();
  }

  @Test
  void init_underAMissingParent_isRefused() {
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "init", "--dir", tmp.resolve("no/such/ca").toString())).isEqualTo(1);
    assertThat(octl.err()).contains("parent directory").contains("does not exist");
  }

  @Test
  void init_withAnInvalidClusterName_writesNothing() {
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "init", "--dir", tmp.resolve("ca").toString(), "--cluster-name", "a,b=c")).isEqualTo(1);
    assertThat(octl.err()).contains("invalid cluster name");
    assertThat(tmp.toFile().list()).isEmpty();
  }

  @Test
  void passphrase_neverAppearsInOutput() {
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "init", "--dir", tmp.resolve("ca").toString())).as("init ran").isZero();
    assertThat(octl.out() + octl.err()).doesNotContain(PASSPHRASE).doesNotContain(AGENT_PASSPHRASE);
    OctlRun again = OctlRun.withPassphrase();
    assertThat(again.run("ca", "init", "--dir", tmp.resolve("ca").toString())).as("refused: not empty").isEqualTo(1);
    assertThat(again.out() + again.err()).doesNotContain(PASSPHRASE).doesNotContain(AGENT_PASSPHRASE);
  }

  // ---- issue --------------------------------------------------------------------------------

  @Test
  void issueController_writesAServerCertificateItsKeyAndTheRoot() throws Exception {
    Path ca = initCa();
    Path out = tmp.resolve("ctl-1");
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "issue", "controller", "ctl-1", "--dir", ca.toString(), "--out", out.toString(),
        "--san-dns", "localhost", "--san-ip", "127.0.0.1", "--ttl", "90d")).isZero();

    assertThat(mode(out.resolve("key.pem"))).isEqualTo("rw-------");
    X509Certificate controller = certificate(out.resolve("cert.pem"));
    assertThat(certificate(out.resolve("ca.pem"))).isEqualTo(certificate(ca.resolve("root-ca.pem")));
    Identity identity = CertificateValidator.trusting(List.of(certificate(out.resolve("ca.pem"))))
        .validate(List.of(controller), CertificateProfile.Usage.TLS_SERVER, Instant.now(), EnumSet.of(Identity.Kind.CONTROLLER));
    assertThat(identity).isEqualTo(Identity.controller("ctl-1"));
    assertThat(controller.getSubjectAlternativeNames()).contains(List.of(2, "localhost"), List.of(7, "127.0.0.1"));
    try (SecretBytes keyPem = SecretBytes.copyOf(Files.readAllBytes(out.resolve("key.pem")))) {
      PrivateKey key = Pem.decodePrivateKey(keyPem);
      byte[] signature = EcdsaSigner.create(key).sign("test/v1", new byte[] {7});
      EcdsaVerifier.create(controller.getPublicKey()).verify("test/v1", new byte[] {7}, signature);
    }
    assertThat(octl.err()).doesNotContain("warning");
  }

  @Test
  void issueControllerWithoutHostNames_warns() throws Exception {
    Path ca = initCa();
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "issue", "controller", "ctl-1", "--dir", ca.toString(), "--out", tmp.resolve("o").toString())).isZero();
    assertThat(octl.err()).contains("warning: no --san-dns or --san-ip");
  }

  @Test
  void issueOperator_carriesTheRoleAndOnlyClientAuth() throws Exception {
    Path ca = initCa();
    Path out = tmp.resolve("alice");
    assertThat(OctlRun.withPassphrase().run("ca", "issue", "operator", "alice", "--role", "auditor",
        "--dir", ca.toString(), "--out", out.toString())).isZero();
    CertificateValidator validator = CertificateValidator.trusting(List.of(certificate(out.resolve("ca.pem"))));
    X509Certificate operator = certificate(out.resolve("cert.pem"));
    Identity identity = validator.validate(List.of(operator), CertificateProfile.Usage.TLS_CLIENT, Instant.now(),
        EnumSet.of(Identity.Kind.OPERATOR));
    assertThat(identity.role()).contains(Role.AUDITOR);
    assertThat(operator.getNotAfter().toInstant()).isBefore(Instant.now().plus(Duration.ofDays(31)));
  }

  @Test
  void issue_withTheWrongPassphrase_writesNothing() throws Exception {
    Path ca = initCa();
    Path out = tmp.resolve("out");
    OctlRun octl = OctlRun.withoutPassphrase().passphrase("not the right passphrase");
    assertThat(octl.run("ca", "issue", "operator", "alice", "--role", "admin", "--dir", ca.toString(), "--out", out.toString()))
        .isEqualTo(1);
    assertThat(octl.err()).contains("wrong passphrase");
    assertThat(out).doesNotExist();
  }

  @Test
  void issue_intoADirectoryThatHoldsAnything_isRefused() throws Exception {
    Path ca = initCa();
    Path out = Files.createDirectory(tmp.resolve("out"));
    Files.writeString(out.resolve("cert.pem"), "keep me");
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "issue", "controller", "c", "--dir", ca.toString(), "--out", out.toString())).isEqualTo(1);
    assertThat(Files.readString(out.resolve("cert.pem"))).isEqualTo("keep me");
  }

  @Test
  void issue_fromAMissingCaDirectory_saysHowToMakeOne() {
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "issue", "controller", "c", "--dir", tmp.resolve("nope").toString(), "--out",
        tmp.resolve("o").toString())).isEqualTo(1);
    assertThat(octl.err()).contains("does not exist; create one with 'opencluster ca init");
  }

  @Test
  void issue_fromADirectoryWithoutTheRootKey_saysSo() throws Exception {
    Path ca = initCa();
    Files.delete(ca.resolve("root-ca.key"));
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "issue", "controller", "c", "--dir", ca.toString(), "--out", tmp.resolve("o").toString()))
        .isEqualTo(1);
    assertThat(octl.err()).contains("missing").contains("root-ca.key");
  }

  @Test
  void issue_outlivingTheRoot_isRefused() throws Exception {
    Path ca = initCa();
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "issue", "controller", "c", "--dir", ca.toString(), "--out", tmp.resolve("o").toString(),
        "--ttl", "4000d")).isEqualTo(1);
    assertThat(octl.err()).contains("ask for a shorter validity");
    assertThat(tmp.resolve("o")).doesNotExist();
  }

  @Test
  void usageErrors_exitWithTwo() throws Exception {
    Path ca = initCa();
    String dir = ca.toString();
    String out = tmp.resolve("o").toString();
    assertThat(OctlRun.withPassphrase().run("ca", "issue", "controller", "Bad Name", "--dir", dir, "--out", out)).isEqualTo(2);
    assertThat(OctlRun.withPassphrase().run("ca", "issue", "controller", "c", "--dir", dir, "--out", out, "--san-ip", "example.com")).isEqualTo(2);
    assertThat(OctlRun.withPassphrase().run("ca", "issue", "controller", "c", "--dir", dir, "--out", out, "--ttl", "3 weeks")).isEqualTo(2);
    assertThat(OctlRun.withPassphrase().run("ca", "issue", "operator", "bob", "--role", "root", "--dir", dir, "--out", out)).isEqualTo(2);
    assertThat(OctlRun.withPassphrase().run("ca", "issue", "operator", "bob", "--dir", dir, "--out", out)).isEqualTo(2);
    assertThat(OctlRun.withPassphrase().run("ca", "init")).isEqualTo(2);
    assertThat(OctlRun.withPassphrase().run("ca")).isEqualTo(2);
    assertThat(OctlRun.withPassphrase().run()).isEqualTo(2);
    assertThat(OctlRun.withPassphrase().run("no-such-noun")).isEqualTo(2);
    assertThat(tmp.resolve("o")).doesNotExist();
  }

  @Test
  void help_exitsWithZero() {
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("ca", "issue", "controller", "--help")).isZero();
    assertThat(octl.out()).contains("--san-dns");
  }

  // ---- create-service-ca --------------------------------------------------------------------

  @Test
  void createServiceCa_writesACaSignedByTheRoot_thatCertifiesOnlyThePermittedDomains() throws Exception {
    Path ca = initCa();
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "create-service-ca", "--dir", ca.toString(), "--permit-dns", "acme.example",
        "--permit-dns", "web.example", "--ttl", "365d")).isZero();

    List<X509Certificate> chain = certificates(ca.resolve("service-ca.pem"));
    X509Certificate root = certificate(ca.resolve("root-ca.pem"));
    assertThat(chain).hasSize(2).element(1).isEqualTo(root);
    X509Certificate service = chain.get(0);
    service.verify(root.getPublicKey());
    assertThat(Certificates.identityOf(service)).isEqualTo(Identity.SERVICE_CA);
    assertThat(service.getCriticalExtensionOIDs()).as("name constraints").contains(NAME_CONSTRAINTS);
    assertThat(Duration.between(Instant.now(), service.getNotAfter().toInstant()).toDays()).isBetween(363L, 365L);
    CertificateAuthority serviceCa = serviceCa(ca, chain);
    assertThat(serviceCa.issueService(EcKeys.generate().getPublic(), dnsName("web-1.acme.example"), Duration.ofHours(1))
        .getSubjectAlternativeNames()).containsExactly(List.of(2, "web-1.acme.example"));
    serviceCa.issueService(EcKeys.generate().getPublic(), dnsName("web.example"), Duration.ofHours(1));
    assertThatThrownBy(() -> serviceCa.issueService(EcKeys.generate().getPublic(), dnsName("web-1.other.example"),
        Duration.ofHours(1))).isInstanceOf(CertificateIssuanceException.class);
    assertThatThrownBy(() -> serviceCa.issueService(EcKeys.generate().getPublic(),
        new SubjectAltNames(List.of(), List.of(InetAddress.getByName("10.0.0.5"))), Duration.ofHours(1)))
        .isInstanceOf(CertificateIssuanceException.class);
    assertThat(octl.out()).contains("Created the service CA", "opencluster://ca/services",
        "DNS names in acme.example, web.example (and their subdomains); no IP address",
        "Next: opencluster operator import-service-ca --dir " + ca);
  }

  @Test
  void createServiceCa_withoutDomains_certifiesAnyNameAndAddress() throws Exception {
    Path ca = initCa();
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "create-service-ca", "--dir", ca.toString())).isZero();

    List<X509Certificate> chain = certificates(ca.resolve("service-ca.pem"));
    assertThat(chain.get(0).getCriticalExtensionOIDs()).doesNotContain(NAME_CONSTRAINTS);
    serviceCa(ca, chain).issueService(EcKeys.generate().getPublic(), new SubjectAltNames(List.of("anything.example"),
        List.of(InetAddress.getByName("10.0.0.5"))), Duration.ofHours(1));
    assertThat(octl.out()).contains("any DNS name and IP address");
  }

  @Test
  void createServiceCa_encryptsItsKeyUnderItsOwnPassphrase_inAFileOnlyItsOwnerReads() throws Exception {
    Path ca = initCa();
    assertThat(OctlRun.withPassphrase().run("ca", "create-service-ca", "--dir", ca.toString())).isZero();

    assertThat(mode(ca.resolve("service-ca.key"))).isEqualTo("rw-------");
    assertThat(mode(ca.resolve("service-ca.pem"))).isEqualTo("rw-r--r--");
    assertThat(mode(ca)).isEqualTo("rwx------");
    String key = Files.readString(ca.resolve("service-ca.key"));
    assertThat(key).startsWith("-----BEGIN " + "ENCRYPTED PRIVATE KEY" + "-----");
    assertKeyMatches(Pem.decodeEncryptedPrivateKey(key, SERVICE_PASSPHRASE.toCharArray()), ca.resolve("service-ca.pem"));
    assertThatThrownBy(() -> Pem.decodeEncryptedPrivateKey(key, PASSPHRASE.toCharArray()))
        .isInstanceOf(KeyDecryptionException.class);
    try (var files = Files.list(ca)) {
      assertThat(files.map(p -> p.getFileName().toString())).as("no staging file left").containsExactlyInAnyOrder(
          "root-ca.pem", "root-ca.key", "agent-ca.pem", "agent-ca.key", "service-ca.pem", "service-ca.key");
    }
  }

  @Test
  void createServiceCa_aSecondTime_isRefusedWithoutReplace_andLeavesTheFirstAlone() throws Exception {
    Path ca = initCa();
    assertThat(OctlRun.withPassphrase().run("ca", "create-service-ca", "--dir", ca.toString())).isZero();
    byte[] certificate = Files.readAllBytes(ca.resolve("service-ca.pem"));
    byte[] key = Files.readAllBytes(ca.resolve("service-ca.key"));

    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "create-service-ca", "--dir", ca.toString(), "--permit-dns", "acme.example"))
        .isEqualTo(1);

    assertThat(octl.err()).contains("already holds a service CA", "--replace", "import-service-ca");
    assertThat(Files.readAllBytes(ca.resolve("service-ca.pem"))).isEqualTo(certificate);
    assertThat(Files.readAllBytes(ca.resolve("service-ca.key"))).isEqualTo(key);
  }

  @Test
  void createServiceCa_withAKeyLeftAlone_isRefusedWithoutReplace() throws Exception {
    Path ca = initCa();
    Files.writeString(ca.resolve("service-ca.key"), "left by a run cut short");
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "create-service-ca", "--dir", ca.toString())).isEqualTo(1);
    assertThat(octl.err()).contains("already holds a service CA (service-ca.key)");
    assertThat(ca.resolve("service-ca.pem")).doesNotExist();
  }

  @Test
  void createServiceCa_withReplace_rotatesToANewCaSignedByTheSameRoot() throws Exception {
    Path ca = initCa();
    assertThat(OctlRun.withPassphrase().run("ca", "create-service-ca", "--dir", ca.toString())).isZero();
    X509Certificate first = certificate(ca.resolve("service-ca.pem"));

    OctlRun octl = OctlRun.withPassphrase().servicePassphrase("the next service CA passphrase");
    assertThat(octl.run("ca", "create-service-ca", "--dir", ca.toString(), "--replace", "--permit-dns",
        "acme.example")).isZero();

    List<X509Certificate> chain = certificates(ca.resolve("service-ca.pem"));
    assertThat(chain.get(0).getPublicKey()).isNotEqualTo(first.getPublicKey());
    chain.get(0).verify(certificate(ca.resolve("root-ca.pem")).getPublicKey());
    assertKeyMatches(Pem.decodeEncryptedPrivateKey(Files.readString(ca.resolve("service-ca.key")),
        "the next service CA passphrase".toCharArray()), ca.resolve("service-ca.pem"));
    assertThat(octl.out()).contains("Replaced the service CA", "stay valid until they expire");
  }

  @Test
  void createServiceCa_withTheRootsPassphrase_isRefused() {
    assertServiceCaRefused(OctlRun.withPassphrase().servicePassphrase(PASSPHRASE),
        "the root CA and service CA passphrases must differ");
  }

  @Test
  void createServiceCa_withAShortPassphrase_isRefused() {
    assertServiceCaRefused(OctlRun.withPassphrase().servicePassphrase("too short"),
        "the service CA passphrase must be at least 12 characters");
  }

  @Test
  void createServiceCa_withoutAPassphraseOrTerminal_saysHowToGiveOne() {
    assertServiceCaRefused(OctlRun.withPassphrase().without("OPENCLUSTER_SERVICE_CA_PASSPHRASE"),
        "set OPENCLUSTER_SERVICE_CA_PASSPHRASE or run in a terminal");
  }

  @Test
  void createServiceCa_withTheWrongRootPassphrase_isRefused() {
    assertServiceCaRefused(OctlRun.withPassphrase().passphrase("not the right passphrase"), "wrong passphrase");
  }

  @Test
  void createServiceCa_outlivingTheRoot_isRefused() {
    assertServiceCaRefused(OctlRun.withPassphrase(), "ask for a shorter validity", "--ttl", "4000d");
  }

  @Test
  void createServiceCa_inAMissingCaDirectory_saysHowToMakeOne() {
    OctlRun octl = OctlRun.withPassphrase();
    assertThat(octl.run("ca", "create-service-ca", "--dir", tmp.resolve("nope").toString())).isEqualTo(1);
    assertThat(octl.err()).contains("does not exist; create one with 'opencluster ca init");
  }

  @Test
  void createServiceCa_withAPermittedDomainThatIsNotADnsName_isAUsageError() throws Exception {
    Path ca = initCa();
    for (String domain : List.of("*.acme.example", ".acme.example", "acme.example.", "acme example", "")) {
      OctlRun octl = OctlRun.withPassphrase();
      assertThat(octl.run("ca", "create-service-ca", "--dir", ca.toString(), "--permit-dns", domain)).as(domain)
          .isEqualTo(2);
      assertThat(octl.err()).as(domain).contains("--permit-dns takes a DNS domain such as acme.example");
    }
    assertThat(ca.resolve("service-ca.key")).doesNotExist();
  }

  @Test
  void show_listsTheServiceCa_onceThereIsOne() throws Exception {
    Path ca = initCa();
    OctlRun.withPassphrase().run("ca", "create-service-ca", "--dir", ca.toString());
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("ca", "show", "--dir", ca.toString())).isZero();
    assertThat(octl.out()).contains("service CA (service-ca.pem)", "opencluster://ca/services");
  }

  @Test
  void show_ofADirectoryWithAnotherCasServiceCa_isRefused() throws Exception {
    Path ca = initCa();
    Path other = initCa();
    OctlRun.withPassphrase().run("ca", "create-service-ca", "--dir", other.toString());
    Files.copy(other.resolve("service-ca.pem"), ca.resolve("service-ca.pem"));
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("ca", "show", "--dir", ca.toString())).isEqualTo(1);
    assertThat(octl.err()).contains("service-ca.pem should hold exactly the opencluster://ca/services certificate, "
        + "then the root CA's");
  }

  // ---- show ---------------------------------------------------------------------------------

  @Test
  void show_printsIdentitiesAndValidityWithoutAPassphrase() throws Exception {
    Instant now = Instant.parse("2026-11-22T00:00:00Z");
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    Path ca = tmp.resolve("ca");
    OctlRun.withPassphrase().clock(clock).run("ca", "init", "--dir", ca.toString(), "--cluster-name", "acme");
    OctlRun octl = OctlRun.withoutPassphrase().clock(clock);
    assertThat(octl.run("ca", "show", "--dir", ca.toString())).isZero();
    assertThat(octl.out()).contains("opencluster://ca/root", "opencluster://ca/agents", "CN=OpenCluster root CA,O=acme",
        "2036-11-19T00:00:00Z", "(3650 days left)", "(1825 days left)");
  }

  @Test
  void showJson_isMachineReadable() throws Exception {
    Path ca = initCa();
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("ca", "show", "--dir", ca.toString(), "--json")).isZero();
    JsonNode json = new ObjectMapper().readTree(octl.out());
    assertThat(json.get("certificates")).hasSize(2);
    assertThat(json.get("certificates").get(0).get("identity").asText()).isEqualTo("opencluster://ca/root");
    assertThat(json.get("certificates").get(1).get("sha256").asText()).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
  }

  @Test
  void showCert_saysWhatTheCaValidatesItFor() throws Exception {
    Path ca = initCa();
    Path out = tmp.resolve("alice");
    OctlRun.withPassphrase().run("ca", "issue", "operator", "alice", "--role", "admin", "--dir", ca.toString(), "--out", out.toString());
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("ca", "show", "--dir", ca.toString(), "--cert", out.resolve("cert.pem").toString())).isZero();
    assertThat(octl.out()).contains("valid for tls client as opencluster://operator/alice?role=admin")
        .doesNotContain("tls server as");
  }

  @Test
  void showCert_fromAnotherCa_isNotValid() throws Exception {
    Path ca = initCa();
    Path other = tmp.resolve("other");
    OctlRun.withPassphrase().run("ca", "init", "--dir", other.toString());
    Path out = tmp.resolve("ctl");
    OctlRun.withPassphrase().run("ca", "issue", "controller", "ctl", "--dir", other.toString(), "--out", out.toString());
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("ca", "show", "--dir", ca.toString(), "--cert", out.resolve("cert.pem").toString())).isZero();
    assertThat(octl.out()).contains("NOT VALID for this CA").contains("not signed by the CA it names as issuer");
  }

  @Test
  void show_ofADirectoryMixingTwoCas_isRefused() throws Exception {
    Path ca = initCa();
    Path other = initCa();
    Files.copy(other.resolve("agent-ca.pem"), ca.resolve("agent-ca.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("ca", "show", "--dir", ca.toString())).isEqualTo(1);
    assertThat(octl.err()).contains("is not signed by").contains("different CAs");
  }

  @Test
  void show_ofSomethingThatIsNotACa_isRefused() throws Exception {
    Path notCa = Files.createDirectory(tmp.resolve("random"));
    Files.writeString(notCa.resolve("root-ca.pem"), "garbage");
    OctlRun octl = OctlRun.withoutPassphrase();
    assertThat(octl.run("ca", "show", "--dir", notCa.toString())).isEqualTo(1);
    assertThat(octl.err()).contains("root-ca.pem is not a valid certificate");
  }

  private Path initCa() {
    Path ca = tmp.resolve("ca-" + System.nanoTime());
    assertThat(OctlRun.withPassphrase().run("ca", "init", "--dir", ca.toString())).isZero();
    return ca;
  }

  private static X509Certificate certificate(Path file) throws Exception {
    return certificates(file).get(0);
  }

  private static List<X509Certificate> certificates(Path file) throws Exception {
    return Pem.decodeCertificates(Files.readString(file, StandardCharsets.US_ASCII));
  }

  /** Runs create-service-ca ARGS in a new CA directory: it fails with {@code message} and writes nothing. */
  private void assertServiceCaRefused(OctlRun octl, String message, String... args) {
    Path ca = initCa();
    List<String> command = new java.util.ArrayList<>(List.of("ca", "create-service-ca", "--dir", ca.toString()));
    command.addAll(List.of(args));
    assertThat(octl.run(command.toArray(String[]::new))).isEqualTo(1);
    assertThat(octl.err()).contains(message);
    assertThat(ca.resolve("service-ca.pem")).doesNotExist();
    assertThat(ca.resolve("service-ca.key")).doesNotExist();
  }

  /** The service CA as the controllers will hold it, its key opened with its passphrase. */
  private static CertificateAuthority serviceCa(Path ca, List<X509Certificate> chain) throws Exception {
    PrivateKey key = Pem.decodeEncryptedPrivateKey(Files.readString(ca.resolve("service-ca.key")),
        SERVICE_PASSPHRASE.toCharArray());
    return CertificateAuthority.load(chain, key, Clock.systemUTC());
  }

  private static SubjectAltNames dnsName(String name) {
    return new SubjectAltNames(List.of(name), List.of());
  }

  private static void assertKeyMatches(PrivateKey key, Path certificateFile) throws Exception {
    byte[] signature = EcdsaSigner.create(key).sign("test/v1", new byte[] {1});
    EcdsaVerifier.create(certificate(certificateFile).getPublicKey()).verify("test/v1", new byte[] {1}, signature);
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
