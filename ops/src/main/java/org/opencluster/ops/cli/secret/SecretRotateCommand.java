package org.opencluster.ops.cli.secret;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.api.ApiClient;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Converters;
import org.opencluster.ops.cli.Output;
import org.opencluster.ops.cli.Progress;
import org.opencluster.ops.cli.StoreNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "rotate", mixinStandardHelpOptions = true,
    description = {
        "Start a rotation of a rotating shared secret: a new version is made, distributed to the consumers, applied "
            + "(set), tested, and made current; the previous one is retired after the grace period. Refused while a "
            + "rotation runs. Needs the operator or admin role.",
        "With --wait, follows it (a progress line on a terminal) until the new version is current (exit 0), the "
            + "rotation failed and was rolled back (exit 1, with the failure), or --timeout passed (exit 2; the "
            + "rotation goes on: 'opencluster secret show NAME')."})
final class SecretRotateCommand implements Callable<Integer> {

  /** The exit code when --timeout passes first. */
  static final int TIMED_OUT = 2;

  private final CliContext context;
  /** How often --wait asks; tests make it shorter. */
  Duration pollEvery = Duration.ofSeconds(1);

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "NAME", description = "The secret's name, e.g. db/orders.")
  String name;

  @Option(names = "--wait", description = "Follow the rotation until the new version is current or it failed.")
  boolean await;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m",
      converter = Converters.DurationConverter.class, description = "How long --wait waits (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--json", description = "Print the controller's answers as JSON (the last status, with --wait).")
  boolean json;

  SecretRotateCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    String secretName = StoreNames.require(spec, "secret", name);
    ApiClient client = api.client(context);
    JsonNode started = client.post("/v1/rotating-secrets/" + secretName + "/rotate", java.util.Map.of());
    long version = started.path("rotation").path("version").asLong();
    Output output = new Output(context.out());
    if (!await) {
      output.result(started, json, "rotation of " + secretName + " to version " + version + " started");
      return 0;
    }
    if (!json) {
      output.line("rotation of " + secretName + " to version " + version + " started");
      context.out().flush();
    }
    return follow(client, output, secretName, version);
  }

  /** Polls the status until version {@code version} is current, its rotation failed, or the timeout. */
  private int follow(ApiClient client, Output output, String secretName, long version) throws OpsException {
    Instant deadline = context.clock().instant().plus(timeout);
    String shown = null;
    Progress progress = null;
    long acknowledged = 0;
    try {
      while (true) {
        JsonNode status = client.get("/v1/rotating-secrets/" + secretName);
        JsonNode failure = status.path("last_failure");
        if (failure.isObject() && failure.path("version").asLong() == version) {
          progress = closeQuietly(progress);
          if (json) {
            output.json(status);
          }
          context.err().println("error: rotation of " + secretName + " to version " + version + " failed at "
              + failure.path("step").asText() + " and was rolled back: " + failure.path("message").asText());
          return 1;
        }
        if (finished(status, version)) {
          progress = closeQuietly(progress);
          if (json) {
            output.json(status);
          } else {
            output.line("rotation of " + secretName + " finished: version " + version + " is current; "
                + RotatingSecretView.behind(status.path("distribution")) + " behind");
          }
          return 0;
        }
        JsonNode rotation = status.path("rotation");
        JsonNode distribution = status.path("distribution");
        String step = rotation.path("step").asText("finish");
        if (!Objects.equals(step, shown)) {
          closeQuietly(progress);
          shown = step;
          acknowledged = 0;
          String what = secretName + " v" + version + ": " + step + ("distribute".equals(step) ? ", acknowledged" : "");
          progress = Progress.start(context, what, "distribute".equals(step) ? distribution.path("expected").asLong() : -1,
              json);
        }
        long now = "distribute".equals(step) ? distribution.path("acknowledged").asLong() : 0;
        progress.advance(Math.max(0, now - acknowledged));
        acknowledged = Math.max(acknowledged, now);
        if (!context.clock().instant().isBefore(deadline)) {
          progress = closeQuietly(progress);
          context.err().println("error: rotation of " + secretName + " to version " + version + " did not finish within "
              + timeout + " (step " + step + "); it goes on: 'opencluster secret show " + secretName + "'");
          return TIMED_OUT;
        }
        pause();
      }
    } finally {
      closeQuietly(progress);
    }
  }

  /** Version {@code version} is current: its rotation reached retire, or no rotation runs and the current one is newer. */
  static boolean finished(JsonNode status, long version) {
    JsonNode rotation = status.path("rotation");
    if (rotation.isObject()) {
      return rotation.path("version").asLong() == version && "retire".equals(rotation.path("step").asText());
    }
    for (JsonNode v : status.path("versions")) {
      if ("CURRENT".equals(v.path("label").asText()) && v.path("number").asLong() >= version) {
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
      throw new OpsException("interrupted while waiting for the rotation");
    }
  }

  /** Clears the progress line, if one is shown; null, for the caller to forget it. */
  private static Progress closeQuietly(Progress progress) {
    if (progress != null) {
      progress.close();
    }
    return null;
  }
}
