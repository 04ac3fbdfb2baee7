package dev.sextant.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Sextant's metrics, held in a Micrometer registry under istiod's names and labels, exported by
 * {@link PrometheusText} exactly as istiod's OpenTelemetry exporter prints them (no unit suffixes,
 * no {@code _total} added to counters), so the Istio dashboards and alerts work unchanged.
 *
 * <p>Histograms have istiod's buckets plus finer ones below 100 ms, so sub-100 ms convergence is
 * visible.
 */
public final class Telemetry {
  /** Seconds buckets for push and convergence times: istiod's, plus finer ones below 100 ms. */
  static final double[] SECONDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 3, 5, 10, 20, 30};
  static final double[] SIZE_BYTES = {1, 1e4, 1e6, 4e6, 1e7, 4e7};

  private final MeterRegistry registry = new SimpleMeterRegistry();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, DistributionSummary> histograms = new ConcurrentHashMap<>();
  private final java.util.List<Supplier<String>> expositions = new java.util.concurrent.CopyOnWriteArrayList<>();

  public MeterRegistry registry() {
    return registry;
  }

  /** A counter, created on first use. {@code labels} alternate key, value. */
  public void count(String name, double amount, String... labels) {
    counters.computeIfAbsent(id(name, labels), k -> Counter.builder(name).tags(labels).register(registry))
        .increment(amount);
  }

  /** A histogram observation in the given buckets. */
  public void observe(String name, double value, double[] buckets, String... labels) {
    histograms.computeIfAbsent(id(name, labels), k -> DistributionSummary.builder(name)
        .tags(labels)
        .serviceLevelObjectives(buckets)
        .register(registry)).record(value);
  }

  public void observeSeconds(String name, double seconds, String... labels) {
    observe(name, seconds, SECONDS, labels);
  }

  /** A gauge read from {@code value} at each scrape. */
  public void gauge(String name, Supplier<Number> value, String... labels) {
    Gauge.builder(name, value).tags(Tags.of(labels)).register(registry);
  }

  private static String id(String name, String[] labels) {
    return labels.length == 0 ? name : name + "|" + String.join("|", labels);
  }

  /** Adds metrics that another component renders itself (the CA's {@code citadel_server_*}). */
  public void addExposition(Supplier<String> text) {
    expositions.add(text);
  }

  /** The Prometheus text exposition of every metric. */
  public String scrape() {
    StringBuilder out = new StringBuilder(PrometheusText.write(registry));
    for (Supplier<String> e : expositions) {
      out.append(e.get());
    }
    return out.toString();
  }
}
