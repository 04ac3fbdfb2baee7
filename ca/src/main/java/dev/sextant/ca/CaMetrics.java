package dev.sextant.ca;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The CA's counters and gauges under istiod's names (istio/istio
 * {@code security/pkg/server/ca/monitoring.go}; Istio's exporter adds no {@code _total} suffix).
 * There is no metrics library yet: {@link #snapshot()} gives name to value, and
 * {@link #prometheusText()} the exposition format for a {@code /metrics} handler.
 *
 * <p>Beyond istiod, {@code sextant_ca_request_rejected_count{reason}} says why a request was
 * refused (authentication, impersonation, CSR), so bad input can be told apart.
 *
 * <p>Threading: every method may be called from any thread.
 */
public final class CaMetrics {
  public static final String CSR_COUNT = "citadel_server_csr_count";
  public static final String AUTHN_FAILURE = "citadel_server_authentication_failure_count";
  public static final String SIGN_ERR = "citadel_server_csr_sign_err_count";
  public static final String SUCCESS = "citadel_server_success_cert_issuance_count";
  public static final String CSR_PARSING_ERR = "citadel_server_csr_parsing_err_count";
  public static final String ID_EXTRACTION_ERR = "citadel_server_id_extraction_err_count";
  public static final String ROOT_EXPIRY_TS = "citadel_server_root_cert_expiry_timestamp";
  public static final String ROOT_EXPIRY_SECONDS = "citadel_server_root_cert_expiry_seconds";
  public static final String CHAIN_EXPIRY_TS = "citadel_server_cert_chain_expiry_timestamp";
  public static final String CHAIN_EXPIRY_SECONDS = "citadel_server_cert_chain_expiry_seconds";
  public static final String REJECTED = "sextant_ca_request_rejected_count";

  private final Clock clock;
  private final LongAdder csr = new LongAdder();
  private final LongAdder authnFailure = new LongAdder();
  private final LongAdder success = new LongAdder();
  private final Map<CaError, LongAdder> signErrors = new EnumMap<>(CaError.class);
  private final ConcurrentMap<String, LongAdder> rejected = new ConcurrentHashMap<>();
  private final AtomicLong rootExpiry = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong chainExpiry = new AtomicLong(Long.MIN_VALUE);

  public CaMetrics(Clock clock) {
    this.clock = clock;
    for (CaError e : CaError.values()) {
      signErrors.put(e, new LongAdder());
    }
  }

  public void csrReceived() {
    csr.increment();
  }

  public void authenticationFailed(String reason) {
    authnFailure.increment();
    reject(reason);
  }

  public void signFailed(CaError error, String reason) {
    signErrors.get(error).increment();
    reject(reason);
  }

  public void issued() {
    success.increment();
  }

  private void reject(String reason) {
    rejected.computeIfAbsent(reason, k -> new LongAdder()).increment();
  }

  /** Sets the expiry gauges from a bundle: first root of the bundle, first cert of the chain. */
  public void recordExpiry(KeyCertBundle b) {
    try {
      List<X509Certificate> roots = Pem.certificates(b.rootCertPem());
      if (!roots.isEmpty()) {
        rootExpiry.set(roots.get(0).getNotAfter().toInstant().getEpochSecond());
      }
      if (!b.certChainPem().isEmpty()) {
        chainExpiry.set(Pem.certificate(b.certChainPem()).getNotAfter().toInstant().getEpochSecond());
      }
    } catch (java.security.GeneralSecurityException e) {
      // istiod logs and keeps the previous values
    }
  }

  public long csrCount() {
    return csr.sum();
  }

  public long authenticationFailures() {
    return authnFailure.sum();
  }

  public long issuedCount() {
    return success.sum();
  }

  public long signErrors(CaError e) {
    return signErrors.get(e).sum();
  }

  /** Requests refused with this reason label so far. */
  public long rejected(String reason) {
    LongAdder a = rejected.get(reason);
    return a == null ? 0 : a.sum();
  }

  /** Every series as {@code name{labels}} to value. */
  public Map<String, Double> snapshot() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put(CSR_COUNT, (double) csr.sum());
    m.put(AUTHN_FAILURE, (double) authnFailure.sum());
    for (var e : signErrors.entrySet()) {
      m.put(SIGN_ERR + "{error=\"" + e.getKey().name() + "\"}", (double) e.getValue().sum());
    }
    m.put(SUCCESS, (double) success.sum());
    m.put(CSR_PARSING_ERR, 0.0);
    m.put(ID_EXTRACTION_ERR, 0.0);
    long now = clock.instant().getEpochSecond();
    if (rootExpiry.get() != Long.MIN_VALUE) {
      m.put(ROOT_EXPIRY_TS, (double) rootExpiry.get());
      m.put(ROOT_EXPIRY_SECONDS, (double) (rootExpiry.get() - now));
    }
    if (chainExpiry.get() != Long.MIN_VALUE) {
      m.put(CHAIN_EXPIRY_TS, (double) chainExpiry.get());
      m.put(CHAIN_EXPIRY_SECONDS, (double) (chainExpiry.get() - now));
    }
    rejected.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
        m.put(REJECTED + "{reason=\"" + e.getKey() + "\"}", (double) e.getValue().sum()));
    return m;
  }

  /** The Prometheus text exposition of {@link #snapshot()}. */
  public String prometheusText() {
    StringBuilder sb = new StringBuilder();
    String lastName = null;
    for (var e : snapshot().entrySet()) {
      String series = e.getKey();
      int brace = series.indexOf('{');
      String name = brace < 0 ? series : series.substring(0, brace);
      if (!name.equals(lastName)) {
        boolean gauge = name.endsWith("_timestamp") || name.endsWith("_seconds");
        sb.append("# TYPE ").append(name).append(gauge ? " gauge" : " counter").append('\n');
        lastName = name;
      }
      double v = e.getValue();
      sb.append(series).append(' ').append(v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v))
          .append('\n');
    }
    return sb.toString();
  }
}
