package dev.sextant.ambient;

import com.google.protobuf.ByteString;
import dev.sextant.api.workload.ApplicationTunnel;
import dev.sextant.api.workload.GatewayAddress;
import dev.sextant.api.workload.NamespacedHostname;
import dev.sextant.api.workload.NetworkAddress;
import dev.sextant.krt.Collection;
import dev.sextant.krt.Context;
import dev.sextant.krt.Index;
import dev.sextant.krt.Krt;
import dev.sextant.model.MeshNetwork;
import dev.sextant.model.Waypoint;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusAddress;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Gateway to the {@link Waypoint} it defines, if it has status addresses (wds-spec §3.1, §3.5;
 * istio/istio {@code waypoints.go gatewayToWaypointTransform}). The class is not checked: any
 * Gateway with addresses can be bound to; in practice it is {@code istio-waypoint}.
 */
public final class WaypointBuilder implements Krt.MapTransformation<Gateway, Waypoint> {
  private static final Logger log = LoggerFactory.getLogger(WaypointBuilder.class);
  static final String WAYPOINT_FOR = "istio.io/waypoint-for";
  static final String INBOUND_BINDING = "ambient.istio.io/waypoint-inbound-binding";
  static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";
  static final int HBONE_PORT = 15008;

  private final Collection<MeshNetwork> network;
  private final Collection<GatewayClass> gatewayClasses;
  private final Index<String, Pod> podsByGatewayName;

  public WaypointBuilder(Collection<MeshNetwork> network, Collection<GatewayClass> gatewayClasses,
      Index<String, Pod> podsByGatewayName) {
    this.network = network;
    this.gatewayClasses = gatewayClasses;
    this.podsByGatewayName = podsByGatewayName;
  }

  /** The key under which {@code podsByGatewayName} files a pod: {@code namespace/gateway-name}. */
  public static List<String> gatewayNameKey(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    String gw = labels == null ? null : labels.get(GATEWAY_NAME_LABEL);
    return gw == null || gw.isEmpty() ? List.of() : List.of(pod.getMetadata().getNamespace() + "/" + gw);
  }

  @Override
  public Waypoint apply(Context ctx, Gateway gw) {
    if (gw.getStatus() == null || gw.getStatus().getAddresses() == null || gw.getStatus().getAddresses().isEmpty()) {
      return null;
    }
    String ns = gw.getMetadata().getNamespace();
    String name = gw.getMetadata().getName();
    String className = gw.getSpec() == null ? null : gw.getSpec().getGatewayClassName();
    GatewayClass gwClass = className == null ? null : ctx.fetchOne(gatewayClasses, className).orElse(null);
    if (gwClass == null) {
      log.warn("waypoint gateway={}/{} references unknown GatewayClass={}", ns, name, className);
    }
    String trafficType = Waypoint.SERVICE;
    String classType = labels(gwClass == null ? null : gwClass.getMetadata().getLabels()).get(WAYPOINT_FOR);
    if (classType != null) {
      trafficType = classType;
    }
    String gwType = labels(gw.getMetadata().getLabels()).get(WAYPOINT_FOR);
    if (gwType != null) {
      trafficType = gwType;
    }
    ApplicationTunnel binding = inboundBinding(gw, gwClass);
    List<String> serviceAccounts = ctx.fetch(podsByGatewayName, ns + "/" + name).stream()
        .map(p -> p.getSpec() == null ? null : p.getSpec().getServiceAccountName())
        .filter(Objects::nonNull)
        .sorted()
        .toList();
    String net = ctx.fetchOne(network, MeshNetwork.KEY).map(MeshNetwork::network).orElse("");
    return new Waypoint(ns, name, address(gw, net), trafficType, binding, allowedRoutes(gw, binding),
        serviceAccounts);
  }

  private static Map<String, String> labels(Map<String, String> l) {
    return l == null ? Map.of() : l;
  }

