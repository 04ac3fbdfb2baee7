package dev.sextant.ambient;

import com.google.protobuf.ByteString;
import dev.sextant.api.workload.LoadBalancing;
import dev.sextant.api.workload.NetworkAddress;
import dev.sextant.api.workload.Port;
import dev.sextant.api.workload.Service;
import dev.sextant.api.workload.WeightedWaypoint;
import dev.sextant.krt.Collection;
import dev.sextant.krt.Context;
import dev.sextant.krt.Transformation;
import dev.sextant.model.MeshNetwork;
import dev.sextant.model.ServiceInfo;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryAddress;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.api.networking.v1alpha3.ServicePort;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.kubernetes.api.model.Namespace;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A ServiceEntry to one {@code istio.workload.Service} per host, before deduplication
 * (wds-spec §2.9; istio/istio {@code services.go constructServiceEntries}).
 *
 * <p>Failure: one address that is neither an IP nor a CIDR drops every service of the entry, as
 * istiod does; it is logged with the entry's name.
 */
public final class ServiceEntryServiceBuilder implements Transformation<ServiceEntry, ServiceInfo> {
  private static final Logger log = LoggerFactory.getLogger(ServiceEntryServiceBuilder.class);
  static final String AUTOALLOCATE_LABEL = "networking.istio.io/enable-autoallocate-ip";

  private final Collection<MeshNetwork> network;
  private final Collection<Namespace> namespaces;
  private final WaypointResolver waypoints;

  public ServiceEntryServiceBuilder(Collection<MeshNetwork> network, Collection<Namespace> namespaces,
      WaypointResolver waypoints) {
    this.network = network;
    this.namespaces = namespaces;
    this.waypoints = waypoints;
  }

  @Override
  public List<ServiceInfo> apply(Context ctx, ServiceEntry se) {
    var spec = se.getSpec();
    if (spec == null || spec.getHosts() == null || spec.getHosts().isEmpty()) {
      return List.of();
    }
    String ns = se.getMetadata().getNamespace();
    String name = se.getMetadata().getName();
    Map<String, String> labels = orEmpty(se.getMetadata().getLabels());
    Map<String, String> annotations = orEmpty(se.getMetadata().getAnnotations());
    String net = ctx.fetchOne(network, MeshNetwork.KEY).map(MeshNetwork::network).orElse("");
    ServiceEntryResolution resolution = spec.getResolution() == null ? ServiceEntryResolution.NONE : spec.getResolution();

    List<NetworkAddress> addresses = new ArrayList<>();
    for (String a : orEmpty(spec.getAddresses())) {
      NetworkAddress na = cidrOrIp(a, net);
      if (na == null) {
        log.warn("serviceentry={}/{} dropped: address={} is neither an IP nor a CIDR", ns, name, a);
        return List.of();
      }
      addresses.add(na);
    }
    Map<String, List<NetworkAddress>> autoAllocated = autoAllocate(se, resolution, addresses.isEmpty(), net);

    List<Port> ports = new ArrayList<>();
    Map<Integer, ServiceInfo.PortName> portNames = new HashMap<>();
    for (ServicePort p : orEmpty(spec.getPorts())) {
      if (p.getNumber() == null) {
        continue;
      }
      int number = p.getNumber().intValue();
      long target = p.getTargetPort() == null || p.getTargetPort() == 0 ? number : p.getTargetPort();
      ports.add(Port.newBuilder()
          .setServicePort(number)
          .setTargetPort((int) target)
          .setAppProtocol(AppProtocols.ofServiceEntryProtocol(p.getProtocol()))
          .build());
      portNames.put(number, new ServiceInfo.PortName(p.getName() == null ? "" : p.getName(), ""));
    }

    LoadBalancing lb;
    if (resolution == ServiceEntryResolution.NONE) {
      lb = LoadBalancing.newBuilder()
          .setMode(LoadBalancing.Mode.PASSTHROUGH)
          .setHealthPolicy(LoadBalancing.HealthPolicy.ALLOW_ALL)
          .build();
    } else {
      Map<String, String> nsAnnotations = ctx.fetchOne(namespaces, ns)
          .map(n -> orEmpty(n.getMetadata().getAnnotations())).orElse(Map.of());
      LoadBalancing.Builder b = LoadBalancers.preset(
          LoadBalancers.trafficDistribution(null, annotations, nsAnnotations));
      lb = b == null ? null : b.build();
    }

    WaypointResolver.Target target = new WaypointResolver.Target(ns, labels, annotations);
    WaypointResolver.Binding binding = waypoints.forService(ctx, target, false);
    if (resolution == ServiceEntryResolution.DYNAMIC_DNS && binding.waypoint() == null) {
      log.warn("serviceentry={}/{} has dynamic DNS resolution but no valid waypoint", ns, name);
    }
    boolean ingress = binding.waypoint() != null && waypoints.ingressUseWaypoint(ctx, target);
    List<WeightedWaypoint> weighted = waypoints.weightedWaypoints(ctx, target, binding);

    Map<String, String> selector = spec.getWorkloadSelector() == null
        ? Map.of() : orEmpty(spec.getWorkloadSelector().getLabels());
    Instant created = Times.created(se.getMetadata());
    List<ServiceInfo> out = new ArrayList<>();
    for (String host : spec.getHosts()) {
      List<NetworkAddress> hostAddresses = addresses;
      if (hostAddresses.isEmpty() && resolution != ServiceEntryResolution.NONE) {
        boolean wildcard = host.startsWith("*");
        if (!wildcard || resolution == ServiceEntryResolution.DYNAMIC_DNS) {
          hostAddresses = autoAllocated.getOrDefault(host, List.of());
        }
      }
      Service.Builder s = Service.newBuilder()
          .setName(name)
          .setNamespace(ns)
          .setHostname(host)
          .addAllAddresses(hostAddresses)
          .addAllPorts(ports)
          .addAllSubjectAltNames(orEmpty(spec.getSubjectAltNames()))
          .setIngressUseWaypoint(ingress)
          .addAllWeightedWaypoints(weighted);
      if (binding.waypoint() != null && binding.waypoint().address() != null) {
        s.setWaypoint(binding.waypoint().address());
      }
      if (lb != null) {
        s.setLoadBalancing(lb);
      }
      out.add(new ServiceInfo(s.build(), selector, portNames,
          new ServiceInfo.Source(ServiceInfo.KIND_SERVICE_ENTRY, ns, name), created));
    }
    return out;
  }

