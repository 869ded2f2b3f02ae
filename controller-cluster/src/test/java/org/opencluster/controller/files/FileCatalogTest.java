package org.opencluster.controller.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opencluster.controller.files.FileCatalog.Catalog;
import org.opencluster.controller.files.FileCatalog.CatalogReply;
import org.opencluster.controller.files.FileCatalog.Command;
import org.opencluster.controller.files.FileCatalog.Event;
import org.opencluster.controller.testing.MovableClock;
import org.opencluster.controller.node.EntityTestSystem;

/**
 * The catalog entity: versions, refusals, and what a template may read. Events and state go
 * through the controller's serializer (the test kit checks every one round-trips).
 */
class FileCatalogTest {

  private static final EntityTestSystem TEST_SYSTEM = new EntityTestSystem("file-catalog-test");

  private final TestCatalogs content = new TestCatalogs();
  private EventSourcedBehaviorTestKit<Command, Event, Catalog> catalog;

  @AfterAll
  static void shutDown() {
    TEST_SYSTEM.close();
  }

  @BeforeEach
  void create() {
    catalog = EventSourcedBehaviorTestKit.create(TEST_SYSTEM.system(), FileCatalog.create(new MovableClock(Instant.parse("2026-11-22T10:00:00Z"))));
  }

  @Test
  void everyChange_takesTheNextRevision_andVersionsAreNeverReused() {
    FileDefinition first = put(staticFile("app/a.conf")).getValue();
    assertThat(first.version()).isEqualTo(1);
    assertThat(catalog.<StatusReply<Done>>runCommand(r -> new FileCatalog.RemoveFile("app/a.conf", r)).reply().isSuccess()).isTrue();
    FileDefinition again = put(staticFile("app/a.conf")).getValue();
    assertThat(again.version()).isEqualTo(3);
    assertThat(catalog.getState().revision()).isEqualTo(3);
  }

  @Test
  void aTlsCertificateDefinition_isStoredWithItsNamesAndTtl() {
    FileDefinition tls = content.tlsCertificate("web/tls.pem", "/run/web/tls.pem",
        List.of("{{ node.name }}.web.example", "web.example"), List.of("10.0.0.7", "fd00::7"), Duration.ofHours(12),
        TestCatalogs.labels(Map.of("role", "web"))).catalog().files().get("web/tls.pem");
    FileDefinition stored = put(tls).getValue();
    assertThat(stored.source()).isEqualTo(tls.source());
    catalog.restart();
    assertThat(catalog.getState().files().get("web/tls.pem").source()).as("after recovery too").isEqualTo(tls.source());
  }

  @Test
  void aTlsCertificateWithANodeFactThatIsNotOne_isRefused() {
    FileDefinition tls = content.tlsCertificate("web/tls.pem", "/run/web/tls.pem", List.of("{{ node.rack }}.web.example"),
        List.of(), Duration.ofHours(12), TestCatalogs.labels(Map.of("role", "web"))).catalog().files().get("web/tls.pem");
    assertThat(tls.invalid()).get().asString().contains("{{ node.rack }}.web.example");
  }

