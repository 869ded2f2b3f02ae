package org.opencluster.protocol.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * An SSL context over key material in files, rebuilt when the files change, so a renewed
 * certificate is used by the next connection without a restart (existing connections keep theirs).
 * The files are looked at no more than once per {@code checkInterval}. A change that does not load
 * (a half-written file, a key that does not match) keeps the previous context and is reported.
 */
public final class ReloadingTlsContext {

  private final Path certificateFile;
  private final Path keyFile;
  private final Path caFile;
  private final TlsPolicy policy;
  private final Duration checkInterval;
  private final Consumer<Exception> reloadFailures;

  private SSLContext context;
  private KeyMaterial material;
  private List<Object> loadedStamp;
  private Instant lastCheck;

  private ReloadingTlsContext(Path certificateFile, Path keyFile, Path caFile, TlsPolicy policy, Duration checkInterval,
      Consumer<Exception> reloadFailures) {
    this.certificateFile = certificateFile;
    this.keyFile = keyFile;
    this.caFile = caFile;
    this.policy = policy;
    this.checkInterval = checkInterval;
    this.reloadFailures = reloadFailures;
  }

  /**
   * Loads the files now; fails if they do not load, so a misconfigured process does not start.
   */
  public static ReloadingTlsContext load(Path certificateFile, Path keyFile, Path caFile, TlsPolicy policy,
      Duration checkInterval, Consumer<Exception> reloadFailures) throws IOException, GeneralSecurityException {
    ReloadingTlsContext tls = new ReloadingTlsContext(certificateFile, keyFile, caFile, policy, checkInterval, reloadFailures);
    tls.loadedStamp = tls.stamp();
    tls.material = KeyMaterial.load(certificateFile, keyFile, caFile);
    tls.context = TlsContexts.create(tls.material, policy);
    tls.lastCheck = policy.clock().instant();
    return tls;
  }

  /** Whom it accepts as peers. */
  public TlsPolicy policy() {
    return policy;
  }

  /** The context for a new connection. */
  public synchronized SSLContext current() {
    reloadIfChanged();
    return context;
  }

  /**
   * The certificate, key and trust anchors {@link #current()} uses: for signing as this identity
   * outside TLS (the key never leaves memory).
   */
  public synchronized KeyMaterial keyMaterial() {
    reloadIfChanged();
    return material;
  }

  private void reloadIfChanged() {
    Instant now = policy.clock().instant();
    if (!now.isBefore(lastCheck.plus(checkInterval))) {
      lastCheck = now;
      try {
        List<Object> stamp = stamp();
        if (!stamp.equals(loadedStamp)) {
          KeyMaterial loaded = KeyMaterial.load(certificateFile, keyFile, caFile);
          context = TlsContexts.create(loaded, policy);
          material = loaded;
          loadedStamp = stamp;
        }
      } catch (IOException | GeneralSecurityException e) {
        reloadFailures.accept(e);
      }
    }
  }


  private List<Object> stamp() throws IOException {
    return List.of(
        Files.getLastModifiedTime(certificateFile), Files.size(certificateFile),
        Files.getLastModifiedTime(keyFile), Files.size(keyFile),
        Files.getLastModifiedTime(caFile), Files.size(caFile));
  }
}