  /** A hostname status address first (port 15008), else the first IP that parses; null if neither. */
  static GatewayAddress address(Gateway gw, String network) {
    for (GatewayStatusAddress a : gw.getStatus().getAddresses()) {
      if ("Hostname".equals(a.getType())) {
        return GatewayAddress.newBuilder()
            .setHostname(NamespacedHostname.newBuilder()
                .setNamespace(gw.getMetadata().getNamespace())
                .setHostname(a.getValue() == null ? "" : a.getValue()))
            .setHboneMtlsPort(HBONE_PORT)
            .build();
      }
    }
    for (GatewayStatusAddress a : gw.getStatus().getAddresses()) {
      if ("IPAddress".equals(a.getType())) {
        byte[] ip = IpAddresses.parse(a.getValue());
        if (ip == null) {
          log.warn("waypoint gateway={}/{} has an invalid IP status address={}",
              gw.getMetadata().getNamespace(), gw.getMetadata().getName(), a.getValue());
          continue;
        }
        return GatewayAddress.newBuilder()
            .setAddress(NetworkAddress.newBuilder().setNetwork(network).setAddress(ByteString.copyFrom(ip)))
            .setHboneMtlsPort(HBONE_PORT)
            .build();
      }
    }
    return null;
  }

  /** {@code <PROTOCOL>} or {@code <PROTOCOL>/<port>} from the Gateway, else its class. */
  static ApplicationTunnel inboundBinding(Gateway gw, GatewayClass gwClass) {
    String value = annotations(gw.getMetadata().getAnnotations()).get(INBOUND_BINDING);
    if (value == null && gwClass != null) {
      value = annotations(gwClass.getMetadata().getAnnotations()).get(INBOUND_BINDING);
    }
    if (value == null) {
      return null;
    }
    String[] parts = value.split("/", -1);
    if (parts.length > 2) {
      log.warn("invalid {} value={}: want <protocol> or <protocol>/<port>", INBOUND_BINDING, value);
      return null;
    }
    ApplicationTunnel.Protocol protocol;
    switch (parts[0]) {
      case "NONE" -> protocol = ApplicationTunnel.Protocol.NONE;
      case "PROXY" -> protocol = ApplicationTunnel.Protocol.PROXY;
      default -> {
        log.warn("invalid {} protocol={}: only NONE or PROXY", INBOUND_BINDING, parts[0]);
        return null;
      }
    }
    int port = 0;
    if (parts.length == 2) {
      port = parseUint32(parts[1]);
    }
    return ApplicationTunnel.newBuilder().setProtocol(protocol).setPort(port).build();
  }

  /**
   * Go's {@code strconv.ParseUint(s, 10, 32)} as istiod uses it: decimal digits only (a sign or
   * anything else is an error, giving 0); a value past 32 bits gives the 32-bit maximum. The
   * result is the uint32 bit pattern.
   */
  static int parseUint32(String s) {
    if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      log.warn("invalid {} port={}", INBOUND_BINDING, s);
      return 0;
    }
    java.math.BigInteger v = new java.math.BigInteger(s);
    if (v.compareTo(java.math.BigInteger.valueOf(0xFFFFFFFFL)) > 0) {
      log.warn("invalid {} port={}: out of range", INBOUND_BINDING, s);
      return (int) 0xFFFFFFFFL;
    }
    return (int) v.longValue();
  }

  private static Map<String, String> annotations(Map<String, String> a) {
    return a == null ? Map.of() : a;
  }

  /** The listener the binding selects, else the HBONE/15008 listener, else Same. */
  static Waypoint.AllowedRoutes allowedRoutes(Gateway gw, ApplicationTunnel binding) {
    List<Listener> listeners = gw.getSpec() == null || gw.getSpec().getListeners() == null
        ? List.of() : gw.getSpec().getListeners();
    if (binding != null) {
      for (Listener l : listeners) {
        boolean match = binding.getPort() != 0
            ? Integer.valueOf(binding.getPort()).equals(l.getPort())
            : binding.getProtocol() == ApplicationTunnel.Protocol.PROXY && "istio.io/PROXY".equals(l.getProtocol());
        if (match) {
          return selector(l);
        }
      }
    }
    for (Listener l : listeners) {
      if ("HBONE".equals(l.getProtocol()) && Integer.valueOf(HBONE_PORT).equals(l.getPort())) {
        return selector(l);
      }
    }
    return Waypoint.AllowedRoutes.SAME;
  }

  private static Waypoint.AllowedRoutes selector(Listener l) {
    if (l.getAllowedRoutes() == null || l.getAllowedRoutes().getNamespaces() == null) {
      return Waypoint.AllowedRoutes.SAME;
    }
    var ns = l.getAllowedRoutes().getNamespaces();
    String from = ns.getFrom() == null ? "Same" : ns.getFrom();
    return new Waypoint.AllowedRoutes(from, ns.getSelector());
  }
}
