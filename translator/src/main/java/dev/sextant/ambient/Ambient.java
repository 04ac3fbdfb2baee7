package dev.sextant.ambient;

import dev.sextant.convert.AuthorizationPolicyConverter;
import dev.sextant.krt.Collection;
import dev.sextant.krt.Index;
import dev.sextant.krt.Krt;
import dev.sextant.model.MeshNetwork;
import dev.sextant.model.MeshSettings;
import dev.sextant.model.NetworkGateway;
import dev.sextant.model.NodeLocality;
import dev.sextant.model.ServiceInfo;
import dev.sextant.model.Waypoint;
import dev.sextant.model.WorkloadInfo;
import dev.sextant.source.Inputs;
import java.util.List;

/**
 * The ambient translation graph: inputs to the workloads and services ztunnel is sent
 * (istio/istio {@code pilot/pkg/serviceregistry/ambient/ambientindex.go}).
 *
 * <pre>
 * informer/Namespaces ----------------------------> MeshNetwork
 * informer/Nodes ---------------------------------> NodeLocalities
 * informer/Gateways (+GatewayClasses, Pods) ------> Waypoints
 * informer/Services -------> ServicesInfo \
 * informer/ServiceEntries -> ServiceEntriesInfo --> ServiceCandidates --> Services (deduplicated)
 * informer/Pods ----------> PodWorkloads           \
 * informer/WorkloadEntries -> WorkloadEntryWorkloads \
 * informer/ServiceEntries -> ServiceEntryWorkloads ---> Workloads
 * informer/EndpointSlices -> EndpointSliceWorkloads /
 * informer/Gateways ------> NetworkGateways -> NetworkGatewayWorkloads /
 * informer/AuthorizationPolicies, PeerAuthentications --> Policies (see {@link Policies})
 * </pre>
 */
public record Ambient(
    Collection<MeshNetwork> network,
    Collection<Waypoint> waypoints,
    Collection<ServiceInfo> services,
    Index<String, ServiceInfo> servicesBySelectorAnchor,
    Collection<WorkloadInfo> podWorkloads,
    Collection<WorkloadInfo> workloads,
    Policies policies) {

  public static Ambient build(Krt krt, Inputs inputs, MeshSettings mesh) {
    return build(krt, inputs, mesh, AuthorizationPolicyConverter.Options.defaults(mesh.rootNamespace()));
  }

  public static Ambient build(Krt krt, Inputs inputs, MeshSettings mesh, AuthorizationPolicyConverter.Options options) {
    Policies policies = Policies.build(krt, inputs, mesh, options);
    Collection<MeshNetwork> network = krt.singleton("MeshNetwork", ctx -> new MeshNetwork(
        ctx.fetchOne(inputs.namespaces(), mesh.systemNamespace())
            .map(ns -> ns.getMetadata().getLabels())
            .map(labels -> labels.getOrDefault("topology.istio.io/network", ""))
            .orElse("")));
    Collection<NodeLocality> nodes = krt.map(inputs.nodes(), "NodeLocalities", (ctx, node) ->
        new NodeLocality(node.getMetadata().getName(), NodeLocalities.of(node)));

    Index<String, io.fabric8.kubernetes.api.model.Pod> podsByGatewayName =
        Index.of(inputs.pods(), "podsByGatewayName", WaypointBuilder::gatewayNameKey);
    Collection<Waypoint> waypoints = krt.map(inputs.gateways(), "Waypoints",
        new WaypointBuilder(network, inputs.gatewayClasses(), podsByGatewayName));
    WaypointResolver resolver = new WaypointResolver(waypoints, inputs.namespaces());

    ServiceBuilder serviceBuilder = new ServiceBuilder(mesh, network, inputs.namespaces(), resolver);
    Collection<ServiceInfo> kubeServices = krt.flatMap(inputs.services(), "ServicesInfo", (ctx, s) -> {
      ServiceInfo info = serviceBuilder.apply(ctx, s);
      return info == null ? List.of() : List.of(info);
    }, ServiceInfo::candidateKey);
    Collection<ServiceInfo> entryServices = krt.flatMap(inputs.serviceEntries(), "ServiceEntriesInfo",
        new ServiceEntryServiceBuilder(network, inputs.namespaces(), resolver), ServiceInfo::candidateKey);
    Collection<ServiceInfo> candidates = krt.join("ServiceCandidates", kubeServices, entryServices);
    Index<String, ServiceInfo> byHostname = Index.of(candidates, "serviceCandidatesByHostname",
        s -> List.of(s.service().getHostname()));
    Collection<ServiceInfo> services = krt.map(candidates, "Services", new ServiceSelection(byHostname));
    Index<String, ServiceInfo> bySelector = Index.of(services, "servicesBySelectorAnchor", s -> {
      String anchor = s.selectorAnchor();
      return anchor == null ? List.of() : List.of(anchor);
    });
    Index<String, ServiceInfo> bySource = Index.of(services, "servicesBySource",
        s -> List.of(s.source().key()));
    Index<String, io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice> slicesByPodRef =
        Index.of(inputs.endpointSlices(), "endpointSlicesByPodRef", PodWorkloadBuilder::podRefs);

    Collection<NetworkGateway> networkGateways = krt.flatMap(inputs.gateways(), "NetworkGateways",
        (ctx, gw) -> NetworkGateways.of(gw));
    Index<String, NetworkGateway> gatewaysByNetwork = Index.of(networkGateways, "networkGatewaysByNetwork",
        g -> List.of(g.network()));
    WorkloadLookups lookups = new WorkloadLookups(mesh, network, nodes, services, bySelector, slicesByPodRef,
        resolver, policies, gatewaysByNetwork);
    Collection<WorkloadInfo> podWorkloads = krt.map(inputs.pods(), "PodWorkloads",
        new PodWorkloadBuilder(lookups));
    Collection<WorkloadInfo> entryWorkloads = krt.map(inputs.workloadEntries(), "WorkloadEntryWorkloads",
        new WorkloadEntryWorkloadBuilder(lookups));
    Collection<WorkloadInfo> serviceEntryWorkloads = krt.flatMap(inputs.serviceEntries(), "ServiceEntryWorkloads",
        new ServiceEntryWorkloadBuilder(lookups, bySource));
    Collection<WorkloadInfo> sliceWorkloads = krt.flatMap(inputs.endpointSlices(), "EndpointSliceWorkloads",
        new EndpointSliceWorkloadBuilder(mesh, network, services));
    Collection<WorkloadInfo> gatewayWorkloads = krt.map(networkGateways, "NetworkGatewayWorkloads",
        (ctx, g) -> NetworkGateways.workload(g, mesh));
    Collection<WorkloadInfo> workloads = krt.join("Workloads",
        podWorkloads, entryWorkloads, serviceEntryWorkloads, sliceWorkloads, gatewayWorkloads);
    return new Ambient(network, waypoints, services, bySelector, podWorkloads, workloads, policies);
  }
}