  @Test
  void aRotatingSecret_isPublishedByItsEntityOnly_idempotently_andNeverGoesBack() {
    FileDefinition.Selector web = TestCatalogs.labels(Map.of("role", "web"));
    SharedSecret v1 = content.rotatingSecret("db/orders", 1, Map.of("password", "pw-1"), Map.of("password", "pw-2"), web)
        .catalog().secrets().get("db/orders");
    assertThat(publish(v1).isSuccess()).isTrue();
    long revision = catalog.getState().revision();
    assertThat(publish(v1).isSuccess()).isTrue();
    assertThat(catalog.getState().revision()).as("the same versions again take no revision").isEqualTo(revision);

    SharedSecret v2 = content.rotatingSecret("db/orders", 2, Map.of("password", "pw-2"), Map.of(), web)
        .catalog().secrets().get("db/orders");
    assertThat(publish(v2).isSuccess()).isTrue();
    assertThat(publish(v1).isSuccess()).as("a late, older publication is acknowledged").isTrue();
    assertThat(catalog.getState().secrets().get("db/orders").rotation().orElseThrow().currentVersion())
        .as("and ignored").isEqualTo(2);
    catalog.restart();
    assertThat(catalog.getState().secrets().get("db/orders").rotation().get().consumers()).isEqualTo(web);

    StatusReply<SharedSecret> put = catalog.<StatusReply<SharedSecret>>runCommand(r -> new FileCatalog.PutSecret(
        content.secret("db/orders", Map.of("password", "x")).catalog().secrets().get("db/orders"), r)).reply();
    assertThat(put.getError().getMessage()).contains(FileCatalog.ROTATING);
    StatusReply<Done> removed = catalog.<StatusReply<Done>>runCommand(r -> new FileCatalog.RemoveSecret("db/orders", r)).reply();
    assertThat(removed.getError().getMessage()).contains(FileCatalog.ROTATING);
    assertThat(catalog.getState().secrets().get("db/orders").rotating()).isTrue();
  }

  @Test
  void aRotatingSecret_cannotTakeTheNameOfAStaticOne() {
    SharedSecret fixed = content.secret("db/orders", Map.of("password", "s")).catalog().secrets().get("db/orders");
    assertThat(catalog.<StatusReply<SharedSecret>>runCommand(r -> new FileCatalog.PutSecret(fixed, r)).reply().isSuccess())
        .isTrue();
    SharedSecret rotating = content.rotatingSecret("db/orders", 1, Map.of("password", "pw-1"), Map.of(),
        TestCatalogs.labels(Map.of("role", "web"))).catalog().secrets().get("db/orders");
    assertThat(publish(rotating).getError().getMessage()).contains("a static secret 'db/orders' exists");
    assertThat(catalog.getState().secrets().get("db/orders").rotating()).isFalse();
  }

  private StatusReply<Done> publish(SharedSecret secret) {
    return catalog.<StatusReply<Done>>runCommand(r -> new FileCatalog.PublishRotating(secret, r)).reply();
  }

  @Test
  void aTemplateReadingASecretThatDoesNotExist_isRefused() throws Exception {
    StatusReply<FileDefinition> refused = put(template("app/db.conf", "{{ secret \"db/orders\" \"password\" }}"));
    assertThat(refused.isError()).isTrue();
    assertThat(refused.getError().getMessage()).contains("put the secret first");
    assertThat(catalog.getState().files()).isEmpty();
  }

  @Test
  void aSecretATemplateReads_cannotBeRemoved_norLoseTheField() throws Exception {
    putSecret("db/orders", Map.of("password", "x", "user", "app"));
    assertThat(put(template("app/db.conf", "{{ secret \"db/orders\" \"password\" }}")).isSuccess()).isTrue();

    StatusReply<Done> removal = catalog.<StatusReply<Done>>runCommand(r -> new FileCatalog.RemoveSecret("db/orders", r)).reply();
    assertThat(removal.getError().getMessage()).contains(FileCatalog.IN_USE).contains("app/db.conf");
    StatusReply<SharedSecret> withoutField = putSecret("db/orders", Map.of("user", "app"));
    assertThat(withoutField.getError().getMessage()).contains("field 'password'").contains(FileCatalog.IN_USE);
    assertThat(putSecret("db/orders", Map.of("password", "y")).isSuccess()).as("dropping an unread field is fine").isTrue();
  }

  @Test
  void removingWhatIsNotThere_isRefusedAsNotFound() {
    assertThat(catalog.<StatusReply<Done>>runCommand(r -> new FileCatalog.RemoveFile("nope", r)).reply().getError().getMessage())
        .startsWith(FileCatalog.NOT_FOUND);
    assertThat(catalog.<StatusReply<Done>>runCommand(r -> new FileCatalog.RemoveSecret("nope", r)).reply().getError().getMessage())
        .startsWith(FileCatalog.NOT_FOUND);
  }

