package org.opencluster.controller.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.opencluster.protocol.tls.KeyMaterial;
import org.opencluster.protocol.tls.TlsContexts;
import org.opencluster.protocol.tls.TlsPolicy;

/** HTTPS requests to a controller, presenting the certificate in {@code files}. */
public final class ApiTestClient {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final java.util.function.IntFunction<String> hostOf;

  public ApiTestClient(Path files) throws Exception {
    this(files, port -> "127.0.0.1");
  }

  /**
   * As {@link #ApiTestClient(Path)}, for controllers that are not all on 127.0.0.1 (each in a
   * network namespace of its own): {@code hostOf} gives the address that serves a port.
   */
  public ApiTestClient(Path files, java.util.function.IntFunction<String> hostOf) throws Exception {
    this.hostOf = hostOf;
    KeyMaterial material = KeyMaterial.load(files.resolve("cert.pem"), files.resolve("key.pem"), files.resolve("ca.pem"));
    SSLContext context = TlsContexts.create(material, TlsPolicy.clientOfControllers(r -> { }, Clock.systemUTC()));
    SSLParameters parameters = new SSLParameters();
    parameters.setProtocols(new String[] {TlsContexts.PROTOCOL});
    http = HttpClient.newBuilder().sslContext(context).sslParameters(parameters).connectTimeout(Duration.ofSeconds(10)).build();
  }

  public record Reply(int status, String contentType, JsonNode body) {}

  public Reply get(int port, String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(port, path)).GET());
  }

  public Reply post(int port, String path, String body) throws Exception {
    return send(HttpRequest.newBuilder(uri(port, path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  public Reply put(int port, String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(port, path))
        .PUT(HttpRequest.BodyPublishers.noBody()));
  }

  public Reply put(int port, String path, String body) throws Exception {
    return send(HttpRequest.newBuilder(uri(port, path))
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)));
  }

  public Reply delete(int port, String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(port, path)).DELETE());
  }

  /**
   * Every item of a paged listing ({@code GET /v1/nodes?...}): the {@code nodes} of each page,
   * following {@code next} as {@code after} until a page has none.
   */
  public java.util.List<JsonNode> everyPage(int port, String path) throws Exception {
    java.util.List<JsonNode> items = new java.util.ArrayList<>();
    String separator = path.contains("?") ? "&" : "?";
    String after = "";
    while (true) {
      Reply page = get(port, path + after);
      if (page.status() != 200) {
        throw new IllegalStateException(path + after + " answered " + page.status() + ": " + page.body());
      }
      page.body().path("nodes").forEach(items::add);
      if (!page.body().has("next")) {
        return items;
      }
      after = separator + "after=" + page.body().path("next").asText();
    }
  }

  /** Any request, answered as it came: status, headers and body text (a metrics scrape, a problem's headers). */
  public HttpResponse<String> exchange(int port, String method, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The status of a plain-text endpoint, such as the health routes. */
  public int status(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private URI uri(int port, String path) {
    return URI.create("https://" + hostOf.apply(port) + ":" + port + path);
  }

  private Reply send(HttpRequest.Builder request) throws Exception {
    HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body;
    try {
      body = response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    } catch (com.fasterxml.jackson.core.JsonProcessingException notJson) {
      // Pekko HTTP's own answers (its request timeout's 503) are plain text: kept as the detail.
      body = JSON.createObjectNode().put("detail", response.body());
    }
    return new Reply(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), body);
  }
}
