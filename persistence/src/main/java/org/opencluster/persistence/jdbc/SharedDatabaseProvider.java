package org.opencluster.persistence.jdbc;

import com.typesafe.config.Config;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.jdbc.db.SlickDatabase;
import org.apache.pekko.persistence.jdbc.db.SlickDatabaseProvider;
import scala.Option;
import slick.jdbc.H2Profile$;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcBackend$;
import slick.jdbc.JdbcProfile;
import slick.jdbc.PostgresProfile$;
import slick.util.AsyncExecutor$;

/**
 * Gives every pekko-persistence-jdbc plugin (journal, snapshot store, read journal, the sharding
 * journal) the same Slick database over the {@link Storage} pool from the system's {@link
 * StorageSetup}. Configured as {@code pekko-persistence-jdbc.database-provider-fqcn}. The plugins
 * may not close it; it closes when the actor system terminates, and the pool with the Storage.
 */
public final class SharedDatabaseProvider implements SlickDatabaseProvider {

  private static final int QUEUE_SIZE = 10_000;

  private final SlickDatabase database;

  public SharedDatabaseProvider(ActorSystem system) {
    StorageSetup setup = system.settings().setup().get(StorageSetup.class).orElseThrow(() -> new IllegalStateException(
        "no StorageSetup in this actor system's setup: the journal has no database to use"));
    Storage storage = setup.storage();
    int connections = storage.settings().maxConnections();
    JdbcBackend.JdbcDatabaseDef db = JdbcBackend$.MODULE$.Database().forDataSource(
        new PoolView(storage.dataSource()),
        Option.apply(connections),
        AsyncExecutor$.MODULE$.apply("opencluster-storage", connections, connections, QUEUE_SIZE, connections),
        false);
    JdbcProfile profile = switch (storage.settings().vendor()) {
      case H2 -> H2Profile$.MODULE$;
      case POSTGRESQL -> PostgresProfile$.MODULE$;
    };
    this.database = new Shared(db, profile);
    system.registerOnTermination(db::close);
  }

  @Override
  public SlickDatabase database(Config config) {
    return database;
  }

  /**
   * The pool as Slick sees it: Slick closes its data source when the database closes, and this
   * one belongs to the Storage, which outlives any one actor system.
   */
  private record PoolView(DataSource pool) implements DataSource {
    @Override
    public Connection getConnection() throws SQLException {
      return pool.getConnection();
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return pool.getConnection(user, password);
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
      return pool.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
      pool.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      pool.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return pool.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      return pool.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
      return pool.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
      return pool.isWrapperFor(type);
    }
  }

  /** The shared database: the plugins must not shut it down. */
  private record Shared(JdbcBackend.JdbcDatabaseDef database, JdbcProfile profile) implements SlickDatabase {
    @Override
    public boolean allowShutdown() {
      return false;
    }
  }
}
