package dev.sextant.ambient;

import com.google.protobuf.ByteString;
import dev.sextant.api.workload.IPFamilies;
import dev.sextant.api.workload.LoadBalancing;
import dev.sextant.api.workload.NetworkAddress;
import dev.sextant.api.workload.Port;
import dev.sextant.krt.Collection;
import dev.sextant.krt.Context;
import dev.sextant.krt.Krt;
import dev.sextant.model.MeshNetwork;
import dev.sextant.model.MeshSettings;
import dev.sextant.model.ServiceInfo;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kubernetes Service to the {@code istio.workload.Service} istiod sends for it
 * (istio/istio {@code pilot/pkg/serviceregistry/ambient/services.go}, wds-spec §2.6).
 * ExternalName services produce nothing; headless ones are sent with no addresses.
 *
 * <p>Failure: a clusterIP that does not parse drops the service, logged with its name, as istiod
 * drops it.
 */
public final class ServiceBuilder implements Krt.MapTransformation<Service, ServiceInfo> {
  private static final Logger log = LoggerFactory.getLogger(ServiceBuilder.class);
  static final String TRAFFIC_DISTRIBUTION_ANNOTATION = LoadBalancers.TRAFFIC_DISTRIBUTION_ANNOTATION;

  private final MeshSettings mesh;
  private final Collection<MeshNetwork> network;
  private final Collection<Namespace> namespaces;
  private final WaypointResolver waypoints;

  public ServiceBuilder(MeshSettings mesh, Collection<MeshNetwork> network, Collection<Namespace> namespaces,
      WaypointResolver waypoints) {
    this.mesh = mesh;
    this.network = network;
    this.namespaces = namespaces;
    this.waypoints = waypoints;
  }

  @Override
  public ServiceInfo apply(Context ctx, Service svc) {
    ServiceSpec spec = svc.getSpec();
    if (spec == null || "ExternalName".equals(spec.getType())) {
      return null;
    }
    String name = svc.getMetadata().getName();
    String ns = svc.getMetadata().getNamespace();
    String net = ctx.fetchOne(network, MeshNetwork.KEY).map(MeshNetwork::network).orElse("");

    dev.sextant.api.workload.Service.Builder out = dev.sextant.api.workload.Service.newBuilder()
        .setName(name)
        .setNamespace(ns)
        .setHostname(hostname(name, ns, mesh.domainSuffix()))
        .setCanonical(true);

    for (String ip : clusterIps(spec)) {
      byte[] bytes = IpAddresses.parse(ip);
      if (bytes == null) {
        log.warn("service={}/{} dropped: clusterIP={} does not parse", ns, name, ip);
        return null;
      }
      out.addAddresses(NetworkAddress.newBuilder().setNetwork(net).setAddress(ByteString.copyFrom(bytes)));
    }

    Map<Integer, ServiceInfo.PortName> portNames = new HashMap<>();
    for (ServicePort p : spec.getPorts() == null ? List.<ServicePort>of() : spec.getPorts()) {
      if (p.getPort() == null) {
        continue;
      }
      int target = 0;
      String targetName = "";
      IntOrString tp = p.getTargetPort();
      if (tp == null) {
        target = p.getPort(); // the API server defaults targetPort to port
      } else if (tp.getIntVal() != null) {
        target = tp.getIntVal();
      } else if (tp.getStrVal() != null) {
        targetName = tp.getStrVal();
      }
      portNames.put(p.getPort(), new ServiceInfo.PortName(p.getName() == null ? "" : p.getName(), targetName));
      out.addPorts(Port.newBuilder()
          .setServicePort(p.getPort())
          .setTargetPort(target)
          .setAppProtocol(AppProtocols.ofKubernetesPort(
              p.getPort(), p.getName(), p.getProtocol(), p.getAppProtocol())));
    }

    List<String> families = spec.getIpFamilies() == null ? List.of() : spec.getIpFamilies();
    if (families.size() == 2) {
      out.setIpFamilies(IPFamilies.DUAL);
    } else if (families.size() == 1) {
      out.setIpFamilies("IPv4".equals(families.get(0)) ? IPFamilies.IPV4_ONLY : IPFamilies.IPV6_ONLY);
    }

    Map<String, String> nsAnnotations = ctx.fetchOne(namespaces, ns)
        .map(n -> n.getMetadata().getAnnotations()).orElse(null);
    LoadBalancing lb = loadBalancing(svc, nsAnnotations);
    if (lb != null) {
      out.setLoadBalancing(lb);
    }

    WaypointResolver.Target target = new WaypointResolver.Target(ns, svc.getMetadata().getLabels(),
        svc.getMetadata().getAnnotations());
    WaypointResolver.Binding binding = waypoints.forService(ctx, target, false);
    if (binding.waypoint() != null) {
      if (binding.waypoint().address() != null) {
        out.setWaypoint(binding.waypoint().address());
      }
      out.setIngressUseWaypoint(waypoints.ingressUseWaypoint(ctx, target));
      out.addAllWeightedWaypoints(waypoints.weightedWaypoints(ctx, target, binding));
    }

    Map<String, String> selector = spec.getSelector() == null ? Map.of() : spec.getSelector();
    return new ServiceInfo(out.build(), selector, portNames,
        new ServiceInfo.Source(ServiceInfo.KIND_SERVICE, ns, name), Times.created(svc.getMetadata()));
  }

  public static String hostname(String name, String namespace, String domainSuffix) {
    return name + "." + namespace + ".svc." + domainSuffix;
  }

  private static List<String> clusterIps(ServiceSpec spec) {
    List<String> ips = new ArrayList<>();
    if (spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()) {
      ips.addAll(spec.getClusterIPs());
    } else if (spec.getClusterIP() != null) {
      ips.add(spec.getClusterIP());
    }
    ips.removeIf(ip -> ip == null || ip.isEmpty() || "None".equals(ip));
    return ips;
  }

  private static LoadBalancing loadBalancing(Service svc, Map<String, String> nsAnnotations) {
    ServiceSpec spec = svc.getSpec();
    LoadBalancing.Builder lb;
    if ("Local".equals(spec.getInternalTrafficPolicy())) {
      lb = LoadBalancing.newBuilder()
          .addRoutingPreference(LoadBalancing.Scope.NODE)
          .setMode(LoadBalancing.Mode.STRICT);
    } else {
      lb = LoadBalancers.preset(LoadBalancers.trafficDistribution(
          spec.getTrafficDistribution(), svc.getMetadata().getAnnotations(), nsAnnotations));
    }
    if (Boolean.TRUE.equals(spec.getPublishNotReadyAddresses())) {
      if (lb == null) {
        lb = LoadBalancing.newBuilder();
      }
      lb.setHealthPolicy(LoadBalancing.HealthPolicy.ALLOW_ALL);
    }
    return lb == null ? null : lb.build();
  }
}
