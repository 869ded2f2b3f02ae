package org.opencluster.protocol.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** OPENCLUSTER_LOG_FORMAT names an appender: only text and json are taken, anything else refused before start. */
class LogFormatTest {

  @AfterEach
  void clear() {
    System.clearProperty(LogFormat.VARIABLE);
  }

  @Test
  void textAndJson_areTaken() {
    System.setProperty(LogFormat.VARIABLE, "json");
    assertThat(LogFormat.refusal()).isEmpty();
    System.setProperty(LogFormat.VARIABLE, "text");
    assertThat(LogFormat.refusal()).isEmpty();
  }

  @Test
  void anyOtherValue_isRefused_printably() {
    System.setProperty(LogFormat.VARIABLE, "JSON\u001b[2J");
    assertThat(LogFormat.refusal()).hasValueSatisfying(refusal ->
        assertThat(refusal).contains("text or json").contains("JSON?[2J").doesNotContain("\u001b"));
  }
}
