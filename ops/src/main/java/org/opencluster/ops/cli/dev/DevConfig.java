package org.opencluster.ops.cli.dev;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Properties;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.internal.Hocon;

/** The dev controller's configuration file, and the ports it was written with. */
record DevConfig(String name, DevFiles files, int clusterPort, int healthPort, int apiPort, int edgePort) {

  /** The controller's default edge port: the default of --edge-port, and of dev clusters made before that option. */
  static final int DEFAULT_EDGE_PORT = 25530;

  String apiAddress() {
    return "https://127.0.0.1:" + apiPort;
  }

  String healthAddress() {
    return "https://127.0.0.1:" + healthPort;
  }

  /** Writes controller.conf and dev.properties into {@code where} (naming the files of this config's directory). */
  void writeTo(DevFiles where) throws IOException {
    Files.writeString(where.config(), """
        # Written by 'opencluster dev': a one-controller development cluster on this
        # machine. INSECURE: dev mode, unsealed with the key in dev-unseal.key.
        # docs/controller.example.conf explains every setting.
        opencluster.controller {
          name = %s
          dev-mode = on
          data-dir = %s
          tls {
            certificate = %s
            key = %s
            ca = %s
          }
          cluster { host = "127.0.0.1", port = %d }
          health { host = "127.0.0.1", port = %d }
          api { host = "127.0.0.1", port = %d }
          edge { host = "127.0.0.1", port = %d }
        }
        opencluster.storage.type = h2
        """.formatted(Hocon.quote(name), Hocon.quote(files.data()), Hocon.quote(files.controller().resolve("cert.pem")),
        Hocon.quote(files.controller().resolve("key.pem")), Hocon.quote(files.controller().resolve("ca.pem")), clusterPort, healthPort,
        apiPort, edgePort), StandardCharsets.UTF_8);
    Properties ports = new Properties();
    ports.setProperty("name", name);
    ports.setProperty("cluster-port", Integer.toString(clusterPort));
    ports.setProperty("health-port", Integer.toString(healthPort));
    ports.setProperty("api-port", Integer.toString(apiPort));
    ports.setProperty("edge-port", Integer.toString(edgePort));
    try (Writer out = Files.newBufferedWriter(where.ports(), StandardCharsets.UTF_8)) {
      ports.store(out, "opencluster dev: the ports controller.conf was written with");
    }
  }

  /** The configuration an earlier run wrote. */
  static DevConfig read(DevFiles files) throws OpsException {
    Properties ports = new Properties();
    try (Reader in = Files.newBufferedReader(files.ports(), StandardCharsets.UTF_8)) {
      ports.load(in);
      return new DevConfig(ports.getProperty("name"), files, Integer.parseInt(ports.getProperty("cluster-port")),
          Integer.parseInt(ports.getProperty("health-port")), Integer.parseInt(ports.getProperty("api-port")),
          Integer.parseInt(ports.getProperty("edge-port", Integer.toString(DEFAULT_EDGE_PORT))));
    } catch (IOException | RuntimeException e) {
      throw new OpsException("the dev cluster in " + files.directory() + " is incomplete (" + files.ports()
          + "): delete the directory to start afresh");
    }
  }
}
