package org.opencluster.ops.cli;

import java.nio.file.Path;
import java.util.Optional;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.api.ApiClient;
import picocli.CommandLine.Option;

/** Where the controller is and who the operator is: options over the usual environment variables. */
public final class ApiOptions {

  @Option(names = "--address", paramLabel = "URL",
      description = "Controller API, e.g. https://ctl-1:8443 (default: $OPENCLUSTER_ADDR, else " + ApiClient.DEFAULT_ADDRESS + ").")
  String address;

  /** A client from the options and the environment; says which variable to set when one is missing. */
  public ApiClient client(CliContext context) throws OpsException {
    String url = Optional.ofNullable(address).or(() -> context.variable(ApiClient.ADDRESS)).orElse(ApiClient.DEFAULT_ADDRESS);
    return ApiClient.create(url, file(context, ApiClient.CLIENT_CERT, "your operator certificate (cert.pem)"),
        file(context, ApiClient.CLIENT_KEY, "its private key (key.pem)"),
        file(context, ApiClient.CA_CERT, "the cluster root CA (ca.pem)"), context.clock());
  }

  private static Path file(CliContext context, String variable, String what) throws OpsException {
    return Path.of(context.variable(variable).orElseThrow(() -> new OpsException(
        "set " + variable + " to " + what + ", from 'opencluster ca issue operator'")));
  }
}
