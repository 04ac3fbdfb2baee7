package dev.sextant.ambient;

import dev.sextant.api.workload.Workload;
import dev.sextant.api.workload.WorkloadStatus;
import dev.sextant.api.workload.WorkloadType;
import dev.sextant.krt.Context;
import dev.sextant.krt.Index;
import dev.sextant.krt.Transformation;
import dev.sextant.model.MeshNetwork;
import dev.sextant.model.ServiceInfo;
import dev.sextant.model.WorkloadInfo;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A ServiceEntry's endpoints to Workloads (wds-spec §2.9; istio/istio {@code workloads.go
 * serviceEntryWorkloadBuilder}): one per inline endpoint, or, for a DNS entry with neither endpoints
 * nor a workload selector, one implicit endpoint per host. Only hosts that survived deduplication
 * are served; an entry that lost every host serves no endpoints.
 *
 * <p>Quirk kept from istiod: an endpoint's {@code network} carries over to the endpoints after it
 * that set none.
 */
public final class ServiceEntryWorkloadBuilder implements Transformation<ServiceEntry, WorkloadInfo> {
  private static final Logger log = LoggerFactory.getLogger(ServiceEntryWorkloadBuilder.class);

  private final WorkloadLookups lookups;
  private final Index<String, ServiceInfo> servicesBySource;

  public ServiceEntryWorkloadBuilder(WorkloadLookups lookups, Index<String, ServiceInfo> servicesBySource) {
    this.lookups = lookups;
    this.servicesBySource = servicesBySource;
  }

  public static String uid(String clusterId, String namespace, String name, String address) {
    return clusterId + "/networking.istio.io/ServiceEntry/" + namespace + "/" + name + "/" + address;
  }

  @Override
  public List<WorkloadInfo> apply(Context ctx, ServiceEntry se) {
    var spec = se.getSpec();
    if (spec == null) {
      return List.of();
    }
    String ns = se.getMetadata().getNamespace();
    String name = se.getMetadata().getName();
    List<WorkloadEntry> endpoints = spec.getEndpoints() == null ? List.of() : spec.getEndpoints();
    ServiceEntryResolution resolution = spec.getResolution() == null ? ServiceEntryResolution.NONE : spec.getResolution();
    boolean implicit = endpoints.isEmpty()
        && (resolution == ServiceEntryResolution.DNS || resolution == ServiceEntryResolution.DYNAMIC_DNS
            || resolution == ServiceEntryResolution.DNS_ROUND_ROBIN)
        && spec.getWorkloadSelector() == null;
    if (endpoints.isEmpty() && !implicit) {
      return List.of();
    }
    List<ServiceInfo> services = new ArrayList<>(ctx.fetch(servicesBySource,
        ServiceInfo.KIND_SERVICE_ENTRY + "/" + ns + "/" + name));
    // Follow the entry's host order, as istiod builds them.
    List<String> hosts = spec.getHosts() == null ? List.of() : spec.getHosts();
    services.sort(Comparator.comparingInt(s -> hosts.indexOf(s.service().getHostname())));
    if (services.isEmpty()) {
      log.warn("serviceentry={}/{} lost every host to deduplication; its endpoints are not served", ns, name);
      return List.of();
    }
    if (implicit) {
      endpoints = services.stream().map(s -> {
        WorkloadEntry e = new WorkloadEntry();
        e.setAddress(s.service().getHostname());
        return e;
      }).toList();
    }

    Map<String, String> seLabels = EntryWorkloads.orEmpty(se.getMetadata().getLabels());
    Map<String, String> seAnnotations = EntryWorkloads.orEmpty(se.getMetadata().getAnnotations());
    String net = ctx.fetchOne(lookups.network(), MeshNetwork.KEY).map(MeshNetwork::network).orElse("");
    List<String> policies = lookups.policies().forWorkload(ctx, ns, seLabels);
    List<WorkloadInfo> out = new ArrayList<>();
    for (int i = 0; i < endpoints.size(); i++) {
      WorkloadEntry ep = endpoints.get(i);
      List<ServiceInfo> epServices = implicit ? List.of(services.get(i)) : services;
      WaypointResolver.WorkloadWaypoint wp = implicit
          ? new WaypointResolver.WorkloadWaypoint(null, null)
          : lookups.waypoints().forWorkloadOrInstance(ctx,
              new WaypointResolver.Target(ns, EntryWorkloads.orEmpty(ep.getLabels()), Map.of()));
      if (ep.getNetwork() != null && !ep.getNetwork().isEmpty()) {
        net = ep.getNetwork();
      }
      String address = ep.getAddress() == null ? "" : ep.getAddress();
      Workload.Builder w = Workload.newBuilder()
          .setUid(uid(lookups.mesh().clusterId(), ns, name, address))
          .setName(name)
          .setNamespace(ns)
          .setNetwork(net)
          .setClusterId(lookups.mesh().clusterId())
          .setServiceAccount(ep.getServiceAccount() == null ? "" : ep.getServiceAccount())
          .putAllServices(WorkloadPorts.forEntry(ep.getPorts(), epServices))
          .setStatus(WorkloadStatus.HEALTHY)
          .setTrustDomain(lookups.mesh().wireTrustDomain())
          .addAllAuthorizationPolicies(policies)
          .setWorkloadName(name)
          .setWorkloadType(WorkloadType.POD)
          .setCanonicalName(WorkloadNames.canonicalName(seLabels, name))
          .setCanonicalRevision(WorkloadNames.canonicalRevision(seLabels));
      if (wp.waypoint() != null && wp.waypoint().address() != null) {
        w.setWaypoint(wp.waypoint().address());
      }
      if (wp.applicationTunnel() != null) {
        w.setApplicationTunnel(wp.applicationTunnel());
      }
      var locality = EntryWorkloads.locality(ep.getLocality());
      if (locality != null) {
        w.setLocality(locality);
      }
      var gateway = lookups.networkGateway(ctx, net);
      if (gateway != null) {
        w.setNetworkGateway(gateway);
      }
      EntryWorkloads.setCapacity(w, ep.getWeight());
      EntryWorkloads.setAddress(w, address);
      PodWorkloadBuilder.setTunnelProtocol(w, seLabels, seAnnotations);
      out.add(new WorkloadInfo(w.build(), seLabels));
    }
    return out;
  }
}
