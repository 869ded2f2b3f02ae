package org.opencluster.agent.files;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.agent.v1.SecureFile;
import org.opencluster.protocol.agent.v1.StagedFile;
import org.opencluster.protocol.crypto.EcKeys;
import org.opencluster.protocol.crypto.SecretBytes;
import org.opencluster.protocol.pki.CertificateAuthority;
import org.opencluster.protocol.pki.CertificateValidator;
import org.opencluster.protocol.pki.Identity;
import org.opencluster.protocol.pki.SubjectAltNames;
import org.opencluster.protocol.session.AgentHandshake;
import org.opencluster.protocol.session.AgentSession;
import org.opencluster.protocol.session.ControllerHandshake;
import org.opencluster.protocol.session.SecureFileBox;
import org.opencluster.protocol.session.SessionTerms;
import org.opencluster.protocol.session.VerifiedHello;

/**
 * Staged files against a real session: each content sealed as the controller seals it, to this
 * boot's one-off key, and opened by {@link StagedFiles} with the session the agent would hold.
 */
class StagedFilesTest {

  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String NODE = "web-1";
  private static final String SECRET = "db/orders";
  private static final String FILE = "app/db.conf";

  private final StagedFiles staged = StagedFiles.create(new FilesSettings(true, Duration.ofSeconds(5)));
  private VerifiedHello hello;
  private AgentSession session;
  private Path directory;

  @BeforeEach
  void establishASession() throws Exception {
    CertificateAuthority root = CertificateAuthority.createRoot(EcKeys.generate(), "test", Duration.ofDays(365), CLOCK);
    KeyPair nodeKeys = EcKeys.generate();
    X509Certificate nodeCertificate = root.createAgentCa(EcKeys.generate(), Duration.ofDays(300))
        .issue(Identity.node(NODE), nodeKeys.getPublic(), Duration.ofDays(1), SubjectAltNames.NONE);
    KeyPair controllerKeys = EcKeys.generate();
    X509Certificate controllerCertificate = root.issue(Identity.controller("ctl-1"), controllerKeys.getPublic(),
        Duration.ofDays(30), SubjectAltNames.NONE);
    AgentHandshake agent = AgentHandshake.begin(NODE, nodeKeys.getPrivate(), "0.1", "boot-1", CLOCK);
    hello = ControllerHandshake.verifyHello(agent.hello(), nodeCertificate, NOW, Duration.ofMinutes(2));
    ControllerHandshake.Accepted accepted = ControllerHandshake.welcome(hello, controllerKeys.getPrivate(),
        List.of(controllerCertificate), new SessionTerms(NOW.plusSeconds(60), Duration.ofSeconds(5), NOW.plusSeconds(86400)),
        CLOCK, 64 * 1024);
    accepted.channel().close();
    session = agent.complete(accepted.welcome(), CertificateValidator.trusting(List.of(root.certificate())), CLOCK,
        64 * 1024);
    directory = Deliveries.freshTmpfsDirectory();
  }

  @AfterEach
  void closeEverything() throws Exception {
    staged.close();
    session.close();
    Deliveries.deleteRecursively(directory);
  }

  @Test
  void aStagedFile_isHeldInLockedMemory_andAcknowledgedHeld_andNothingIsWritten() throws Exception {
    List<StagedOutcome> outcomes = staged.replace(List.of(stagedFile(SECRET, 7, FILE, "password=next\n")), session);

    assertThat(outcomes).containsExactly(new StagedOutcome(SECRET, 7, FILE, true, ""));
    assertThat(staged.held()).isEqualTo(1);
    LockedSecret content = staged.content(SECRET, 7, FILE);
    assertThat(content.isLocked()).isTrue();
    assertThat(text(content)).isEqualTo("password=next\n");
    assertThat(directory.resolve("db.conf")).doesNotExist();
    try (Stream<Path> left = Files.list(directory)) {
      assertThat(left).as("not even a temporary file").isEmpty();
    }
  }

  @Test
  void aStagedContentSealedUnderTheLiveName_isRefused_andNothingIsHeld() throws Exception {
    StagedFile live = stagedFile(SECRET, 7, sealed(FILE, FILE, "password=next\n"));

    List<StagedOutcome> outcomes = staged.replace(List.of(live), session);

    assertThat(outcomes).singleElement().satisfies(outcome -> {
      assertThat(outcome.held()).isFalse();
      assertThat(outcome.detail()).startsWith("its content does not open with this boot's key").doesNotContain("next");
    });
    assertThat(staged.held()).isZero();
  }

  @Test
  void anEntryWithoutASecretAVersionOrAFileName_isRefused_withoutBeingOpened() throws Exception {
    // Each box is sealed under the very name the entry would be opened with: only the check refuses it.
    List<StagedFile> incomplete = List.of(stagedFile("", 7, FILE, "a"), stagedFile(SECRET, 0, FILE, "b"),
        stagedFile(SECRET, 7, "", "c"));

    List<StagedOutcome> outcomes = staged.replace(incomplete, session);

    assertThat(outcomes).extracting(StagedOutcome::held).containsExactly(false, false, false);
    assertThat(outcomes).extracting(StagedOutcome::detail)
        .allSatisfy(detail -> assertThat(detail).isEqualTo("a staged file needs a secret, a secret version and a file name"));
    assertThat(staged.held()).isZero();
  }

