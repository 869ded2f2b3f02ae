package org.opencluster.controller.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/**
 * The controller's own logback.xml (the one in its jar): OPENCLUSTER_LOG_FORMAT=json writes one
 * JSON object a line, every line parsing, a stack trace included; text (the default) writes lines
 * for people.
 */
class LogFormatTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void json_writesOneParsableObjectALine() throws Exception {
    List<String> lines = logWith("json");
    assertThat(lines).hasSize(2);
    JsonNode first = JSON.readTree(lines.get(0));
    assertThat(first.path("message").asText()).isEqualTo("Node web-1 enrolled (boot b-1)");
    assertThat(first.path("level").asText()).isEqualTo("INFO");
    assertThat(first.path("logger_name").asText()).isEqualTo("org.opencluster.controller.Test");
    assertThat(first.has("@timestamp")).isTrue();
    JsonNode second = JSON.readTree(lines.get(1));
    assertThat(second.path("level").asText()).isEqualTo("WARN");
    assertThat(second.path("stack_trace").asText()).contains("IllegalStateException: refused");
  }

  @Test
  void text_isTheDefault_andNotJson() throws Exception {
    List<String> lines = logWith(null);
    assertThat(lines.get(0)).contains("INFO").contains("Node web-1 enrolled (boot b-1)").doesNotStartWith("{");
  }

  /** Configures a fresh logback context from the main logback.xml, logs two events, returns what reached stderr. */
  private static List<String> logWith(String format) throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    if (format != null) {
      context.putProperty("OPENCLUSTER_LOG_FORMAT", format);
    }
    PrintStream stderr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(LogFormatTest.class.getResource("/logback.xml"));
      Logger log = context.getLogger("org.opencluster.controller.Test");
      log.info("Node {} enrolled (boot {})", "web-1", "b-1");
      log.warn("A request was refused", new IllegalStateException("refused"));
    } finally {
      context.stop();
      System.setErr(stderr);
    }
    return captured.toString(StandardCharsets.UTF_8).lines().filter(line -> !line.isBlank())
        .filter(line -> format == null || line.startsWith("{")).toList();
  }
}
