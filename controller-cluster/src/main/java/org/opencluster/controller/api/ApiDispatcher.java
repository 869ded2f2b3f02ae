package org.opencluster.controller.api;

import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.server.RoutingLog$;
import org.apache.pekko.http.scaladsl.settings.ParserSettings;
import org.apache.pekko.http.scaladsl.settings.RoutingSettings;
import org.apache.pekko.stream.ActorMaterializer;
import org.apache.pekko.stream.ActorMaterializerSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * The operator API on threads of its own: its connections (TLS handshakes, HTTP), its routing and
 * its directives' callbacks run on the dispatcher {@value #CONFIG_PATH}, not on the default one that
 * the entities, shards and cluster messages share.
 *
 * <p>Why: when a controller leaves or fails under a large fleet, the others recover thousands of
 * entities at once. On the shared dispatcher an operator's TLS handshake waited behind that work for
 * longer than the client's 10 s connect time-out (10,000-node rolling upgrade on two cores). Handlers
 * that reach the database still run on Pekko's blocking dispatcher ({@link OperatorApi}); an ask to
 * an entity still waits for that entity.
 */
public final class ApiDispatcher {

  /** The dispatcher's configuration (reference.conf). */
  public static final String CONFIG_PATH = "opencluster.controller.api.dispatcher";

  private final Materializer materializer;
  private final org.apache.pekko.actor.ActorSystem classic;

  public ApiDispatcher(ActorSystem<?> system) {
    this.classic = Adapter.toClassic(system);
    this.materializer = materializer(classic);
  }

  /** Runs the server's connections: pass to {@code ServerBuilder.withMaterializer}. */
  public Materializer materializer() {
    return materializer;
  }

  /**
   * {@code route} as the server's handler flow, routing on this dispatcher. Pekko's own
   * {@code Route.handler(system)} and the binding of a handler function both hop through the system's
   * default dispatcher, whatever the binding's materializer.
   */
  public Flow<HttpRequest, HttpResponse, NotUsed> flow(Route route) {
    org.apache.pekko.http.scaladsl.server.Route$ routes = org.apache.pekko.http.scaladsl.server.Route$.MODULE$;
    scala.Function1<org.apache.pekko.http.scaladsl.model.HttpRequest, Future<org.apache.pekko.http.scaladsl.model.HttpResponse>>
        handler = routes.asyncHandler(route.asScala(), RoutingSettings.apply(classic.settings().config()),
            ParserSettings.apply(classic.settings().config()), materializer, RoutingLog$.MODULE$.apply(classic.log()),
            classic.dispatchers().lookup(CONFIG_PATH), routes.asyncHandler$default$7(route.asScala()),
            routes.asyncHandler$default$8(route.asScala()));
    // One request at a time per connection, as Pekko HTTP's own binding of a handler (pipelining-limit 1).
    return Flow.of(HttpRequest.class).mapAsync(1, request ->
        FutureConverters.asJava(handler.apply((org.apache.pekko.http.scaladsl.model.HttpRequest) request))
            .thenApply(HttpResponse.class::cast));
  }

  // Pekko gives a materializer a default dispatcher of its own only through these settings.
  @SuppressWarnings("deprecation")
  private static Materializer materializer(org.apache.pekko.actor.ActorSystem classic) {
    return ActorMaterializer.create(ActorMaterializerSettings.create(classic).withDispatcher(CONFIG_PATH), classic,
        "operator-api");
  }
}
