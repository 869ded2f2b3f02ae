package org.opencluster.persistence.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.crypto.SecretBytes;

class UnsealShareTest {

  private static final String SET = "0123456789abcdef";

  @Test
  void anyThresholdOfShares_rebuildsTheKey() throws Exception {
    try (SecretBytes key = SecretBytes.random(32)) {
      List<String> shares = UnsealShare.split(key, 5, 3, SET);
      assertThat(shares).hasSize(5).allMatch(s -> s.startsWith("ocs1-" + SET + "-"));
      int[][] choices = {{0, 1, 2}, {2, 3, 4}, {0, 2, 4}, {1, 3, 4}};
      for (int[] choice : choices) {
        List<UnsealShare> chosen = new ArrayList<>();
        for (int i : choice) {
          chosen.add(UnsealShare.decode(shares.get(i)));
        }
        try (SecretBytes rebuilt = UnsealShare.join(chosen, 5, 3)) {
          assertThat(rebuilt.equalsConstantTime(key)).isTrue();
        }
      }
    }
  }

  @Test
  void fewerThanTheThreshold_rebuildSomethingElse() throws Exception {
    try (SecretBytes key = SecretBytes.random(32)) {
      List<String> shares = UnsealShare.split(key, 5, 3, SET);
      try (SecretBytes rebuilt = UnsealShare.join(List.of(UnsealShare.decode(shares.get(0)), UnsealShare.decode(shares.get(1))), 5, 3)) {
        assertThat(rebuilt.equalsConstantTime(key)).isFalse();
      }
    }
  }

  @Test
  void mistypedShare_isCaughtByItsCheck_andNotEchoed() throws Exception {
    try (SecretBytes key = SecretBytes.random(32)) {
      String share = UnsealShare.split(key, 3, 2, SET).get(0);
      int at = share.length() - 15;
      char replacement = share.charAt(at) == 'A' ? 'B' : 'A';
      String mistyped = share.substring(0, at) + replacement + share.substring(at + 1);
      assertThatThrownBy(() -> UnsealShare.decode(mistyped))
          .isInstanceOf(SealException.class).hasMessageContaining("mistyped")
          .hasMessageNotContaining(share.substring(24, 40));
    }
  }

  @Test
  void aWellFormedShareOfAKeyOfTheWrongLength_isRefused() throws Exception {
    try (SecretBytes shortKey = SecretBytes.random(16)) {
      String share = UnsealShare.split(shortKey, 3, 2, SET).get(0);
      assertThatThrownBy(() -> UnsealShare.decode(share))
          .isInstanceOf(SealException.class).hasMessageContaining("wrong length");
    }
  }

  @Test
  void somethingElse_isNotAShare() {
    for (String text : new String[] {"", "hello", "ocs2-0123456789abcdef-1-AAAA-00000000", "ocs1-XYZ-1-AAAA-00000000", null}) {
      assertThatThrownBy(() -> UnsealShare.decode(text)).isInstanceOf(SealException.class).hasMessageContaining("not an unseal share");
    }
  }

  @Test
  void surroundingWhitespace_isTolerated() throws Exception {
    try (SecretBytes key = SecretBytes.random(32)) {
      String share = UnsealShare.split(key, 3, 2, SET).get(1);
      assertThat(UnsealShare.decode("  " + share + "\n").index()).isEqualTo(2);
    }
  }

  @Test
  void impossibleSchemes_areRefused() {
    try (SecretBytes key = SecretBytes.random(32)) {
      assertThatThrownBy(() -> UnsealShare.split(key, 3, 4, SET)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> UnsealShare.split(key, 5, 1, SET)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> UnsealShare.split(key, 33, 3, SET)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> UnsealShare.split(key, 1, 1, SET)).isInstanceOf(IllegalArgumentException.class);
      assertThat(UnsealShare.split(key, 2, 2, SET)).hasSize(2);
    }
  }

  @Test
  void toString_hidesTheShare() throws Exception {
    try (SecretBytes key = SecretBytes.random(32)) {
      String share = UnsealShare.split(key, 3, 2, SET).get(0);
      assertThat(UnsealShare.decode(share).toString()).contains("[secret]").doesNotContain(share.substring(24));
    }
  }
}
