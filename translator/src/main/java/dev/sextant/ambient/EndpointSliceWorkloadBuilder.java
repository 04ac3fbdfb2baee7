package dev.sextant.ambient;

import com.google.protobuf.ByteString;
import dev.sextant.api.workload.NetworkMode;
import dev.sextant.api.workload.Port;
import dev.sextant.api.workload.PortList;
import dev.sextant.api.workload.Workload;
import dev.sextant.api.workload.WorkloadStatus;
import dev.sextant.krt.Collection;
import dev.sextant.krt.Context;
import dev.sextant.krt.Transformation;
import dev.sextant.model.MeshNetwork;
import dev.sextant.model.MeshSettings;
import dev.sextant.model.ServiceInfo;
import dev.sextant.model.WorkloadInfo;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * EndpointSlice endpoints that no pod stands behind, to Workloads (wds-spec §2.7; istio/istio
 * {@code workloads.go endpointSlicesBuilder}): e.g. the {@code kubernetes} API service or manually
 * managed slices. They are HOST_NETWORK workloads (their IPs may be shared), named after the slice.
 */
public final class EndpointSliceWorkloadBuilder implements Transformation<EndpointSlice, WorkloadInfo> {
  private static final Logger log = LoggerFactory.getLogger(EndpointSliceWorkloadBuilder.class);
  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private final MeshSettings mesh;
  private final Collection<MeshNetwork> network;
  private final Collection<ServiceInfo> services;

  public EndpointSliceWorkloadBuilder(MeshSettings mesh, Collection<MeshNetwork> network,
      Collection<ServiceInfo> services) {
    this.mesh = mesh;
    this.network = network;
    this.services = services;
  }

  /** The Kubernetes Service a slice belongs to, if it is a non-FQDN slice of one that exists. */
  static Optional<ServiceInfo> serviceOf(Context ctx, Collection<ServiceInfo> services, EndpointSlice es,
      String domainSuffix) {
    Map<String, String> labels = es.getMetadata().getLabels();
    String svcName = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
    if (svcName == null || "FQDN".equals(es.getAddressType())) {
      return Optional.empty();
    }
    String ns = es.getMetadata().getNamespace();
    String key = ServiceInfo.key(ns, ServiceBuilder.hostname(svcName, ns, domainSuffix));
    return ctx.fetchOne(services, key).filter(ServiceInfo::isKubernetesService);
  }

  @Override
  public List<WorkloadInfo> apply(Context ctx, EndpointSlice es) {
    Optional<ServiceInfo> found = serviceOf(ctx, services, es, mesh.domainSuffix());
    if (found.isEmpty()) {
      return List.of();
    }
    ServiceInfo svc = found.get();
    String ns = es.getMetadata().getNamespace();
    String name = es.getMetadata().getName();

    PortList.Builder ports = PortList.newBuilder();
    for (EndpointPort p : es.getPorts() == null ? List.<EndpointPort>of() : es.getPorts()) {
      if (p.getName() == null || p.getPort() == null || !"TCP".equals(p.getProtocol())) {
        continue;
      }
      for (Port sp : svc.service().getPortsList()) {
        ServiceInfo.PortName pn = svc.portNames().get(sp.getServicePort());
        if (pn != null && pn.portName().equals(p.getName())) {
          ports.addPorts(Port.newBuilder().setServicePort(sp.getServicePort()).setTargetPort(p.getPort()));
          break;
        }
      }
    }
    PortList portList = ports.build();
    String net = ctx.fetchOne(network, MeshNetwork.KEY).map(MeshNetwork::network).orElse("");

    List<WorkloadInfo> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Endpoint ep : es.getEndpoints() == null ? List.<Endpoint>of() : es.getEndpoints()) {
      if (ep.getTargetRef() != null && "Pod".equals(ep.getTargetRef().getKind())) {
        continue; // the pod's own workload covers it
      }
      if (ep.getAddresses() == null || ep.getAddresses().isEmpty()) {
        continue;
      }
      String first = ep.getAddresses().get(0);
      if (!seen.add(first)) {
        log.warn("endpointslice={}/{} lists address={} twice; keeping the first", ns, name, first);
        continue;
      }
      List<ByteString> addresses = new ArrayList<>();
      boolean valid = true;
      for (String a : ep.getAddresses()) {
        byte[] ip = IpAddresses.parse(a);
        if (ip == null) {
          log.warn("endpointslice={}/{} skipping endpoint with invalid address={}", ns, name, a);
          valid = false;
          break;
        }
        addresses.add(ByteString.copyFrom(ip));
      }
      if (!valid) {
        continue;
      }
      boolean ready = ep.getConditions() == null || ep.getConditions().getReady() == null
          || ep.getConditions().getReady();
      Workload w = Workload.newBuilder()
          .setUid(mesh.clusterId() + "/discovery.k8s.io/EndpointSlice/" + ns + "/" + name + "/" + first)
          .setName(name)
          .setNamespace(ns)
          .addAllAddresses(addresses)
          .setNetwork(net)
          .setTrustDomain(mesh.wireTrustDomain())
          .putServices(svc.key(), portList)
          .setStatus(ready ? WorkloadStatus.HEALTHY : WorkloadStatus.UNHEALTHY)
          .setClusterId(mesh.clusterId())
          .setNetworkMode(NetworkMode.HOST_NETWORK)
          .build();
      out.add(new WorkloadInfo(w, Map.of()));
    }
    return out;
  }
}
