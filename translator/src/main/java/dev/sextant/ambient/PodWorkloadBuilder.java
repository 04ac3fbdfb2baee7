package dev.sextant.ambient;

import com.google.protobuf.ByteString;
import dev.sextant.api.workload.Locality;
import dev.sextant.api.workload.NetworkMode;
import dev.sextant.api.workload.TunnelProtocol;
import dev.sextant.api.workload.Workload;
import dev.sextant.api.workload.WorkloadStatus;
import dev.sextant.api.workload.WorkloadType;
import dev.sextant.krt.Context;
import dev.sextant.krt.Krt;
import dev.sextant.model.MeshNetwork;
import dev.sextant.model.NodeLocality;
import dev.sextant.model.ServiceInfo;
import dev.sextant.model.WorkloadInfo;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Pod to the {@code istio.workload.Workload} istiod sends for it
 * (istio/istio {@code pilot/pkg/serviceregistry/ambient/workloads.go podWorkloadBuilder},
 * wds-spec §2.2 to §2.5).
 *
 * <p>Every pod that has an IP and has not terminated is sent, enrolled in ambient or not:
 * enrollment only sets the tunnel protocol, and that follows the CNI's redirection annotation.
 */
public final class PodWorkloadBuilder implements Krt.MapTransformation<Pod, WorkloadInfo> {
  private static final Logger log = LoggerFactory.getLogger(PodWorkloadBuilder.class);
  static final String REDIRECTION_ANNOTATION = "ambient.istio.io/redirection";
  static final String TUNNEL_LABEL = "networking.istio.io/tunnel";

  private final WorkloadLookups lookups;

  public PodWorkloadBuilder(WorkloadLookups lookups) {
    this.lookups = lookups;
  }

  /** The uid (and resource name) of a pod's workload: {@code <cluster>//Pod/<ns>/<name>}. */
  public static String uid(String clusterId, String namespace, String name) {
    return clusterId + "//Pod/" + namespace + "/" + name;
  }

  @Override
  public WorkloadInfo apply(Context ctx, Pod pod) {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    if (pod.getStatus() == null) {
      return null;
    }
    String phase = pod.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return null;
    }
    List<String> ips = podIps(pod);
    if (ips.isEmpty()) {
      return null;
    }
    String net = ctx.fetchOne(lookups.network(), MeshNetwork.KEY).map(MeshNetwork::network).orElse("");
    Workload.Builder w = Workload.newBuilder()
        .setUid(uid(lookups.mesh().clusterId(), ns, name))
        .setName(name)
        .setNamespace(ns)
        .setNetwork(net)
        .setClusterId(lookups.mesh().clusterId())
        .setTrustDomain(lookups.mesh().wireTrustDomain())
        .setWorkloadType(WorkloadType.POD);
    for (String ip : ips) {
      byte[] bytes = IpAddresses.parse(ip);
      if (bytes == null) {
        log.warn("pod={}/{} skipped: unparsable pod IP={}", ns, name, ip);
        return null;
      }
      w.addAddresses(ByteString.copyFrom(bytes));
    }
    var spec = pod.getSpec();
    if (spec != null) {
      if (spec.getServiceAccountName() != null) {
        w.setServiceAccount(spec.getServiceAccountName());
      }
      if (spec.getNodeName() != null) {
        w.setNode(spec.getNodeName());
        Locality locality = locality(ctx, spec.getNodeName());
        if (locality != null) {
          w.setLocality(locality);
        }
      }
      if (Boolean.TRUE.equals(spec.getHostNetwork())) {
        w.setNetworkMode(NetworkMode.HOST_NETWORK);
      }
    }
    w.setStatus(isHealthy(pod) ? WorkloadStatus.HEALTHY : WorkloadStatus.UNHEALTHY);

    Map<String, String> labels = WorkloadNames.labels(pod);
    String workloadName = WorkloadNames.workloadName(pod);
    w.setWorkloadName(workloadName)
        .setCanonicalName(WorkloadNames.canonicalName(labels, workloadName))
        .setCanonicalRevision(WorkloadNames.canonicalRevision(labels));
    setTunnelProtocol(w, labels, pod.getMetadata().getAnnotations());

    w.putAllServices(WorkloadPorts.forPod(pod, services(ctx, pod, labels)));
    w.addAllAuthorizationPolicies(lookups.policies().forWorkload(ctx, ns, labels));
    var gateway = lookups.networkGateway(ctx, net);
    if (gateway != null) {
      w.setNetworkGateway(gateway);
    }

