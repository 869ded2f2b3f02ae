package org.opencluster.ops.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.api.ApiClient;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Converters;
import org.opencluster.ops.cli.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "leave", mixinStandardHelpOptions = true,
    description = {
        "Have controller NAME leave the cluster gracefully, as SIGTERM does: its edge tells its agents to move to the "
            + "other controllers, its operator API finishes what it runs (new requests get a retryable 503), its "
            + "shards hand off, and its process exits (code 0). Refused for the last unsealed controller. Admin role.",
        "With --wait, follows it until NAME is no longer a member (exit 0), or --timeout passed (exit 2). Asked "
            + "through NAME itself (OPENCLUSTER_ADDR), it follows until NAME stops answering; ask another controller "
            + "to follow it to the end."})
final class ClusterLeaveCommand implements Callable<Integer> {

  /** The exit code when --timeout passes first. */
  static final int TIMED_OUT = 2;

  private final CliContext context;
  /** How often --wait asks; tests make it shorter. */
  Duration pollEvery = Duration.ofSeconds(1);

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "NAME", description = "The controller's name, as in 'cluster status'.")
  String name;

  @Option(names = "--wait", description = "Follow the leave until the controller is no longer a member.")
  boolean await;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "3m",
      converter = Converters.DurationConverter.class, description = "With --wait, how long to follow (default 3m).")
  Duration timeout;

  @Option(names = "--json", description = "Print the controller's answer as JSON.")
  boolean json;

  ClusterLeaveCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    ApiClient client = api.client(context);
    String asking = await ? client.get("/v1/cluster").path("self").asText() : "";
    JsonNode asked = client.post("/v1/cluster/members/"
        + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20") + "/leave", Map.of());
    Output output = new Output(context.out());
    output.result(asked, json, "controller " + name + " (" + asked.path("address").asText() + ") is leaving");
    if (!await) {
      return 0;
    }
    context.out().flush();
    String address = asked.path("address").asText();
    Instant deadline = context.clock().instant().plus(timeout);
    while (context.clock().instant().isBefore(deadline)) {
      pause();
      JsonNode status;
      try {
        status = client.get("/v1/cluster");
      } catch (OpsException e) {
        if (address.equals(asking)) {
          // The controller asked is the one leaving: it stops answering once its API unbinds.
          output.line("controller " + name + " stopped answering as it left; follow the rest with 'opencluster "
              + "cluster status' against another controller");
          return 0;
        }
        continue; // a passing failure: ask again
      }
      if (!member(status, address)) {
        if (!json) {
          output.line("controller " + name + " left the cluster");
        }
        return 0;
      }
    }
    context.err().println("error: controller " + name + " is still a member after " + timeout
        + "; see 'opencluster cluster status'");
    return TIMED_OUT;
  }

  static boolean member(JsonNode status, String address) {
    for (JsonNode member : status.path("members")) {
      if (member.path("address").asText().equals(address) && !"removed".equals(member.path("status").asText())) {
        return true;
      }
    }
    return false;
  }

  private void pause() throws OpsException {
    try {
      Thread.sleep(pollEvery.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OpsException("interrupted while waiting for the controller to leave");
    }
  }
}
