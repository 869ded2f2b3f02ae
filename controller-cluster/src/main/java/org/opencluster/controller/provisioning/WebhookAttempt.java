package org.opencluster.controller.provisioning;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * POSTs {@code {"node": ID, "reason": ..., "at": ...}} to the configured {@code https} URL. The
 * server certificate must chain to the configured CA (and only it) and name the URL's host; any
 * 2xx is done. Errors name the host, never the path or query (they may hold a token).
 */
final class WebhookAttempt implements RetryingHook.Attempt {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ProvisionerSettings.Webhook webhook;
  private final Duration timeout;
  private final HttpClient client;

  WebhookAttempt(ProvisionerSettings.Webhook webhook, Duration timeout) {
    this.webhook = webhook;
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().sslContext(trusting(webhook)).connectTimeout(timeout)
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  @Override
  public void run(String nodeId, String reason, Instant quarantinedAt) throws ProvisionerHookException {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("node", nodeId);
    body.put("reason", reason);
    body.put("at", quarantinedAt.toString());
    HttpRequest request;
    try {
      request = HttpRequest.newBuilder(webhook.url()).timeout(timeout).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
    } catch (JsonProcessingException e) {
      throw new ProvisionerHookException("could not write the webhook's body");
    }
    int status;
    try {
      status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      throw new ProvisionerHookException("webhook " + webhook.redacted() + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage().replace(webhook.url().toString(), webhook.redacted())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProvisionerHookException("webhook " + webhook.redacted() + " interrupted");
    }
    if (status < 200 || status > 299) {
      throw new ProvisionerHookException("webhook " + webhook.redacted() + " answered " + status);
    }
  }

  private static SSLContext trusting(ProvisionerSettings.Webhook webhook) {
    try {
      KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
      anchors.load(null, null);
      for (int i = 0; i < webhook.ca().size(); i++) {
        anchors.setCertificateEntry("ca-" + i, webhook.ca().get(i));
      }
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(anchors);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("provisioner.webhook.ca cannot be used: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "webhook " + webhook.redacted();
  }
}
