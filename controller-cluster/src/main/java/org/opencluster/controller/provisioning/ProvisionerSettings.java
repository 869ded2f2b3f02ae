package org.opencluster.controller.provisioning;

import com.typesafe.config.Config;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.opencluster.protocol.pki.Pem;

/**
 * {@code opencluster.controller.provisioner}, read once. At most one of {@code command} and
 * {@code webhook}; neither means no hook. Refused here, before anything runs: a command whose
 * program is not an absolute path, a webhook that is not {@code https}, a CA file that holds no
 * certificate.
 *
 * @param command the program and its first arguments; the node id and the reason are appended
 * @param webhook where to POST, and the CA its server certificate must chain to
 * @param timeout how long one attempt may take (a command is killed after it)
 * @param retries attempts after the first
 * @param backoff the wait before the first retry, doubled before each next one
 * @param maxBackoff the longest wait between attempts
 */
public record ProvisionerSettings(Optional<List<String>> command, Optional<Webhook> webhook, Duration timeout,
    int retries, Duration backoff, Duration maxBackoff) {

  /** @param ca the trust anchors for the webhook's server certificate (nothing else is trusted) */
  public record Webhook(URI url, List<X509Certificate> ca) {
    public Webhook {
      ca = List.copyOf(ca);
    }

    /** Scheme, host and port only: a path or query may hold a token, and is never logged. */
    public String redacted() {
      return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
    }

    @Override
    public String toString() {
      return "Webhook[" + redacted() + "]";
    }
  }

  public ProvisionerSettings {
    command = command.map(List::copyOf);
    if (command.isPresent() && webhook.isPresent()) {
      throw new IllegalArgumentException("provisioner: set command or webhook, not both");
    }
    command.ifPresent(ProvisionerSettings::requireAbsoluteProgram);
    webhook.ifPresent(w -> requireHttps(w.url()));
    requirePositive("timeout", timeout);
    requirePositive("backoff", backoff);
    requirePositive("max-backoff", maxBackoff);
    if (retries < 0) {
      throw new IllegalArgumentException("provisioner.retries must not be negative");
    }
  }

  /** Reads {@code opencluster.controller.provisioner}. */
  public static ProvisionerSettings create(Config config) {
    Config c = config.getConfig("opencluster.controller.provisioner");
    Optional<List<String>> command = c.hasPath("command") ? Optional.of(c.getStringList("command")) : Optional.empty();
    Optional<Webhook> webhook = Optional.empty();
    if (c.hasPath("webhook")) {
      URI url = URI.create(c.getString("webhook.url"));
      requireHttps(url);
      webhook = Optional.of(new Webhook(url, readCa(Path.of(c.getString("webhook.ca")))));
    }
    return new ProvisionerSettings(command, webhook, c.getDuration("timeout"), c.getInt("retries"),
        c.getDuration("backoff"), c.getDuration("max-backoff"));
  }

  /** The hook these settings describe, its attempts run on {@code executor}; {@link ProvisionerHook#NONE} if none. */
  public ProvisionerHook hook(Executor executor) {
    if (command.isPresent()) {
      return new RetryingHook(new CommandAttempt(command.get(), timeout), this, executor);
    }
    if (webhook.isPresent()) {
      return new RetryingHook(new WebhookAttempt(webhook.get(), timeout), this, executor);
    }
    return ProvisionerHook.NONE;
  }

  /** The wait before attempt {@code attempt} (2 is the first retry). */
  Duration backoffBefore(int attempt) {
    Duration wait = backoff;
    for (int i = 2; i < attempt && wait.compareTo(maxBackoff) < 0; i++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
  }

  private static void requireAbsoluteProgram(List<String> argv) {
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("provisioner.command needs a program");
    }
    if (!Path.of(argv.get(0)).isAbsolute()) {
      throw new IllegalArgumentException("provisioner.command: the program must be an absolute path (no shell, no PATH "
          + "search), got '" + argv.get(0) + "'");
    }
  }

  private static void requireHttps(URI url) {
    if (!"https".equalsIgnoreCase(url.getScheme()) || url.getHost() == null) {
      throw new IllegalArgumentException("provisioner.webhook.url must be https://HOST/...; got scheme '"
          + url.getScheme() + "'");
    }
  }

  private static void requirePositive(String name, Duration value) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException("provisioner." + name + " must be positive");
    }
  }

  private static List<X509Certificate> readCa(Path file) {
    try {
      List<X509Certificate> ca = Pem.decodeCertificates(Files.readString(file));
      if (ca.isEmpty()) {
        throw new IllegalArgumentException("provisioner.webhook.ca " + file + " holds no certificate");
      }
      return ca;
    } catch (IOException | CertificateException e) {
      throw new IllegalArgumentException("provisioner.webhook.ca " + file + " cannot be read: " + e.getMessage(), e);
    }
  }
}