  @Test
  void aSecondEntryForTheSameSecretVersionAndFile_isRefused_andTheFirstIsHeld() throws Exception {
    List<StagedOutcome> outcomes = staged.replace(List.of(stagedFile(SECRET, 7, FILE, "first"),
        stagedFile(SECRET, 7, FILE, "second")), session);

    assertThat(outcomes).containsExactly(new StagedOutcome(SECRET, 7, FILE, true, ""),
        new StagedOutcome(SECRET, 7, FILE, false, "staged twice in this set"));
    assertThat(text(staged.content(SECRET, 7, FILE))).isEqualTo("first");
  }

  @Test
  void aNewerSet_replacesTheHeldFiles_andZeroesThem() throws Exception {
    staged.replace(List.of(stagedFile(SECRET, 7, FILE, "v7"), stagedFile("api/token", 2, "app/api.env", "t2")), session);
    LockedSecret v7 = staged.content(SECRET, 7, FILE);
    LockedSecret token = staged.content("api/token", 2, "app/api.env");

    List<StagedOutcome> outcomes = staged.replace(List.of(stagedFile(SECRET, 8, FILE, "v8")), session);

    assertThat(outcomes).containsExactly(new StagedOutcome(SECRET, 8, FILE, true, ""));
    assertThat(staged.held()).isEqualTo(1);
    assertThat(text(staged.content(SECRET, 8, FILE))).isEqualTo("v8");
    assertThat(staged.content(SECRET, 7, FILE)).isNull();
    assertThat(v7.wasZeroed()).isTrue();
    assertThat(token.wasZeroed()).isTrue();
  }

  @Test
  void aSetWithoutStagedFiles_dropsAndZeroesThoseHeld() throws Exception {
    staged.replace(List.of(stagedFile(SECRET, 7, FILE, "v7")), session);
    LockedSecret v7 = staged.content(SECRET, 7, FILE);

    assertThat(staged.replace(List.of(), session)).isEmpty();

    assertThat(staged.held()).isZero();
    assertThat(v7.wasZeroed()).isTrue();
  }

  @Test
  void wipe_zeroesEveryHeldFile_andLaterSetsAreHeldAgain() throws Exception {
    staged.replace(List.of(stagedFile(SECRET, 7, FILE, "v7")), session);
    LockedSecret v7 = staged.content(SECRET, 7, FILE);

    staged.wipe();

    assertThat(staged.held()).isZero();
    assertThat(v7.wasZeroed()).isTrue();
    assertThat(staged.replace(List.of(stagedFile(SECRET, 8, FILE, "v8")), session))
        .containsExactly(new StagedOutcome(SECRET, 8, FILE, true, ""));
  }

  @Test
  void close_zeroesEveryHeldFile_andRefusesEveryLaterSet() throws Exception {
    staged.replace(List.of(stagedFile(SECRET, 7, FILE, "v7")), session);
    LockedSecret v7 = staged.content(SECRET, 7, FILE);

    staged.close();

    assertThat(v7.wasZeroed()).isTrue();
    assertThat(staged.replace(List.of(stagedFile(SECRET, 8, FILE, "v8")), session))
        .containsExactly(new StagedOutcome(SECRET, 8, FILE, false, "the agent is stopping"));
    assertThat(staged.held()).isZero();
  }

  @Test
  void toString_neverShowsTheContent() throws Exception {
    staged.replace(List.of(stagedFile(SECRET, 7, FILE, "hunter2")), session);

    assertThat(staged.toString()).isEqualTo("StagedFiles[1 held]");
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** A staged entry as the controller sends it: sealed under its staged name, with a target in the test's directory. */
  private StagedFile stagedFile(String secret, long secretVersion, String file, String text) throws Exception {
    return stagedFile(secret, secretVersion, sealed(file, SecureFileBox.stagedName(secret, secretVersion, file), text));
  }

  private StagedFile stagedFile(String secret, long secretVersion, SecureFile file) {
    return StagedFile.newBuilder().setSecret(secret).setSecretVersion(secretVersion).setFile(file).build();
  }

  /** File {@code file}, version 3, its content {@code text} sealed under {@code sealedAs}. */
  private SecureFile sealed(String file, String sealedAs, String text) throws Exception {
    try (SecretBytes content = SecretBytes.copyOf(text.getBytes(StandardCharsets.UTF_8))) {
      return SecureFile.newBuilder().setName(file).setVersion(3).setPath(directory.resolve("db.conf").toString())
          .setOwner("root").setGroup("root").setMode(0400).setDelivery(SecureFile.Delivery.TMPFS)
          .setSealedContent(ByteString.copyFrom(SecureFileBox.seal(hello.agentEphemeralKey(), NODE, sealedAs, 3, content)))
          .build();
    }
  }

  private static String text(LockedSecret secret) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    secret.writeTo(Channels.newChannel(out));
    return out.toString(StandardCharsets.UTF_8);
  }
}
