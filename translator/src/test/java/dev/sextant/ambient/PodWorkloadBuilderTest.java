package dev.sextant.ambient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sextant.api.workload.AppProtocol;
import dev.sextant.api.workload.Locality;
import dev.sextant.api.workload.NetworkMode;
import dev.sextant.api.workload.Port;
import dev.sextant.api.workload.PortList;
import dev.sextant.api.workload.Service;
import dev.sextant.api.workload.TunnelProtocol;
import dev.sextant.api.workload.Workload;
import dev.sextant.api.workload.WorkloadStatus;
import dev.sextant.api.workload.WorkloadType;
import dev.sextant.krt.Context;
import dev.sextant.krt.Index;
import dev.sextant.krt.Krt;
import dev.sextant.krt.StaticCollection;
import dev.sextant.model.MeshNetwork;
import dev.sextant.model.MeshSettings;
import dev.sextant.model.NodeLocality;
import dev.sextant.model.Waypoint;
import dev.sextant.model.ServiceInfo;
import dev.sextant.model.WorkloadInfo;
import dev.sextant.source.ObjectKeys;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pod to Workload (wds-spec §2.2 to §2.5; istio/istio {@code pilot/pkg/serviceregistry/ambient/workloads.go
 * podWorkloadBuilder}, {@code constructServices}, {@code helpers.go FindPortName}), called directly with
 * in-memory inputs and {@link Context#untracked()}.
 */
class PodWorkloadBuilderTest {
  private static final KubernetesSerialization K8S = new KubernetesSerialization();
  private static final MeshSettings MESH = MeshSettings.defaults().withClusterId("cluster0");

  private final Krt krt = new Krt("t");
  private final StaticCollection<MeshNetwork> network = krt.input("MeshNetwork", MeshNetwork::key);
  private final StaticCollection<NodeLocality> nodes = krt.input("NodeLocalities", NodeLocality::key);
  private final StaticCollection<io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway> gateways =
      krt.input("informer/Gateways", ObjectKeys::of);
  private final StaticCollection<Waypoint> waypoints = krt.input("Waypoints", Waypoint::key);
  private final Index<String, dev.sextant.model.NetworkGateway> gatewaysByNetwork = Index.of(
      krt.<dev.sextant.model.NetworkGateway>input("NetworkGateways", dev.sextant.model.NetworkGateway::key),
      "networkGatewaysByNetwork", g -> List.of(g.network()));
  private final Policies policies = Policies.build(krt, dev.sextant.source.Inputs.create(krt), MESH,
      dev.sextant.convert.AuthorizationPolicyConverter.Options.defaults(MESH.rootNamespace()));
  private final StaticCollection<io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice> slices =
      krt.input("informer/EndpointSlices", ObjectKeys::of);
  private final Index<String, io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice> slicesByPodRef =
      Index.of(slices, "endpointSlicesByPodRef", PodWorkloadBuilder::podRefs);
  private final StaticCollection<Namespace> namespaces = krt.input("informer/Namespaces", ObjectKeys::of);
  private final StaticCollection<ServiceInfo> services = krt.input("Services", ServiceInfo::key);
  // The same index Ambient.build declares.
  private final Index<String, ServiceInfo> bySelector = Index.of(services, "servicesBySelectorAnchor", s -> {
    String anchor = s.selectorAnchor();
    return anchor == null ? List.of() : List.of(anchor);
  });

  @AfterEach
  void close() {
    krt.close();
  }

  private WorkloadInfo build(MeshSettings mesh, Pod pod) {
    WorkloadLookups lookups = new WorkloadLookups(mesh, network, nodes, services, bySelector, slicesByPodRef,
        new WaypointResolver(waypoints, namespaces), policies, gatewaysByNetwork);
    return new PodWorkloadBuilder(lookups).apply(Context.untracked(), pod);
  }

  private Workload workload(Pod pod) {
    WorkloadInfo info = build(MESH, pod);
    assertNotNull(info, "expected a workload");
    return info.workload();
  }

  private static Pod pod(String yaml) {
    return K8S.unmarshal(yaml, Pod.class);
  }

  /** A running, ready pod ns/name with IP 1.2.3.4 and the given labels (YAML flow map). */
  private static Pod readyPod(String labels) {
    return pod("""
        apiVersion: v1
        kind: Pod
        metadata: {name: name, namespace: ns, labels: %s}
        spec: {}
        status:
          phase: Running
          podIP: 1.2.3.4
          conditions: [{type: Ready, status: "True"}]
        """.formatted(labels));
  }

  private static ByteString ip(int a, int b, int c, int d) {
    return ByteString.copyFrom(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
  }

  private static ServiceInfo serviceInfo(String name, Map<String, String> selector, Map<Integer, String> named,
      Port... ports) {
    Service svc = Service.newBuilder()
        .setName(name).setNamespace("ns").setHostname(name + ".ns.svc.cluster.local")
        .addAllPorts(List.of(ports))
        .build();
    return new ServiceInfo(svc, selector, named);
  }

  private static Port port(int service, int target) {
    return Port.newBuilder().setServicePort(service).setTargetPort(target).build();
  }

  // ---- which pods are sent (§2.2) ----

  @Test
  void apply_pendingPodWithIp_matchesUpstreamExample() {
    network.upsert(new MeshNetwork("testnetwork"));
    Pod p = pod("""
        metadata: {name: name, namespace: ns}
        spec: {}
        status: {phase: Pending, podIP: 1.2.3.4}
        """);
    Workload expected = Workload.newBuilder()
        .setUid("cluster0//Pod/ns/name")
        .setName("name")
        .setNamespace("ns")
        .addAddresses(ip(1, 2, 3, 4))
        .setNetwork("testnetwork")
        .setCanonicalName("name")
        .setCanonicalRevision("latest")
        .setWorkloadType(WorkloadType.POD)
        .setWorkloadName("name")
        .setStatus(WorkloadStatus.UNHEALTHY)
        .setClusterId("cluster0")
        .build();
    assertEquals(expected, workload(p));
  }

  @Test
  void apply_pendingPodWithoutIp_producesNothing() {
    assertNull(build(MESH, pod("""
        metadata: {name: name, namespace: ns}
        status: {phase: Pending}
        """)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Succeeded", "Failed"})
  void apply_terminalPodWithIp_producesNothing(String phase) {
    assertNull(build(MESH, pod("""
        metadata: {name: name, namespace: ns}
        status: {phase: %s, podIP: 1.2.3.4, conditions: [{type: Ready, status: "True"}]}
        """.formatted(phase))));
  }

  @Test
  void apply_podWithoutStatus_producesNothing() {
    assertNull(build(MESH, pod("metadata: {name: name, namespace: ns}")));
  }

  @Test
  void apply_terminatingPod_isSentUnhealthy() {
    Workload w = workload(pod("""
        metadata: {name: name, namespace: ns, deletionTimestamp: "2026-01-01T00:00:00Z"}
        status: {phase: Running, podIP: 1.2.3.4, conditions: [{type: Ready, status: "True"}]}
        """));
    assertEquals(WorkloadStatus.UNHEALTHY, w.getStatus());
  }

  @Test
  void apply_podNotInAmbient_isStillSent() {
    // Enrollment is not an input filter (§2.1): a pod with dataplane-mode none is sent, with no tunnel.
    Workload w = workload(readyPod("{istio.io/dataplane-mode: none}"));
    assertEquals(TunnelProtocol.NONE, w.getTunnelProtocol());
  }

  @Test
  void apply_dualStackPodIps_sendsBothInOrder() {
    Workload w = workload(pod("""
        metadata: {name: name, namespace: ns}
        status:
          phase: Running
          podIP: 10.0.0.1
          podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}]
        """));
    assertEquals(List.of(ip(10, 0, 0, 1), ByteString.copyFrom(IpAddresses.parse("fd00::1"))), w.getAddressesList());
    assertEquals(16, w.getAddresses(1).size());
  }

  @Test
  void apply_podIpsAndPodIp_podIpsWin() {
    Workload w = workload(pod("""
        metadata: {name: name, namespace: ns}
        status: {phase: Running, podIP: 9.9.9.9, podIPs: [{ip: 10.0.0.1}]}
        """));
    assertEquals(List.of(ip(10, 0, 0, 1)), w.getAddressesList());
  }

  @Test
  void apply_unparsablePodIp_producesNothing() {
    assertNull(build(MESH, pod("""
        metadata: {name: name, namespace: ns}
        status: {phase: Running, podIPs: [{ip: 10.0.0.1}, {ip: not-an-ip}]}
        """)));
    assertNull(build(MESH, pod("""
        metadata: {name: name, namespace: ns}
        status: {phase: Running, podIP: 10.0.0.256}
        """)));
  }

  // ---- fields (§2.2) ----

  @Test
  void uid_format_isClusterDoubleSlashPodNamespaceName() {
    assertEquals("Kubernetes//Pod/default/web-0", PodWorkloadBuilder.uid("Kubernetes", "default", "web-0"));
  }

  @Test
  void apply_anyPod_keyIsUid() {
    WorkloadInfo info = build(MESH.withClusterId("c1"), readyPod("{}"));
    assertEquals("c1//Pod/ns/name", info.key());
    assertEquals("c1//Pod/ns/name", info.workload().getUid());
    assertEquals("c1", info.workload().getClusterId());
  }

  @Test
  void apply_specFields_copiedExactly() {
    Workload w = workload(pod("""
        metadata: {name: web-0, namespace: shop}
        spec: {serviceAccountName: web-sa, nodeName: node-1}
        status: {phase: Running, podIP: 10.1.2.3}
        """));
    assertEquals("web-0", w.getName());
    assertEquals("shop", w.getNamespace());
    assertEquals("web-sa", w.getServiceAccount());
    assertEquals("node-1", w.getNode());
    assertEquals("", w.getHostname());
    assertEquals(NetworkMode.STANDARD, w.getNetworkMode());
    assertFalse(w.hasCapacity());
    assertFalse(w.hasWaypoint());
    assertFalse(w.hasNetworkGateway());
  }

  @Test
  void apply_unscheduledPod_hasNoNodeAndNoLocality() {
    Workload w = workload(readyPod("{}"));
    assertEquals("", w.getNode());
    assertFalse(w.hasLocality());
  }

  @Test
  void apply_hostNetworkPod_isHostNetworkMode() {
    Workload w = workload(pod("""
        metadata: {name: name, namespace: ns}
        spec: {hostNetwork: true, nodeName: n1}
        status: {phase: Running, podIP: 172.18.0.2}
        """));
    assertEquals(NetworkMode.HOST_NETWORK, w.getNetworkMode());
  }

  @Test
  void apply_defaultTrustDomain_isLeftEmpty() {
    assertEquals("", workload(readyPod("{}")).getTrustDomain());
  }

  @Test
  void apply_customTrustDomain_isSent() {
    assertEquals("example.org", build(MESH.withTrustDomain("example.org"), readyPod("{}")).workload().getTrustDomain());
  }

  @Test
  void apply_noNetworkKnown_networkIsEmpty() {
    assertEquals("", workload(readyPod("{}")).getNetwork());
  }

  @Test
  void apply_networkKnown_networkIsSet() {
    network.upsert(new MeshNetwork("nw-east"));
    assertEquals("nw-east", workload(readyPod("{}")).getNetwork());
  }

  // ---- status ----

  @Test
  void apply_readyConditionTrue_isHealthy() {
    assertEquals(WorkloadStatus.HEALTHY, workload(readyPod("{}")).getStatus());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "[{type: Ready, status: \"False\"}]",
      "[{type: Ready, status: Unknown}]",
      "[{type: ContainersReady, status: \"True\"}, {type: PodScheduled, status: \"True\"}]",
      "[]",
  })
  void apply_readyConditionNotTrue_isUnhealthy(String conditions) {
    Workload w = workload(pod("""
        metadata: {name: name, namespace: ns}
        status: {phase: Running, podIP: 1.2.3.4, conditions: %s}
        """.formatted(conditions)));
    assertEquals(WorkloadStatus.UNHEALTHY, w.getStatus());
  }

  // ---- locality from the Node ----

  private void node(String name, Map<String, String> labels) {
    nodes.upsert(new NodeLocality(name,
        NodeLocalities.of(new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build())));
  }

  private Workload onNode(String nodeName) {
    return workload(pod("""
        metadata: {name: name, namespace: ns}
        spec: {nodeName: %s}
        status: {phase: Pending, podIP: 1.2.3.4}
        """.formatted(nodeName)));
  }

  @Test
  void apply_nodeWithTopologyLabels_setsLocality() {
    node("node", Map.of(
        "topology.kubernetes.io/region", "region",
        "topology.kubernetes.io/zone", "zone",
        "topology.istio.io/subzone", "rack-1",
        "kubernetes.io/hostname", "node"));
    Workload w = onNode("node");
    assertEquals("node", w.getNode());
    assertEquals(Locality.newBuilder().setRegion("region").setZone("zone").setSubzone("rack-1").build(),
        w.getLocality());
  }

  @Test
  void apply_nodeWithRegionAndZoneOnly_matchesUpstreamExample() {
    node("node", Map.of("topology.kubernetes.io/region", "region", "topology.kubernetes.io/zone", "zone"));
    assertEquals(Locality.newBuilder().setRegion("region").setZone("zone").build(), onNode("node").getLocality());
  }

  @Test
  void apply_nodeWithOnlySubzone_setsLocality() {
    node("node", Map.of("topology.istio.io/subzone", "s"));
    assertEquals(Locality.newBuilder().setSubzone("s").build(), onNode("node").getLocality());
  }

  @Test
  void apply_nodeWithoutTopologyLabels_noLocality() {
    node("bare", Map.of("kubernetes.io/hostname", "bare"));
    node("empty", Map.of("topology.kubernetes.io/region", "", "topology.kubernetes.io/zone", ""));
    node("nolabels", null);
    assertFalse(onNode("bare").hasLocality());
    assertFalse(onNode("empty").hasLocality());
    assertFalse(onNode("nolabels").hasLocality());
  }

  @Test
  void apply_unknownNode_noLocalityButNodeSet() {
    node("other", Map.of("topology.kubernetes.io/region", "r"));
    Workload w = onNode("missing");
    assertEquals("missing", w.getNode());
    assertFalse(w.hasLocality());
  }

  @Test
  void apply_legacyFailureDomainLabels_areNotRead() {
    node("node", Map.of("failure-domain.beta.kubernetes.io/region", "r", "failure-domain.beta.kubernetes.io/zone", "z"));
    assertFalse(onNode("node").hasLocality());
  }

  // ---- tunnel protocol (§2.3) ----

  private Workload withMeta(String labels, String annotations) {
    return workload(pod("""
        metadata: {name: name, namespace: ns, labels: %s, annotations: %s}
        status: {phase: Running, podIP: 1.2.3.4}
        """.formatted(labels, annotations)));
  }

  @Test
  void apply_cniRedirectionEnabled_isHbone() {
    Workload w = withMeta("{istio.io/dataplane-mode: ambient}", "{ambient.istio.io/redirection: enabled}");
    assertEquals(TunnelProtocol.HBONE, w.getTunnelProtocol());
    assertFalse(w.getNativeTunnel());
  }

  @ParameterizedTest
  @ValueSource(strings = {"pending", "Enabled", "true", "disabled", "''"})
  void apply_cniRedirectionNotEnabled_isNone(String value) {
    Workload w = withMeta("{istio.io/dataplane-mode: ambient}", "{ambient.istio.io/redirection: " + value + "}");
    assertEquals(TunnelProtocol.NONE, w.getTunnelProtocol());
  }

  @Test
  void apply_ambientLabelWithoutCniAnnotation_isNone() {
    assertEquals(TunnelProtocol.NONE, withMeta("{istio.io/dataplane-mode: ambient}", "{}").getTunnelProtocol());
  }

  @ParameterizedTest
  @ValueSource(strings = {"http", "tcp,http", "http,tcp", "foo,http,bar"})
  void apply_tunnelLabelListsHttp_isHboneNativeTunnel(String value) {
    Workload w = withMeta("{networking.istio.io/tunnel: '" + value + "'}", "{}");
    assertEquals(TunnelProtocol.HBONE, w.getTunnelProtocol());
    assertTrue(w.getNativeTunnel());
  }

  @ParameterizedTest
  @ValueSource(strings = {"tcp", "HTTP", "https", "http2", "''"})
  void apply_tunnelLabelWithoutHttp_isNone(String value) {
    Workload w = withMeta("{networking.istio.io/tunnel: '" + value + "'}", "{}");
    assertEquals(TunnelProtocol.NONE, w.getTunnelProtocol());
    assertFalse(w.getNativeTunnel());
  }

  @Test
  void apply_tunnelLabelEntryWithSpaces_isNotHttp() {
    // Regression: entries were trimmed, so "tcp, http" counted as http. istiod splits on "," and
    // compares the entries as written (pilot/pkg/model/service.go SupportsTunnel).
    Workload w = withMeta("{networking.istio.io/tunnel: 'tcp, http'}", "{}");
    assertEquals(TunnelProtocol.NONE, w.getTunnelProtocol());
    assertFalse(w.getNativeTunnel());
  }

  @Test
  void apply_redirectionAndTunnelLabel_isHboneNativeTunnel() {
    Workload w = withMeta("{networking.istio.io/tunnel: http}", "{ambient.istio.io/redirection: enabled}");
    assertEquals(TunnelProtocol.HBONE, w.getTunnelProtocol());
    assertTrue(w.getNativeTunnel());
  }

  @Test
  void apply_sidecarTlsModeLabel_isNeverLegacyMtls() {
    Workload w = withMeta("{security.istio.io/tlsMode: istio}", "{sidecar.istio.io/status: '{}'}");
    assertEquals(TunnelProtocol.NONE, w.getTunnelProtocol());
  }

  // ---- names and type (§2.5) ----

  @Test
  void apply_podFromReplicaSet_matchesUpstreamExample() {
    Workload w = workload(pod("""
        metadata:
          name: rs-xvnqd
          namespace: ns
          generateName: rs-
          ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u1, controller: true}]
        status: {phase: Running, podIP: 1.2.3.4}
        """));
    assertEquals("cluster0//Pod/ns/rs-xvnqd", w.getUid());
    assertEquals("rs-xvnqd", w.getName());
    assertEquals("rs", w.getWorkloadName());
    assertEquals("rs", w.getCanonicalName());
    assertEquals("latest", w.getCanonicalRevision());
    assertEquals(WorkloadType.POD, w.getWorkloadType());
  }

  @ParameterizedTest
  @ValueSource(strings = {"ReplicaSet", "Job", "StatefulSet", "DaemonSet"})
  void apply_anyController_workloadTypeIsPod(String kind) {
    Workload w = workload(pod("""
        metadata:
          name: x-28912345-abcde
          namespace: ns
          generateName: x-28912345-
          labels: {pod-template-hash: "28912345"}
          ownerReferences: [{apiVersion: v1, kind: %s, name: x-28912345, uid: u1, controller: true}]
        status: {phase: Running, podIP: 1.2.3.4}
        """.formatted(kind)));
    assertEquals(WorkloadType.POD, w.getWorkloadType());
    assertEquals(kind.equals("ReplicaSet") || kind.equals("Job") ? "x" : "x-28912345", w.getWorkloadName());
  }

  @Test
  void apply_canonicalLabels_setNameAndRevision() {
    Workload w = workload(readyPod("{app: reviews, version: v2}"));
    assertEquals("reviews", w.getCanonicalName());
    assertEquals("v2", w.getCanonicalRevision());
    assertEquals("name", w.getWorkloadName());
  }

  @Test
  void apply_anyPod_labelsCarriedForPolicySelection() {
    WorkloadInfo info = build(MESH, readyPod("{app: reviews, version: v2}"));
    assertEquals(Map.of("app", "reviews", "version", "v2"), info.labels());
  }

  // ---- services (§2.4) ----

  @Test
  void apply_serviceSelectsPod_servicesKeyedByNamespaceSlashHostname() {
    services.upsert(serviceInfo("svc", Map.of("app", "foo"), Map.of(), port(80, 8080)));
    Workload w = workload(readyPod("{app: foo}"));
    assertEquals(Map.of("ns/svc.ns.svc.cluster.local", PortList.newBuilder().addPorts(port(80, 8080)).build()),
        w.getServicesMap());
    assertEquals("foo", w.getCanonicalName());
    assertEquals(WorkloadStatus.HEALTHY, w.getStatus());
  }

  @Test
  void apply_selectorNotSubsetOfLabels_notSelected() {
    services.upsert(serviceInfo("a", Map.of("app", "foo", "tier", "db"), Map.of(), port(80, 80)));
    services.upsert(serviceInfo("b", Map.of("app", "bar"), Map.of(), port(80, 80)));
    assertTrue(workload(readyPod("{app: foo}")).getServicesMap().isEmpty());
  }

  @Test
  void apply_multiLabelSelector_selectedWhenAllLabelsMatch() {
    // The anchor is the first selector entry in key order ("app"); the pod's other labels must still match.
    services.upsert(serviceInfo("a", Map.of("tier", "db", "app", "foo"), Map.of(), port(80, 80)));
    assertTrue(workload(readyPod("{app: foo, tier: web}")).getServicesMap().isEmpty());
    assertEquals(List.of("ns/a.ns.svc.cluster.local"),
        List.copyOf(workload(readyPod("{app: foo, tier: db, extra: x}")).getServicesMap().keySet()));
  }

  @Test
  void apply_emptySelector_selectsNothing() {
    services.upsert(serviceInfo("none", Map.of(), Map.of(), port(80, 80)));
    assertTrue(workload(readyPod("{app: foo}")).getServicesMap().isEmpty());
  }

  @Test
  void apply_serviceInOtherNamespace_notSelected() {
    Service other = Service.newBuilder()
        .setName("svc").setNamespace("other").setHostname("svc.other.svc.cluster.local")
        .addPorts(port(80, 80)).build();
    services.upsert(new ServiceInfo(other, Map.of("app", "foo"), Map.of()));
    assertTrue(workload(readyPod("{app: foo}")).getServicesMap().isEmpty());
  }

  @Test
  void apply_severalServicesSelect_allListed() {
    services.upsert(serviceInfo("a", Map.of("app", "foo"), Map.of(), port(80, 8080)));
    services.upsert(serviceInfo("b", Map.of("version", "v1"), Map.of(), port(9090, 9090)));
    services.upsert(serviceInfo("c", Map.of("app", "foo", "version", "v1"), Map.of(), port(1, 2)));
    Map<String, PortList> s = workload(readyPod("{app: foo, version: v1}")).getServicesMap();
    assertEquals(3, s.size());
    assertEquals(PortList.newBuilder().addPorts(port(9090, 9090)).build(), s.get("ns/b.ns.svc.cluster.local"));
  }

  @Test
  void apply_namedTargetPorts_matchesUpstreamExample() {
    // 80 -> 8080 numeric; 81 -> "81-target" found (9090); 82 -> "82-target" not in the pod: dropped.
    services.upsert(serviceInfo("svc", Map.of("app", "foo"), Map.of(81, "81-target", 82, "82-target"),
        port(80, 8080), port(81, 0), port(82, 0)));
    Workload w = workload(pod("""
        metadata: {name: name, namespace: ns, labels: {app: foo}}
        spec:
          containers:
          - name: app
            ports: [{name: 81-target, containerPort: 9090, protocol: TCP}]
        status: {phase: Running, podIP: 1.2.3.4, conditions: [{type: Ready, status: "True"}]}
        """));
    assertEquals(PortList.newBuilder().addPorts(port(80, 8080)).addPorts(port(81, 9090)).build(),
        w.getServicesOrThrow("ns/svc.ns.svc.cluster.local"));
  }

  @Test
  void apply_everyPortDropped_keyStillPresentWithEmptyList() {
    services.upsert(serviceInfo("svc", Map.of("app", "foo"), Map.of(80, "http"), port(80, 0)));
    Workload w = workload(readyPod("{app: foo}"));
    assertEquals(Map.of("ns/svc.ns.svc.cluster.local", PortList.getDefaultInstance()), w.getServicesMap());
  }

  @Test
  void apply_namedPortOnNativeSidecarInitContainer_isResolved() {
    services.upsert(serviceInfo("svc", Map.of("app", "foo"), Map.of(80, "proxy"), port(80, 0)));
    Workload w = workload(pod("""
        metadata: {name: name, namespace: ns, labels: {app: foo}}
        spec:
          initContainers:
          - name: sidecar
            restartPolicy: Always
            ports: [{name: proxy, containerPort: 15001, protocol: TCP}]
          containers: [{name: app}]
        status: {phase: Running, podIP: 1.2.3.4}
        """));
    assertEquals(List.of(port(80, 15001)), w.getServicesOrThrow("ns/svc.ns.svc.cluster.local").getPortsList());
  }

  @Test
  void apply_namedPortOnlyOnOrdinaryInitContainer_isDropped() {
    services.upsert(serviceInfo("svc", Map.of("app", "foo"), Map.of(80, "proxy"), port(80, 0)));
    Workload w = workload(pod("""
        metadata: {name: name, namespace: ns, labels: {app: foo}}
        spec:
          initContainers:
          - name: setup
            ports: [{name: proxy, containerPort: 15001, protocol: TCP}]
          - name: other
            restartPolicy: OnFailure
            ports: [{name: proxy, containerPort: 15002, protocol: TCP}]
          containers: [{name: app}]
        status: {phase: Running, podIP: 1.2.3.4}
        """));
    assertEquals(List.of(), w.getServicesOrThrow("ns/svc.ns.svc.cluster.local").getPortsList());
  }

  @Test
  void apply_namedPortInContainerAndSidecar_containerWins() {
    services.upsert(serviceInfo("svc", Map.of("app", "foo"), Map.of(80, "web"), port(80, 0)));
    Workload w = workload(pod("""
        metadata: {name: name, namespace: ns, labels: {app: foo}}
        spec:
          initContainers:
          - {name: sidecar, restartPolicy: Always, ports: [{name: web, containerPort: 1111, protocol: TCP}]}
          containers:
          - {name: a, ports: [{name: other, containerPort: 2222, protocol: TCP}]}
          - {name: b, ports: [{name: web, containerPort: 3333, protocol: TCP}]}
        status: {phase: Running, podIP: 1.2.3.4}
        """));
    assertEquals(List.of(port(80, 3333)), w.getServicesOrThrow("ns/svc.ns.svc.cluster.local").getPortsList());
  }

  @Test
  void apply_namedPortOnlyUdpOrSctp_isDropped() {
    services.upsert(serviceInfo("svc", Map.of("app", "foo"), Map.of(53, "dns", 54, "sig"), port(53, 0), port(54, 0)));
    Workload w = workload(pod("""
        metadata: {name: name, namespace: ns, labels: {app: foo}}
        spec:
          containers:
          - name: app
            ports:
            - {name: dns, containerPort: 5353, protocol: UDP}
            - {name: sig, containerPort: 5454, protocol: SCTP}
        status: {phase: Running, podIP: 1.2.3.4}
        """));
    assertEquals(List.of(), w.getServicesOrThrow("ns/svc.ns.svc.cluster.local").getPortsList());
  }

  @Test
  void apply_namedPortWithoutProtocol_isTcpAsTheApiServerDefaults() {
    services.upsert(serviceInfo("svc", Map.of("app", "foo"), Map.of(80, "http"), port(80, 0)));
    Workload w = workload(pod("""
        metadata: {name: name, namespace: ns, labels: {app: foo}}
        spec:
          containers: [{name: app, ports: [{name: http, containerPort: 8080}]}]
        status: {phase: Running, podIP: 1.2.3.4}
        """));
    assertEquals(List.of(port(80, 8080)), w.getServicesOrThrow("ns/svc.ns.svc.cluster.local").getPortsList());
  }

  @Test
  void apply_kubernetesServiceWithNamedTargetPort_resolvedPerPod() {
    // End to end through ServiceBuilder: the Service keeps target 0 and app_protocol, the pod's list
    // carries the container port and no app_protocol.
    ServiceInfo svc = new ServiceBuilder(MESH, network, namespaces, new WaypointResolver(waypoints, namespaces)).apply(Context.untracked(),
        K8S.unmarshal("""
            apiVersion: v1
            kind: Service
            metadata: {name: reviews, namespace: ns}
            spec:
              clusterIP: 10.96.0.10
              selector: {app: reviews}
              ports:
              - {name: http, port: 9080, targetPort: http-web}
              - {name: grpc, port: 9090, targetPort: 19090}
            """, io.fabric8.kubernetes.api.model.Service.class));
    assertEquals(0, svc.service().getPorts(0).getTargetPort());
    assertEquals(AppProtocol.HTTP11, svc.service().getPorts(0).getAppProtocol());
    services.upsert(svc);

    Workload v1 = workload(pod("""
        metadata: {name: reviews-v1, namespace: ns, labels: {app: reviews}}
        spec:
          containers: [{name: app, ports: [{name: http-web, containerPort: 8080, protocol: TCP}]}]
        status: {phase: Running, podIP: 1.2.3.4}
        """));
    Workload v2 = workload(pod("""
        metadata: {name: reviews-v2, namespace: ns, labels: {app: reviews}}
        spec:
          containers: [{name: app, ports: [{name: http-web, containerPort: 8081, protocol: TCP}]}]
        status: {phase: Running, podIP: 1.2.3.5}
        """));
    String key = "ns/reviews.ns.svc.cluster.local";
    assertEquals(List.of(port(9080, 8080), port(9090, 19090)), v1.getServicesOrThrow(key).getPortsList());
    assertEquals(List.of(port(9080, 8081), port(9090, 19090)), v2.getServicesOrThrow(key).getPortsList());
  }

  @Test
  void ports_serviceWithAppProtocol_workloadListHasNone() {
    ServiceInfo svc = new ServiceInfo(Service.newBuilder()
        .setName("s").setNamespace("ns").setHostname("s.ns.svc.cluster.local")
        .addPorts(Port.newBuilder().setServicePort(80).setTargetPort(8080).setAppProtocol(AppProtocol.HTTP11))
        .build(), Map.of("app", "foo"), Map.of());
    assertEquals(PortList.newBuilder().addPorts(port(80, 8080)).build(),
        WorkloadPorts.forPod(readyPod("{app: foo}"), List.of(svc)).get(svc.key()));
  }
}
