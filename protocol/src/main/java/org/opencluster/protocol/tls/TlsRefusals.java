package org.opencluster.protocol.tls;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.opencluster.protocol.pki.CertificateValidationException;

/** Peers refused at the TLS handshake, counted by reason, each also handed to a logger. */
public final class TlsRefusals implements Consumer<CertificateValidationException> {

  private final Map<CertificateValidationException.Reason, LongAdder> counts = new ConcurrentHashMap<>();
  private final Consumer<CertificateValidationException> log;

  public TlsRefusals(Consumer<CertificateValidationException> log) {
    this.log = log;
  }

  @Override
  public void accept(CertificateValidationException refusal) {
    counts.computeIfAbsent(refusal.reason(), r -> new LongAdder()).increment();
    log.accept(refusal);
  }

  public long count(CertificateValidationException.Reason reason) {
    LongAdder count = counts.get(reason);
    return count == null ? 0 : count.sum();
  }
}
