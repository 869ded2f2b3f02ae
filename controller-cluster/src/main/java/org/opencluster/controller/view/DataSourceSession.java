package org.opencluster.controller.view;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/**
 * One transaction on the controller's pool for the projection: the view's rows and the offset are
 * written on the same connection and committed together (exactly once). Opened per envelope by
 * the projection, which commits or rolls back, then closes it.
 */
final class DataSourceSession implements JdbcSession {

  private final Connection connection;

  DataSourceSession(DataSource dataSource) {
    try {
      connection = dataSource.getConnection();
      connection.setAutoCommit(false);
    } catch (SQLException e) {
      throw new IllegalStateException("the read model cannot get a database connection: " + e.getMessage(), e);
    }
  }

  @Override
  public <R> R withConnection(Function<Connection, R> work) throws Exception {
    return work.apply(connection);
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
  }

  @Override
  public void rollback() throws SQLException {
    connection.rollback();
  }

  /** Back to the pool, which rolls back anything uncommitted and restores auto-commit. */
  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
