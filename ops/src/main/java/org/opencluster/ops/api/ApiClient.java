package org.opencluster.ops.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import org.opencluster.ops.OpsException;
import org.opencluster.protocol.tls.KeyMaterial;
import org.opencluster.protocol.tls.TlsContexts;
import org.opencluster.protocol.tls.TlsPolicy;

/**
 * The operator API over HTTPS with the operator's certificate. The server must prove it is a
 * controller of this cluster (its identity, under the cluster root), whatever its host name.
 * Problem documents become {@link OpsException}s that say what went wrong.
 *
 * <p>Configured like vault or nomad: {@code OPENCLUSTER_ADDR}, {@code OPENCLUSTER_CLIENT_CERT},
 * {@code OPENCLUSTER_CLIENT_KEY}, {@code OPENCLUSTER_CACERT}.
 */
public final class ApiClient {

  public static final String ADDRESS = "OPENCLUSTER_ADDR";
  public static final String CLIENT_CERT = "OPENCLUSTER_CLIENT_CERT";
  public static final String CLIENT_KEY = "OPENCLUSTER_CLIENT_KEY";
  public static final String CA_CERT = "OPENCLUSTER_CACERT";
  public static final String DEFAULT_ADDRESS = "https://127.0.0.1:8443";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final URI base;
  private final HttpClient http;

  private ApiClient(URI base, HttpClient http) {
    this.base = base;
    this.http = http;
  }

  /** A client for {@code address}, authenticating with the operator's files. */
  public static ApiClient create(String address, Path certificate, Path key, Path ca, Clock clock) throws OpsException {
    URI base;
    try {
      base = URI.create(address.endsWith("/") ? address.substring(0, address.length() - 1) : address);
    } catch (IllegalArgumentException e) {
      throw new OpsException(ADDRESS + " is not a URL: '" + address + "'");
    }
    if (!"https".equals(base.getScheme())) {
      throw new OpsException(ADDRESS + " must be an https:// URL, got '" + address + "'");
    }
    KeyMaterial material;
    try {
      material = KeyMaterial.load(certificate, key, ca);
    } catch (IOException e) {
      throw new OpsException("cannot read the operator's TLS files: " + e.getMessage()
          + " (set " + CLIENT_CERT + ", " + CLIENT_KEY + " and " + CA_CERT + ")", e);
    } catch (GeneralSecurityException e) {
      throw new OpsException("the operator's TLS files are not usable: " + e.getMessage(), e);
    }
    TlsPolicy controllersOnly = TlsPolicy.clientOfControllers(refusal -> { }, clock);
    try {
      SSLParameters parameters = new SSLParameters();
      parameters.setProtocols(new String[] {TlsContexts.PROTOCOL});
      HttpClient http = HttpClient.newBuilder()
          .sslContext(TlsContexts.create(material, controllersOnly))
          .sslParameters(parameters)
          .connectTimeout(Duration.ofSeconds(10))
          .build();
      return new ApiClient(base, http);
    } catch (GeneralSecurityException e) {
      throw new OpsException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  public JsonNode get(String path) throws OpsException {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET());
  }

  /**
   * A GET whose 404 (problem type {@code not-found}) is an answer, not a failure: empty. Any other
   * refusal fails as {@link #get} does.
   */
  public Optional<JsonNode> find(String path) throws OpsException {
    HttpResponse<String> response = exchange(HttpRequest.newBuilder(base.resolve(path)).GET());
    if (response.statusCode() == 404) {
      JsonNode body = parse(response);
      if (body.path("type").asText().endsWith("/not-found")) {
        return Optional.empty();
      }
    }
    return Optional.of(answer(response));
  }

  public JsonNode post(String path, Object body) throws OpsException {
    try {
      return send(HttpRequest.newBuilder(base.resolve(path))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render a request", e);
    }
  }

  /** The HTTP status of a GET of {@code url} (a health endpoint), over this client's TLS. */
  public int probe(URI url) throws OpsException {
    try {
      return http.send(HttpRequest.newBuilder(url).timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      throw new OpsException("request to " + url + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OpsException("interrupted", e);
    }
  }

  public JsonNode put(String path) throws OpsException {
    return send(HttpRequest.newBuilder(base.resolve(path)).PUT(HttpRequest.BodyPublishers.noBody()));
  }

  public JsonNode put(String path, Object body) throws OpsException {
    try {
      return send(HttpRequest.newBuilder(base.resolve(path))
          .header("Content-Type", "application/json")
          .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render a request", e);
    }
  }

  public JsonNode delete(String path) throws OpsException {
    return send(HttpRequest.newBuilder(base.resolve(path)).DELETE());
  }

  private JsonNode send(HttpRequest.Builder request) throws OpsException {
    return answer(exchange(request));
  }

  private HttpResponse<String> exchange(HttpRequest.Builder request) throws OpsException {
    HttpResponse<String> response;
    try {
      response = http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new OpsException("cannot reach the controller at " + base + ": is it running? (" + ADDRESS + ")", e);
    } catch (SSLHandshakeException e) {
      throw new OpsException("TLS handshake with " + base + " failed: the server is not a controller of this cluster, "
          + "or it does not accept this operator certificate (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new OpsException("request to " + base + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OpsException("interrupted", e);
    }
    return response;
  }

  private static JsonNode parse(HttpResponse<String> response) throws OpsException {
    try {
      return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    } catch (JsonProcessingException e) {
      throw new OpsException("the controller answered " + response.statusCode() + " with something that is not JSON");
    }
  }

  /** The body of a success; a problem document becomes an {@link OpsException} saying what went wrong. */
  private static JsonNode answer(HttpResponse<String> response) throws OpsException {
    JsonNode body = parse(response);
    if (response.statusCode() >= 400) {
      String detail = Optional.ofNullable(body.get("detail")).map(JsonNode::asText).orElse("no detail");
      String title = Optional.ofNullable(body.get("title")).map(JsonNode::asText).orElse("HTTP " + response.statusCode());
      throw new OpsException(title.toLowerCase(java.util.Locale.ROOT) + ": " + detail);
    }
    return body;
  }
}
