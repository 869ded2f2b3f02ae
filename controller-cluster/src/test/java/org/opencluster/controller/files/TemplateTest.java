package org.opencluster.controller.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opencluster.protocol.crypto.SecretBytes;

class TemplateTest {

  private static final Template.NodeView NODE = new Template.NodeView("n-1", "web-1", Map.of("role", "web"));
  private static final Template.Secrets SECRETS = (secret, field) -> {
    if (secret.equals("db/orders") && field.equals("password")) {
      return SecretBytes.copyOf("s3cret".getBytes(StandardCharsets.UTF_8));
    }
    throw new Template.TemplateException("secret '" + secret + "' has no field '" + field + "'");
  };

  @Test
  void rendersSecretsNodeFactsAndLiterals() throws Exception {
    String text = "[client]\nuser=app\npassword={{secret \"db/orders\" \"password\"}}\nhost={{ node.name }} id={{ node.id }}"
        + " role={{ node.label \"role\" }} {{ \"{{\" }}x}}\n";
    assertThat(render(text)).isEqualTo("[client]\nuser=app\npassword=s3cret\nhost=web-1 id=n-1 role=web {{x}}\n");
  }

  @Test
  void listsTheSecretFieldsItReads_once() throws Exception {
    Template template = Template.parse("{{ secret \"a\" \"x\" }}{{ secret \"a\" \"x\" }}{{ secret \"b\" \"y\" }}");
    assertThat(template.references()).containsExactly(new Template.SecretReference("a", "x"),
        new Template.SecretReference("b", "y"));
  }

  @Test
  void anUnknownExpression_isRefusedWithItsPosition() {
    assertThatThrownBy(() -> Template.parse("a\nb {{ node.secret }}"))
        .isInstanceOf(Template.TemplateException.class).hasMessageContaining("line 2, column 3");
  }

  @Test
  void anUnclosedExpression_isRefused() {
    assertThatThrownBy(() -> Template.parse("password={{ secret \"a\" \"b\"\n}}"))
        .isInstanceOf(Template.TemplateException.class).hasMessageContaining("unclosed '{{'");
  }

  @Test
  void aSecretReferenceWithAnInvalidName_isRefused() {
    assertThatThrownBy(() -> Template.parse("{{ secret \"../etc\" \"x\" }}"))
        .isInstanceOf(Template.TemplateException.class).hasMessageContaining("not a secret name");
  }

  @Test
  void aMissingLabel_failsTheRendering_ratherThanRenderingEmpty() {
    assertThatThrownBy(() -> render("zone={{ node.label \"zone\" }}"))
        .isInstanceOf(Template.TemplateException.class).hasMessageContaining("has no label 'zone'");
  }

  @Test
  void aMissingSecretField_failsTheRendering() {
    assertThatThrownBy(() -> render("{{ secret \"db/orders\" \"user\" }}"))
        .isInstanceOf(Template.TemplateException.class).hasMessageContaining("no field 'user'");
  }

  private static String render(String text) throws Exception {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    try (SecretBytes rendered = Template.parse(bytes).render(bytes, NODE, SECRETS)) {
      return new String(rendered.copyBytes(), StandardCharsets.UTF_8);
    }
  }
}