  @Test
  void anInvalidDefinition_isRefused_andNothingIsStored() {
    FileDefinition bad = new FileDefinition("app/a.conf", 0, "relative/path", "root", "root", 0400,
        FileDefinition.Delivery.TMPFS, List.of(), TestCatalogs.nodes("n-1"), staticFile("x").source(), Instant.EPOCH);
    var result = catalog.<StatusReply<FileDefinition>>runCommand(r -> new FileCatalog.PutFile(bad, r));
    assertThat(result.reply().getError().getMessage()).contains("absolute");
    assertThat(result.hasNoEvents()).isTrue();
  }

  @Test
  void aReloadCommandThatIsNotAnAbsolutePath_isRefused() {
    FileDefinition searched = new FileDefinition("app/a.conf", 0, "/run/app/a.conf", "root", "root", 0400,
        FileDefinition.Delivery.TMPFS, List.of("systemctl", "reload", "app"), TestCatalogs.nodes("n-1"),
        staticFile("x").source(), Instant.EPOCH);
    var result = catalog.<StatusReply<FileDefinition>>runCommand(r -> new FileCatalog.PutFile(searched, r));
    assertThat(result.reply().getError().getMessage()).contains("absolute path");
    assertThat(result.hasNoEvents()).isTrue();
  }

  @Test
  void aSelectorThatSelectsNothing_isRefused() {
    FileDefinition nowhere = new FileDefinition("app/a.conf", 0, "/run/app/a.conf", "root", "root", 0400,
        FileDefinition.Delivery.TMPFS, List.of(), new FileDefinition.Selector(Set.of(), Map.of(), false),
        staticFile("x").source(), Instant.EPOCH);
    assertThat(catalog.<StatusReply<FileDefinition>>runCommand(r -> new FileCatalog.PutFile(nowhere, r)).reply()
        .getError().getMessage()).contains("selects nothing");
  }

  @Test
  void theCatalog_isSentOnlyWhenNewerThanTheAskersRevision() {
    put(staticFile("app/a.conf"));
    CatalogReply current = catalog.<CatalogReply>runCommand(r -> new FileCatalog.GetCatalog(1, r)).reply();
    assertThat(current.catalog()).isEmpty();
    CatalogReply behind = catalog.<CatalogReply>runCommand(r -> new FileCatalog.GetCatalog(0, r)).reply();
    assertThat(behind.catalog()).get().extracting(c -> c.files().keySet()).isEqualTo(Set.of("app/a.conf"));
  }

  @Test
  void theCatalog_survivesARestart() {
    put(staticFile("app/a.conf"));
    catalog.restart();
    assertThat(catalog.getState().files()).containsKey("app/a.conf");
  }

  private StatusReply<FileDefinition> put(FileDefinition definition) {
    return catalog.<StatusReply<FileDefinition>>runCommand(r -> new FileCatalog.PutFile(definition, r)).reply();
  }

  private StatusReply<SharedSecret> putSecret(String name, Map<String, String> fields) {
    SharedSecret secret = new TestCatalogs().secret(name, fields).catalog().secrets().get(name);
    return catalog.<StatusReply<SharedSecret>>runCommand(r -> new FileCatalog.PutSecret(secret, r)).reply();
  }

  private FileDefinition staticFile(String name) {
    return content.staticFile(name, "/run/app/" + name.replace('/', '-'), "x\n", TestCatalogs.nodes("n-1"))
        .catalog().files().get(name);
  }

  private FileDefinition template(String name, String text) throws Exception {
    return content.template(name, "/run/app/t.conf", text, TestCatalogs.nodes("n-1")).catalog().files().get(name);
  }

}
