package dev.sextant.ambient;

import dev.sextant.api.workload.Workload;
import dev.sextant.api.workload.WorkloadStatus;
import dev.sextant.api.workload.WorkloadType;
import dev.sextant.krt.Context;
import dev.sextant.krt.Krt;
import dev.sextant.model.ServiceInfo;
import dev.sextant.model.MeshNetwork;
import dev.sextant.model.WorkloadInfo;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A WorkloadEntry to its Workload (wds-spec §2.10; istio/istio {@code workloads.go
 * workloadEntryWorkloadBuilder}). Labels are {@code spec.labels} overlaid by
 * {@code metadata.labels}; the status is always HEALTHY.
 */
public final class WorkloadEntryWorkloadBuilder implements Krt.MapTransformation<WorkloadEntry, WorkloadInfo> {
  static final String AUTO_REGISTRATION_GROUP = "istio.io/autoRegistrationGroup";

  private final WorkloadLookups lookups;

  public WorkloadEntryWorkloadBuilder(WorkloadLookups lookups) {
    this.lookups = lookups;
  }

  public static String uid(String clusterId, String namespace, String name) {
    return clusterId + "/networking.istio.io/WorkloadEntry/" + namespace + "/" + name;
  }

  @Override
  public WorkloadInfo apply(Context ctx, WorkloadEntry we) {
    var spec = we.getSpec();
    if (spec == null) {
      return null;
    }
    String ns = we.getMetadata().getNamespace();
    String name = we.getMetadata().getName();
    Map<String, String> labels = new HashMap<>(EntryWorkloads.orEmpty(spec.getLabels()));
    labels.putAll(EntryWorkloads.orEmpty(we.getMetadata().getLabels()));
    Map<String, String> annotations = EntryWorkloads.orEmpty(we.getMetadata().getAnnotations());

    List<ServiceInfo> services = Selection.selecting(ctx, lookups.servicesBySelectorAnchor(), ns, labels);
    String net = spec.getNetwork() != null && !spec.getNetwork().isEmpty()
        ? spec.getNetwork()
        : ctx.fetchOne(lookups.network(), MeshNetwork.KEY).map(MeshNetwork::network).orElse("");
    WaypointResolver.WorkloadWaypoint wp =
        lookups.waypoints().forWorkloadOrInstance(ctx, new WaypointResolver.Target(ns, labels, annotations));

    Workload.Builder w = Workload.newBuilder()
        .setUid(uid(lookups.mesh().clusterId(), ns, name))
        .setName(name)
        .setNamespace(ns)
        .setNetwork(net)
        .setClusterId(lookups.mesh().clusterId())
        .setServiceAccount(spec.getServiceAccount() == null ? "" : spec.getServiceAccount())
        .putAllServices(WorkloadPorts.forEntry(spec.getPorts(), services))
        .setStatus(WorkloadStatus.HEALTHY)
        .setTrustDomain(lookups.mesh().wireTrustDomain())
        .addAllAuthorizationPolicies(lookups.policies().forWorkload(ctx, ns, labels));
    if (wp.waypoint() != null && wp.waypoint().address() != null) {
      w.setWaypoint(wp.waypoint().address());
    }
    if (wp.applicationTunnel() != null) {
      w.setApplicationTunnel(wp.applicationTunnel());
    }
    var locality = EntryWorkloads.locality(spec.getLocality());
    if (locality != null) {
      w.setLocality(locality);
    }
    var gateway = lookups.networkGateway(ctx, net);
    if (gateway != null) {
      w.setNetworkGateway(gateway);
    }
    EntryWorkloads.setCapacity(w, spec.getWeight());
    EntryWorkloads.setAddress(w, spec.getAddress());
    String workloadName = annotations.containsKey(AUTO_REGISTRATION_GROUP)
        ? annotations.get(AUTO_REGISTRATION_GROUP)
        : labels.getOrDefault(WorkloadNames.WORKLOAD_NAME_LABEL, name);
    w.setWorkloadName(workloadName)
        .setWorkloadType(WorkloadType.POD)
        .setCanonicalName(WorkloadNames.canonicalName(labels, workloadName))
        .setCanonicalRevision(WorkloadNames.canonicalRevision(labels));
    PodWorkloadBuilder.setTunnelProtocol(w, labels, annotations);
    return new WorkloadInfo(w.build(), labels);
  }
}