  /** Addresses istiod's allocator wrote to {@code status.addresses}, by host, when the entry may use them. */
  private static Map<String, List<NetworkAddress>> autoAllocate(ServiceEntry se, ServiceEntryResolution resolution,
      boolean noAddresses, String net) {
    if (!noAddresses || resolution == ServiceEntryResolution.NONE) {
      return Map.of();
    }
    String optOut = orEmpty(se.getMetadata().getLabels()).get(AUTOALLOCATE_LABEL);
    if (optOut != null && optOut.equalsIgnoreCase("false")) {
      return Map.of();
    }
    if (se.getStatus() == null || se.getStatus().getAddresses() == null) {
      return Map.of();
    }
    Map<String, List<NetworkAddress>> out = new LinkedHashMap<>();
    for (ServiceEntryAddress a : se.getStatus().getAddresses()) {
      byte[] ip = IpAddresses.parse(a.getValue());
      if (ip == null) {
        continue;
      }
      out.computeIfAbsent(a.getHost() == null ? "" : a.getHost(), h -> new ArrayList<>())
          .add(NetworkAddress.newBuilder().setNetwork(net).setAddress(ByteString.copyFrom(ip)).build());
    }
    return out;
  }

  /** An IP (a host address) or a CIDR masked to canonical form, with length unless it is one host. */
  static NetworkAddress cidrOrIp(String text, String network) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      byte[] ip = IpAddresses.parse(text);
      return ip == null ? null
          : NetworkAddress.newBuilder().setNetwork(network).setAddress(ByteString.copyFrom(ip)).build();
    }
    byte[] ip = IpAddresses.parse(text.substring(0, slash));
    int bits;
    try {
      String b = text.substring(slash + 1);
      if (b.isEmpty() || (b.length() > 1 && b.charAt(0) == '0') || !b.chars().allMatch(Character::isDigit)) {
        return null;
      }
      bits = Integer.parseInt(b);
    } catch (NumberFormatException e) {
      return null;
    }
    if (ip == null || bits > ip.length * 8) {
      return null;
    }
    for (int i = 0; i < ip.length; i++) {
      int keep = Math.max(0, Math.min(8, bits - i * 8));
      ip[i] = (byte) (ip[i] & (0xFF << (8 - keep)));
    }
    NetworkAddress.Builder na = NetworkAddress.newBuilder().setNetwork(network).setAddress(ByteString.copyFrom(ip));
    if (bits != ip.length * 8) {
      na.setLength(bits);
    }
    return na.build();
  }

  static <K, V> Map<K, V> orEmpty(Map<K, V> m) {
    return m == null ? Map.of() : m;
  }

  static <T> List<T> orEmpty(List<T> l) {
    return l == null ? List.of() : l;
  }
}