    WaypointResolver.WorkloadWaypoint wp = lookups.waypoints().forWorkloadOrInstance(ctx,
        new WaypointResolver.Target(ns, labels, pod.getMetadata().getAnnotations()));
    if (wp.waypoint() != null && wp.waypoint().address() != null) {
      w.setWaypoint(wp.waypoint().address());
    }
    if (wp.applicationTunnel() != null) {
      w.setApplicationTunnel(wp.applicationTunnel());
    }
    return new WorkloadInfo(w.build(), labels);
  }

  static List<String> podIps(Pod pod) {
    List<String> ips = new ArrayList<>();
    List<PodIP> podIps = pod.getStatus().getPodIPs();
    if (podIps != null) {
      for (PodIP p : podIps) {
        if (p.getIp() != null && !p.getIp().isEmpty()) {
          ips.add(p.getIp());
        }
      }
    }
    if (ips.isEmpty() && pod.getStatus().getPodIP() != null && !pod.getStatus().getPodIP().isEmpty()) {
      ips.add(pod.getStatus().getPodIP());
    }
    return ips;
  }

  /** Ready condition True and not being deleted. */
  static boolean isHealthy(Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      return false;
    }
    List<PodCondition> conditions = pod.getStatus().getConditions();
    if (conditions == null) {
      return false;
    }
    for (PodCondition c : conditions) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return false;
  }

  /** wds-spec §2.3: the CNI's redirection annotation, then the sidecar tunnel label. */
  static void setTunnelProtocol(Workload.Builder w, Map<String, String> labels, Map<String, String> annotations) {
    if (annotations != null && "enabled".equals(annotations.get(REDIRECTION_ANNOTATION))) {
      w.setTunnelProtocol(TunnelProtocol.HBONE);
    }
    String tunnel = labels.get(TUNNEL_LABEL);
    if (tunnel != null) {
      // Entries are compared as written, without trimming (istio/istio pilot/pkg/model/service.go SupportsTunnel).
      for (String t : tunnel.split(",", -1)) {
        if (t.equals("http")) {
          w.setTunnelProtocol(TunnelProtocol.HBONE);
          w.setNativeTunnel(true);
          break;
        }
      }
    }
  }

  private Locality locality(Context ctx, String nodeName) {
    return ctx.fetchOne(lookups.nodes(), nodeName).map(NodeLocality::locality).orElse(null);
  }

  /**
   * Services in the pod's namespace whose non-empty selector its labels satisfy, then Kubernetes
   * Services whose EndpointSlices target this very pod (name and UID), never matched by IP.
   */
  private List<ServiceInfo> services(Context ctx, Pod pod, Map<String, String> labels) {
    String ns = pod.getMetadata().getNamespace();
    List<ServiceInfo> selected = Selection.selecting(ctx, lookups.servicesBySelectorAnchor(), ns, labels);
    Set<String> seen = new HashSet<>();
    selected.forEach(s -> seen.add(s.service().getHostname()));
    String ref = WorkloadLookups.podRef(ns, pod.getMetadata().getName(), pod.getMetadata().getUid());
    List<ServiceInfo> out = new ArrayList<>(selected);
    for (EndpointSlice slice : ctx.fetch(lookups.slicesByPodRef(), ref)) {
      EndpointSliceWorkloadBuilder.serviceOf(ctx, lookups.services(), slice, lookups.mesh().domainSuffix())
          .filter(svc -> seen.add(svc.service().getHostname()))
          .ifPresent(out::add);
    }
    return out;
  }

  /** Slices of a Service that target pods, by {@code ns/name/uid} of each targeted pod. */
  public static List<String> podRefs(EndpointSlice slice) {
    Map<String, String> labels = slice.getMetadata().getLabels();
    if ("FQDN".equals(slice.getAddressType()) || labels == null
        || !labels.containsKey(EndpointSliceWorkloadBuilder.SERVICE_NAME_LABEL) || slice.getEndpoints() == null) {
      return List.of();
    }
    List<String> refs = new ArrayList<>();
    slice.getEndpoints().forEach(ep -> {
      var t = ep.getTargetRef();
      if (t != null && "Pod".equals(t.getKind())) {
        refs.add(WorkloadLookups.podRef(t.getNamespace(), t.getName(), t.getUid()));
      }
    });
    return refs;
  }

  static Integer namedContainerPort(Pod pod, String name) {
    if (pod.getSpec() == null) {
      return null;
    }
    List<Container> candidates = new ArrayList<>();
    if (pod.getSpec().getContainers() != null) {
      candidates.addAll(pod.getSpec().getContainers());
    }
    if (pod.getSpec().getInitContainers() != null) {
      for (Container c : pod.getSpec().getInitContainers()) {
        if ("Always".equals(c.getRestartPolicy())) {
          candidates.add(c);
        }
      }
    }
    for (Container c : candidates) {
      if (c.getPorts() == null) {
        continue;
      }
      for (ContainerPort cp : c.getPorts()) {
        String protocol = cp.getProtocol() == null ? "TCP" : cp.getProtocol();
        if (name.equals(cp.getName()) && "TCP".equals(protocol) && cp.getContainerPort() != null) {
          return cp.getContainerPort();
        }
      }
    }
    return null;
  }
}
