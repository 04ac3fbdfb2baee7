package dev.sextant.ambient;

import dev.sextant.api.workload.AppProtocol;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code app_protocol} of a Kubernetes Service port, as istiod derives it
 * (istio/istio {@code pkg/config/kube/conversion.go ConvertProtocol}, {@code pkg/config/protocol}).
 */
public final class AppProtocols {
  private static final Set<Integer> WELL_KNOWN_TCP = Set.of(25, 53, 3306, 27017);

  private AppProtocols() {}

  /**
   * @param port the service port number
   * @param name the port name (may be null)
   * @param protocol the L4 protocol, {@code TCP} when unset
   * @param appProtocol the {@code appProtocol} field (may be null)
   */
  public static AppProtocol ofKubernetesPort(int port, String name, String protocol, String appProtocol) {
    if ("UDP".equalsIgnoreCase(protocol)) {
      return AppProtocol.UNKNOWN;
    }
    String candidate;
    if (appProtocol != null) {
      switch (appProtocol) {
        case "kubernetes.io/h2c":
          return AppProtocol.HTTP2;
        case "kubernetes.io/ws":
          return AppProtocol.HTTP11;
        case "kubernetes.io/wss":
          return AppProtocol.TLS;
        default:
          candidate = appProtocol;
      }
    } else {
      candidate = name == null ? "" : name;
    }
    AppProtocol parsed = parseName(candidate);
    if (parsed == null) {
      return WELL_KNOWN_TCP.contains(port) ? AppProtocol.TCP : AppProtocol.UNKNOWN;
    }
    return parsed;
  }

  /** The protocol a port name or appProtocol names, or null when it names none. */
  static AppProtocol parseName(String candidate) {
    String lower = candidate.toLowerCase(Locale.ROOT);
    if (lower.startsWith("grpc-web")) {
      return AppProtocol.UNKNOWN;
    }
    int dash = lower.indexOf('-');
    String prefix = dash >= 0 ? lower.substring(0, dash) : lower;
    switch (prefix) {
      case "http":
        return AppProtocol.HTTP11;
      case "http2":
        return AppProtocol.HTTP2;
      case "grpc":
        return AppProtocol.GRPC;
      case "https":
      case "tls":
        return AppProtocol.TLS;
      case "tcp":
        return AppProtocol.TCP;
      case "udp":
      case "mongo":
      case "redis":
      case "mysql":
      case "http_proxy":
        return AppProtocol.UNKNOWN;
      default:
        return null;
    }
  }

  /** The {@code app_protocol} of a ServiceEntry port, from its {@code protocol} field only. */
  public static AppProtocol ofServiceEntryProtocol(String protocol) {
    if (protocol == null) {
      return AppProtocol.UNKNOWN;
    }
    switch (protocol.toUpperCase(Locale.ROOT)) {
      case "HTTP":
        return AppProtocol.HTTP11;
      case "HTTP2":
        return AppProtocol.HTTP2;
      case "GRPC":
        return AppProtocol.GRPC;
      case "HTTPS":
      case "TLS":
        return AppProtocol.TLS;
      case "TCP":
        return AppProtocol.TCP;
      default:
        return AppProtocol.UNKNOWN;
    }
  }
}
