package org.opencluster.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencluster.persistence.testing.TestDatabases;

class StorageTest {

  @TempDir
  Path tmp;

  @Test
  void h2_isTheDefault_inAFileUnderTheDataDirectory() {
    StorageSettings settings = StorageSettings.create(ConfigFactory.load(), tmp);
    assertThat(settings.vendor()).isEqualTo(StorageSettings.Vendor.H2);
    assertThat(settings.jdbcUrl()).startsWith("jdbc:h2:file:" + tmp.resolve("opencluster"));
  }

  @Test
  void h2File_isCreatedAndMigratedOnOpen_andReopensIdempotently() throws Exception {
    StorageSettings settings = StorageSettings.create(ConfigFactory.load(), tmp);
    try (Storage storage = Storage.open(settings)) {
      assertThat(storage.isReachable(Duration.ofSeconds(2))).isTrue();
    }
    assertThat(tmp.resolve("opencluster.mv.db")).exists();
    try (Storage storage = Storage.open(settings);
        Connection connection = storage.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT COUNT(*) FROM oc_schema_history WHERE success AND version IS NOT NULL")) {
      row.next();
      assertThat(row.getInt(1)).as("V1 to V6").isEqualTo(6);
    }
  }

  @Test
  void postgresql_isMigratedOnOpen() throws Exception {
    try (Storage storage = Storage.open(TestDatabases.freshPostgres());
        Connection connection = storage.dataSource().getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")) {
      java.util.List<String> tables = new java.util.ArrayList<>();
      while (rows.next()) {
        tables.add(rows.getString(1));
      }
      assertThat(tables).contains("event_journal", "event_tag", "snapshot", "durable_state", "oc_seal", "oc_data_key",
          "oc_sealed_value", "oc_audit_record", "oc_audit_head");
    }
  }

  @Test
  void postgresqlPassword_comesFromItsFile_andNeverPrints() throws Exception {
    Path secret = Files.writeString(tmp.resolve("db-password"), "s3cr3t-db-password\n");
    StorageSettings settings = StorageSettings.create(ConfigFactory.parseString("""
        opencluster.storage.type = postgresql
        opencluster.storage.postgresql.password-file = "%s"
        """.formatted(secret)).withFallback(ConfigFactory.load()), tmp);
    assertThat(settings.password()).isEqualTo("s3cr3t-db-password");
    assertThat(settings.toString()).doesNotContain("s3cr3t").contains("[secret]");
  }

  @Test
  void unknownType_saysWhatIsAccepted() {
    assertThatThrownBy(() -> StorageSettings.create(ConfigFactory.parseString("opencluster.storage.type = mysql")
        .withFallback(ConfigFactory.load()), tmp))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("h2 or postgresql");
  }

  @Test
  void unreachableDatabase_failsWithWhereItTried() {
    StorageSettings nowhere = new StorageSettings(StorageSettings.Vendor.POSTGRESQL, "jdbc:postgresql://127.0.0.1:1/none",
        "u", "p", 1, Duration.ofSeconds(1));
    assertThatThrownBy(() -> Storage.open(nowhere)).isInstanceOf(StorageException.class).hasMessageContaining("127.0.0.1:1");
  }

  @Test
  void aPasswordInTheJdbcUrl_neverReachesAMessage() {
    StorageSettings leaky = new StorageSettings(StorageSettings.Vendor.POSTGRESQL,
        "jdbc:postgresql://127.0.0.1:1/none?user=u&password=hunter2-db&sslmode=require&sslpassword=hunter3", "u", "", 1,
        Duration.ofSeconds(1));
    assertThat(leaky.toString()).doesNotContain("hunter").contains("sslmode=require");
    assertThatThrownBy(() -> Storage.open(leaky)).isInstanceOf(StorageException.class)
        .hasMessageContaining("127.0.0.1:1").hasMessageNotContaining("hunter");
  }
}
