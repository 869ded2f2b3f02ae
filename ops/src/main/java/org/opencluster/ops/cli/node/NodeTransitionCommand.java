package org.opencluster.ops.cli.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.Callable;
import org.opencluster.ops.OpsException;
import org.opencluster.ops.cli.ApiOptions;
import org.opencluster.ops.cli.CliContext;
import org.opencluster.ops.cli.Output;
import org.opencluster.protocol.pki.Identity;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A verb that moves one node to another stage ({@code POST /v1/nodes/ID/VERB}); the node's entity
 * decides. A refusal exits 1 with the controller's reason and what to do about it.
 */
abstract class NodeTransitionCommand implements Callable<Integer> {

  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  ApiOptions api;

  @Parameters(index = "0", paramLabel = "ID", description = "The node's id.")
  String id;

  @Option(names = "--json", description = "Print the controller's answer as JSON.")
  boolean json;

  NodeTransitionCommand(CliContext context) {
    this.context = context;
  }

  /** The last segment of the route, e.g. {@code retire}. */
  abstract String verb();

  /** The request body. */
  Map<String, Object> body() {
    return Map.of();
  }

  /** What to do when the node's stage refused the move. */
  abstract String whenRefused();

  @Override
  public Integer call() throws Exception {
    if (!Identity.isValidName(id)) {
      throw new ParameterException(spec.commandLine(), "invalid node id '" + id + "'");
    }
    JsonNode result;
    try {
      result = api.client(context).post("/v1/nodes/" + id + "/" + verb(), body());
    } catch (OpsException e) {
      String hint = e.getMessage().startsWith("refused:") ? "; " + whenRefused()
          : e.getMessage().startsWith("no such node:") ? "; check the id with 'opencluster node list'" : "";
      throw new OpsException(e.getMessage() + hint, e);
    }
    new Output(context.out()).result(result, json, "Node " + id + " is " + result.path("stage").asText() + ".");
    return 0;
  }
}
