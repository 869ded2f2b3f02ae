package org.opencluster.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SealedBoxTest {

  private static final String CONTEXT = "opencluster/secure-file/v1";
  private static final byte[] NODE = "node-7".getBytes(StandardCharsets.UTF_8);
  private static final byte[] FILE = "db.conf".getBytes(StandardCharsets.UTF_8);
  private static final byte[] VERSION = {3};
  private static final String PLAINTEXT = "password=s3cr3t-Plaintext-Marker";

  private final KeyPair recipient = EcKeys.generate();

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 1024, 65536})
  void sealThenOpen_roundTrips(int size) throws Exception {
    byte[] content = new byte[size];
    Arrays.fill(content, (byte) 0x5a);
    try (SecretBytes plaintext = SecretBytes.copyOf(content);
        SecretBytes opened = SealedBox.open(recipient, CONTEXT, seal(plaintext), NODE, FILE, VERSION)) {
      assertThat(opened.copyBytes()).isEqualTo(content);
    }
  }

  @Test
  void box_isPlaintextPlusFixedOverhead() throws Exception {
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      assertThat(seal(plaintext)).hasSize(PLAINTEXT.length() + SealedBox.OVERHEAD);
    }
  }

  @Test
  void sealingTwice_givesDifferentBoxes() throws Exception {
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      assertThat(seal(plaintext)).isNotEqualTo(seal(plaintext));
    }
  }

  @Test
  void box_doesNotContainThePlaintext() throws Exception {
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      assertThat(new String(seal(plaintext), StandardCharsets.ISO_8859_1)).doesNotContain("s3cr3t");
    }
  }

  @Test
  void everyFlippedByte_isRefused() throws Exception {
    byte[] box;
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      box = seal(plaintext);
    }
    for (int i = 0; i < box.length; i++) {
      for (int bit : new int[] {0x01, 0x80}) {
        byte[] tampered = box.clone();
        tampered[i] ^= (byte) bit;
        assertThatThrownBy(() -> SealedBox.open(recipient, CONTEXT, tampered, NODE, FILE, VERSION))
            .as("byte %d bit %02x", i, bit)
            .isInstanceOf(SealedBoxException.class)
            .hasMessageStartingWith("sealed box refused")
            .hasMessageNotContaining("s3cr3t");
      }
    }
  }

  @Test
  void everyTruncation_isRefused() throws Exception {
    byte[] box;
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      box = seal(plaintext);
    }
    for (int length = 0; length < box.length; length++) {
      byte[] truncated = Arrays.copyOf(box, length);
      assertThatThrownBy(() -> SealedBox.open(recipient, CONTEXT, truncated, NODE, FILE, VERSION))
          .as("length %d", length)
          .isInstanceOf(SealedBoxException.class);
    }
  }

  @Test
  void appendedBytes_areRefused() throws Exception {
    byte[] box;
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      box = seal(plaintext);
    }
    byte[] extended = Arrays.copyOf(box, box.length + 1);
    assertThatThrownBy(() -> SealedBox.open(recipient, CONTEXT, extended, NODE, FILE, VERSION)).isInstanceOf(SealedBoxException.class);
  }

  @Test
  void wrongRecipientKey_isRefused() throws Exception {
    byte[] box;
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      box = seal(plaintext);
    }
    assertThatThrownBy(() -> SealedBox.open(EcKeys.generate(), CONTEXT, box, NODE, FILE, VERSION))
        .isInstanceOf(SealedBoxException.class)
        .hasMessageContaining("authentication failed");
  }

  @Test
  void wrongContext_isRefused() throws Exception {
    byte[] box;
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      box = seal(plaintext);
    }
    assertThatThrownBy(() -> SealedBox.open(recipient, "opencluster/sealed-key/v1", box, NODE, FILE, VERSION))
        .isInstanceOf(SealedBoxException.class)
        .hasMessageContaining("authentication failed");
  }

  @Test
  void wrongAssociatedData_isRefused() throws Exception {
    byte[] box;
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      box = seal(plaintext);
    }
    assertThatThrownBy(() -> SealedBox.open(recipient, CONTEXT, box, NODE, FILE, new byte[] {4}))
        .isInstanceOf(SealedBoxException.class);
    assertThatThrownBy(() -> SealedBox.open(recipient, CONTEXT, box)).isInstanceOf(SealedBoxException.class);
  }

  @Test
  void associatedDataParts_cannotBeRegrouped() throws Exception {
    byte[] box;
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      box = SealedBox.seal((ECPublicKey) recipient.getPublic(), CONTEXT, plaintext, bytes("n1"), bytes("2db"));
    }
    assertThatThrownBy(() -> SealedBox.open(recipient, CONTEXT, box, bytes("n12"), bytes("db")))
        .isInstanceOf(SealedBoxException.class);
    assertThatThrownBy(() -> SealedBox.open(recipient, CONTEXT, box, bytes("n12db"))).isInstanceOf(SealedBoxException.class);
  }

  @Test
  void noAssociatedData_differsFromOneEmptyPart() throws Exception {
    byte[] box;
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      box = SealedBox.seal((ECPublicKey) recipient.getPublic(), CONTEXT, plaintext);
    }
    assertThatThrownBy(() -> SealedBox.open(recipient, CONTEXT, box, new byte[0])).isInstanceOf(SealedBoxException.class);
  }

  @Test
  void recipientPairWhosePublicKeyIsNotItsOwn_isRefused() throws Exception {
    byte[] box;
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      box = seal(plaintext);
    }
    KeyPair mismatched = new KeyPair(EcKeys.generate().getPublic(), recipient.getPrivate());
    assertThatThrownBy(() -> SealedBox.open(mismatched, CONTEXT, box, NODE, FILE, VERSION))
        .isInstanceOf(SealedBoxException.class);
  }

  @Test
  void unknownVersion_isRefusedByName() throws Exception {
    byte[] box;
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      box = seal(plaintext);
    }
    box[0] = 2;
    assertThatThrownBy(() -> SealedBox.open(recipient, CONTEXT, box, NODE, FILE, VERSION))
        .isInstanceOf(SealedBoxException.class)
        .hasMessageContaining("unsupported format version 2");
  }

  @Test
  void ephemeralKeyOffTheCurve_isRefusedByName() throws Exception {
    byte[] box;
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      box = seal(plaintext);
    }
    box[65] ^= 1; // last byte of the ephemeral point's Y coordinate
    assertThatThrownBy(() -> SealedBox.open(recipient, CONTEXT, box, NODE, FILE, VERSION))
        .isInstanceOf(SealedBoxException.class)
        .hasMessageContaining("not a valid P-256 point");
  }

  @Test
  void recipientOnAnotherCurve_isRefused() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair p384 = generator.generateKeyPair();
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      assertThatThrownBy(() -> SealedBox.seal((ECPublicKey) p384.getPublic(), CONTEXT, plaintext, NODE, FILE, VERSION))
          .isInstanceOf(InvalidKeyException.class);
      byte[] box = seal(plaintext);
      assertThatThrownBy(() -> SealedBox.open(p384, CONTEXT, box, NODE, FILE, VERSION)).isInstanceOf(SealedBoxException.class);
    }
  }

  @Test
  void invalidContextLabel_isRefused() {
    try (SecretBytes plaintext = secret(PLAINTEXT)) {
      assertThatThrownBy(() -> SealedBox.seal((ECPublicKey) recipient.getPublic(), "", plaintext, NODE, FILE, VERSION))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> SealedBox.seal((ECPublicKey) recipient.getPublic(), "has space", plaintext, NODE, FILE, VERSION))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  private byte[] seal(SecretBytes plaintext) throws InvalidKeyException {
    return SealedBox.seal((ECPublicKey) recipient.getPublic(), CONTEXT, plaintext, NODE, FILE, VERSION);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static SecretBytes secret(String s) {
    return SecretBytes.copyOf(s.getBytes(StandardCharsets.UTF_8));
  }
}
