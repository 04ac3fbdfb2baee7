package dev.sextant.ambient;

import dev.sextant.krt.Collection;
import dev.sextant.krt.Index;
import dev.sextant.model.MeshNetwork;
import dev.sextant.model.MeshSettings;
import dev.sextant.model.NetworkGateway;
import dev.sextant.model.NodeLocality;
import dev.sextant.model.ServiceInfo;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

/**
 * What workload builders read besides their own input.
 *
 * @param services the deduplicated services, by key
 * @param servicesBySelectorAnchor those services by selector anchor ({@link ServiceInfo#selectorAnchor()})
 * @param slicesByPodRef EndpointSlices of a Service by the pods they target ({@code ns/name/uid})
 * @param policies the policies workloads list in {@code authorization_policies}
 * @param gatewaysByNetwork network gateways by network
 */
public record WorkloadLookups(
    MeshSettings mesh,
    Collection<MeshNetwork> network,
    Collection<NodeLocality> nodes,
    Collection<ServiceInfo> services,
    Index<String, ServiceInfo> servicesBySelectorAnchor,
    Index<String, EndpointSlice> slicesByPodRef,
    WaypointResolver waypoints,
    Policies policies,
    Index<String, NetworkGateway> gatewaysByNetwork) {

  /** The {@code network_gateway} of a workload in {@code network}, or null. */
  public dev.sextant.api.workload.GatewayAddress networkGateway(dev.sextant.krt.Context ctx, String network) {
    return NetworkGateways.forNetwork(ctx, gatewaysByNetwork, network);
  }

  /** The index key of a pod target: {@code namespace/name/uid}. */
  public static String podRef(String namespace, String name, String uid) {
    return namespace + "/" + name + "/" + (uid == null ? "" : uid);
  }
}
