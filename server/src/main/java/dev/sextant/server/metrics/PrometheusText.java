package dev.sextant.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus text format (0.0.4) over a Micrometer registry, with names exactly as registered:
 * istiod's exporter adds no {@code _total} to counters and no unit suffixes, and dashboards select
 * on those exact names. Micrometer's own Prometheus registry would append {@code _total}.
 */
final class PrometheusText {
  private PrometheusText() {}

  static String write(MeterRegistry registry) {
    Map<String, List<Meter>> byName = new TreeMap<>();
    for (Meter m : registry.getMeters()) {
      byName.computeIfAbsent(name(m), k -> new ArrayList<>()).add(m);
    }
    StringBuilder out = new StringBuilder(8192);
    for (Map.Entry<String, List<Meter>> e : byName.entrySet()) {
      String name = e.getKey();
      List<Meter> meters = e.getValue();
      meters.sort(Comparator.comparing(m -> labels(m, null, null)));
      Meter first = meters.get(0);
      if (first instanceof Counter || first instanceof FunctionCounter) {
        out.append("# TYPE ").append(name).append(" counter\n");
        for (Meter m : meters) {
          double v = m instanceof Counter c ? c.count() : ((FunctionCounter) m).count();
          sample(out, name, labels(m, null, null), v);
        }
      } else if (first instanceof DistributionSummary) {
        out.append("# TYPE ").append(name).append(" histogram\n");
        for (Meter m : meters) {
          HistogramSnapshot h = ((DistributionSummary) m).takeSnapshot();
          for (CountAtBucket b : h.histogramCounts()) {
            sample(out, name + "_bucket", labels(m, "le", number(b.bucket())), b.count());
          }
          sample(out, name + "_bucket", labels(m, "le", "+Inf"), h.count());
          sample(out, name + "_sum", labels(m, null, null), h.total());
          sample(out, name + "_count", labels(m, null, null), h.count());
        }
      } else if (first instanceof Gauge || first instanceof TimeGauge) {
        out.append("# TYPE ").append(name).append(" gauge\n");
        for (Meter m : meters) {
          double v = m instanceof TimeGauge tg ? tg.value(TimeUnit.SECONDS) : ((Gauge) m).value();
          sample(out, name, labels(m, null, null), v);
        }
      }
    }
    return out.toString();
  }

  /** Registered names are kept; dotted Micrometer names (JVM binders) become snake case with unit. */
  private static String name(Meter m) {
    String n = m.getId().getName();
    if (n.indexOf('.') < 0) {
      return n;
    }
    String base = n.replace('.', '_').replace('-', '_');
    String unit = m.getId().getBaseUnit();
    if (m instanceof TimeGauge) {
      unit = "seconds";
    }
    return unit == null || unit.isEmpty() || base.endsWith("_" + unit) ? base : base + "_" + unit;
  }

  private static String labels(Meter m, String extraKey, String extraValue) {
    List<Tag> tags = m.getId().getTags();
    if (tags.isEmpty() && extraKey == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder("{");
    for (Tag t : tags) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append(t.getKey().replace('.', '_')).append("=\"").append(escape(t.getValue())).append('"');
    }
    if (extraKey != null) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append(extraKey).append("=\"").append(extraValue).append('"');
    }
    return sb.append('}').toString();
  }

  private static void sample(StringBuilder out, String name, String labels, double value) {
    out.append(name).append(labels).append(' ').append(number(value)).append('\n');
  }

  static String number(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return String.format(Locale.ROOT, "%s", v);
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
