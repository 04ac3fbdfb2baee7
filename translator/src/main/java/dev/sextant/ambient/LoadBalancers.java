package dev.sextant.ambient;

import dev.sextant.api.workload.LoadBalancing;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Load-balancing presets and traffic-distribution resolution (istio/istio
 * {@code pilot/pkg/model/service.go GetTrafficDistribution}). Every call builds a fresh message:
 * istiod once shared and mutated a preset here.
 */
final class LoadBalancers {
  private static final Logger log = LoggerFactory.getLogger(LoadBalancers.class);
  static final String TRAFFIC_DISTRIBUTION_ANNOTATION = "networking.istio.io/traffic-distribution";

  enum Distribution { ANY, PREFER_SAME_ZONE, PREFER_SAME_NODE }

  private LoadBalancers() {}

  /**
   * The spec field (exact values; an unknown one falls through), then the object's annotation,
   * then the namespace's (case-insensitive; an unknown non-empty value means ANY and stops there).
   */
  static Distribution trafficDistribution(String spec, Map<String, String> annotations,
      Map<String, String> namespaceAnnotations) {
    if (spec != null) {
      switch (spec) {
        case "PreferSameZone", "PreferClose" -> {
          return Distribution.PREFER_SAME_ZONE;
        }
        case "PreferSameNode" -> {
          return Distribution.PREFER_SAME_NODE;
        }
        default -> { }
      }
    }
    Distribution fromObject = fromAnnotation(annotations, "service");
    if (fromObject != null) {
      return fromObject;
    }
    Distribution fromNamespace = fromAnnotation(namespaceAnnotations, "namespace");
    return fromNamespace != null ? fromNamespace : Distribution.ANY;
  }

  private static Distribution fromAnnotation(Map<String, String> annotations, String on) {
    if (annotations == null) {
      return null;
    }
    String v = annotations.get(TRAFFIC_DISTRIBUTION_ANNOTATION);
    if (v == null || v.isEmpty()) {
      return null;
    }
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "preferclose", "prefersamezone" -> Distribution.PREFER_SAME_ZONE;
      case "prefersamenode" -> Distribution.PREFER_SAME_NODE;
      default -> {
        log.warn("unknown {} annotation value={} on {}; using any", TRAFFIC_DISTRIBUTION_ANNOTATION, v, on);
        yield Distribution.ANY;
      }
    };
  }

  /** The preset for a distribution, or null for ANY. */
  static LoadBalancing.Builder preset(Distribution d) {
    return switch (d) {
      case PREFER_SAME_ZONE -> LoadBalancing.newBuilder()
          .addRoutingPreference(LoadBalancing.Scope.NETWORK)
          .addRoutingPreference(LoadBalancing.Scope.REGION)
          .addRoutingPreference(LoadBalancing.Scope.ZONE)
          .setMode(LoadBalancing.Mode.FAILOVER);
      case PREFER_SAME_NODE -> LoadBalancing.newBuilder()
          .addRoutingPreference(LoadBalancing.Scope.NETWORK)
          .addRoutingPreference(LoadBalancing.Scope.REGION)
          .addRoutingPreference(LoadBalancing.Scope.ZONE)
          .addRoutingPreference(LoadBalancing.Scope.SUBZONE)
          .addRoutingPreference(LoadBalancing.Scope.NODE)
          .setMode(LoadBalancing.Mode.FAILOVER);
      case ANY -> null;
    };
  }
}
