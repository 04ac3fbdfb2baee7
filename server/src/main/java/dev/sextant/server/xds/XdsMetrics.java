package dev.sextant.server.xds;

import dev.sextant.api.TypeUrls;
import dev.sextant.server.metrics.Telemetry;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the ADS server did, per type URL: kept as plain counters for tests and the benchmark, and
 * exported under istiod's metric names (istio/istio {@code pilot/pkg/xds/monitoring.go}):
 * {@code pilot_xds}, {@code pilot_xds_pushes}, {@code pilot_xds_config_size_bytes},
 * {@code pilot_total_xds_rejects}, {@code pilot_xds_expired_nonce}, {@code pilot_xds_push_time},
 * {@code pilot_proxy_convergence_time}.
 */
public final class XdsMetrics {
  private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> clientsByVersion = new ConcurrentHashMap<>();
  private final Telemetry telemetry;

  public XdsMetrics(Telemetry telemetry) {
    this.telemetry = telemetry;
  }

  /** istiod's short metric label of a type URL: {@code wds}, {@code wads}, {@code cds}, ... */
  public static String metricType(String typeUrl) {
    return switch (typeUrl) {
      case TypeUrls.ADDRESS, TypeUrls.WORKLOAD -> "wds";
      case TypeUrls.AUTHORIZATION -> "wads";
      case TypeUrls.CLUSTER -> "cds";
      case TypeUrls.LISTENER -> "lds";
      case TypeUrls.ROUTE -> "rds";
      case TypeUrls.ENDPOINT -> "eds";
      case TypeUrls.SECRET -> "sds";
      default -> typeUrl;
    };
  }

  void connected(String istioVersion) {
    clientsByVersion.computeIfAbsent(istioVersion, v -> {
      AtomicInteger n = new AtomicInteger();
      telemetry.gauge("pilot_xds", n::get, "version", v);
      return n;
    }).incrementAndGet();
  }

  void disconnected(String istioVersion) {
    AtomicInteger n = clientsByVersion.get(istioVersion);
    if (n != null) {
      n.decrementAndGet();
    }
  }

  void nack(String typeUrl) {
    add("nacks|" + typeUrl, 1);
    telemetry.count("pilot_total_xds_rejects", 1, "type", metricType(typeUrl));
  }

  void stale(String typeUrl) {
    add("stale|" + typeUrl, 1);
    telemetry.count("pilot_xds_expired_nonce", 1, "type", metricType(typeUrl));
  }

  void push(String typeUrl) {
    add("pushes|" + typeUrl, 1);
  }

  void sent(String typeUrl, int resources, int removed, int bytes) {
    add("responses|" + typeUrl, 1);
    add("resources|" + typeUrl, resources);
    add("removals|" + typeUrl, removed);
    add("bytes|" + typeUrl, bytes);
    telemetry.count("pilot_xds_pushes", 1, "type", metricType(typeUrl));
    telemetry.observe("pilot_xds_config_size_bytes", bytes, sizeBuckets(), "type", typeUrl);
  }

  void pushTime(String typeUrl, long nanos) {
    telemetry.observeSeconds("pilot_xds_push_time", nanos / 1e9, "type", metricType(typeUrl));
  }

  /** From the first change a response carried to the client's ACK of it. */
  void converged(long nanos) {
    telemetry.observeSeconds("pilot_proxy_convergence_time", nanos / 1e9);
  }

  /**
   * A stream refused or ended by the server for what the client did or when it came
   * ({@code sextant_xds_rejected_streams{reason}}: not-ready, draining, rate-limit, or the status
   * code such as invalid-argument); istiod has no such series.
   */
  void rejected(String reason) {
    add("rejected|" + reason, 1);
    telemetry.count("sextant_xds_rejected_streams", 1, "reason", reason);
  }

  void rejected(io.grpc.Status.Code code) {
    rejected(code.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
  }

  private static double[] sizeBuckets() {
    return new double[] {1, 1e4, 1e6, 4e6, 1e7, 4e7};
  }

  private void add(String key, long n) {
    counters.computeIfAbsent(key, k -> new LongAdder()).add(n);
  }

  /** {@code counter|typeUrl} to value. */
  public Map<String, Long> snapshot() {
    Map<String, Long> out = new TreeMap<>();
    counters.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  public long get(String counter, String typeUrl) {
    LongAdder a = counters.get(counter + "|" + typeUrl);
    return a == null ? 0 : a.sum();
  }
}
