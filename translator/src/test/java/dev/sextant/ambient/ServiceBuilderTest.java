package dev.sextant.ambient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sextant.api.workload.AppProtocol;
import dev.sextant.api.workload.IPFamilies;
import dev.sextant.api.workload.LoadBalancing;
import dev.sextant.api.workload.NetworkAddress;
import dev.sextant.api.workload.Port;
import dev.sextant.krt.Context;
import dev.sextant.krt.Krt;
import dev.sextant.krt.StaticCollection;
import dev.sextant.model.MeshNetwork;
import dev.sextant.model.MeshSettings;
import dev.sextant.model.Waypoint;
import dev.sextant.model.ServiceInfo;
import dev.sextant.source.ObjectKeys;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kubernetes Service to {@code istio.workload.Service} (wds-spec §2.6; istio/istio
 * {@code pilot/pkg/serviceregistry/ambient/services.go constructService}, {@code services_test.go},
 * {@code pilot/pkg/model/service.go GetTrafficDistribution}).
 */
class ServiceBuilderTest {
  private static final KubernetesSerialization K8S = new KubernetesSerialization();
  private static final MeshSettings MESH = MeshSettings.defaults().withDomainSuffix("domain.suffix");

  private static final LoadBalancing PREFER_SAME_ZONE = LoadBalancing.newBuilder()
      .addRoutingPreference(LoadBalancing.Scope.NETWORK)
      .addRoutingPreference(LoadBalancing.Scope.REGION)
      .addRoutingPreference(LoadBalancing.Scope.ZONE)
      .setMode(LoadBalancing.Mode.FAILOVER)
      .build();
  private static final LoadBalancing PREFER_SAME_NODE = LoadBalancing.newBuilder()
      .addRoutingPreference(LoadBalancing.Scope.NETWORK)
      .addRoutingPreference(LoadBalancing.Scope.REGION)
      .addRoutingPreference(LoadBalancing.Scope.ZONE)
      .addRoutingPreference(LoadBalancing.Scope.SUBZONE)
      .addRoutingPreference(LoadBalancing.Scope.NODE)
      .setMode(LoadBalancing.Mode.FAILOVER)
      .build();
  private static final LoadBalancing NODE_LOCAL = LoadBalancing.newBuilder()
      .addRoutingPreference(LoadBalancing.Scope.NODE)
      .setMode(LoadBalancing.Mode.STRICT)
      .build();

  private final Krt krt = new Krt("t");
  private final StaticCollection<MeshNetwork> network = krt.input("MeshNetwork", MeshNetwork::key);
  private final StaticCollection<Namespace> namespaces = krt.input("informer/Namespaces", ObjectKeys::of);
  private final StaticCollection<Waypoint> waypoints = krt.input("Waypoints", Waypoint::key);
  private final ServiceBuilder builder =
      new ServiceBuilder(MESH, network, namespaces, new WaypointResolver(waypoints, namespaces));

  @AfterEach
  void close() {
    krt.close();
  }

  private static Service service(String yaml) {
    return K8S.unmarshal(yaml, Service.class);
  }

  private ServiceInfo build(Service svc) {
    return builder.apply(Context.untracked(), svc);
  }

  private dev.sextant.api.workload.Service wire(String yaml) {
    ServiceInfo info = build(service(yaml));
    assertNotNull(info, "expected a service");
    return info.service();
  }

  private static NetworkAddress address(String network, String ip) {
    return NetworkAddress.newBuilder().setNetwork(network).setAddress(ByteString.copyFrom(IpAddresses.parse(ip))).build();
  }

  private static Port port(int port, int target, AppProtocol protocol) {
    return Port.newBuilder().setServicePort(port).setTargetPort(target).setAppProtocol(protocol).build();
  }

  /** A ClusterIP service ns/name with port 80 named http, plus {@code extra} spec lines. */
  private static String simple(String metadataExtra, String specExtra) {
    return """
        metadata: {name: name, namespace: ns%s}
        spec:
          clusterIP: 1.2.3.4
          ports: [{name: http, port: 80, targetPort: 80}]
        %s
        """.formatted(metadataExtra, specExtra.isEmpty() ? "" : "  " + specExtra);
  }

  private void namespace(String name, Map<String, String> annotations) {
    namespaces.upsert(new NamespaceBuilder().withNewMetadata().withName(name).withAnnotations(annotations)
        .endMetadata().build());
  }

  // ---- shape ----

  @Test
  void apply_simpleService_matchesUpstreamExample() {
    network.upsert(new MeshNetwork("testnetwork"));
    dev.sextant.api.workload.Service expected = dev.sextant.api.workload.Service.newBuilder()
        .setName("name")
        .setNamespace("ns")
        .setHostname("name.ns.svc.domain.suffix")
        .addAddresses(address("testnetwork", "1.2.3.4"))
        .addPorts(port(80, 80, AppProtocol.HTTP11))
        .setCanonical(true)
        .build();
    assertEquals(expected, wire(simple("", "")));
  }

  @Test
  void apply_anyService_keyIsNamespaceSlashHostname() {
    ServiceInfo info = build(service(simple("", "")));
    assertEquals("ns/name.ns.svc.domain.suffix", info.key());
  }

  @Test
  void hostname_format_isNameNamespaceSvcSuffix() {
    assertEquals("reviews.bookinfo.svc.cluster.local", ServiceBuilder.hostname("reviews", "bookinfo", "cluster.local"));
  }

  @Test
  void apply_externalName_producesNothing() {
    assertNull(build(service("""
        metadata: {name: name, namespace: ns}
        spec: {type: ExternalName, externalName: example.com}
        """)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"clusterIP: None", "clusterIPs: [None]", "clusterIP: ''", "type: ClusterIP"})
  void apply_headlessOrNoClusterIp_sentWithoutAddresses(String line) {
    dev.sextant.api.workload.Service s = wire("""
        metadata: {name: name, namespace: ns}
        spec:
          %s
          ports: [{name: http, port: 80}]
        """.formatted(line));
    assertEquals(List.of(), s.getAddressesList());
    assertEquals("name.ns.svc.domain.suffix", s.getHostname());
    assertEquals(1, s.getPortsCount());
  }

  @Test
  void apply_noPorts_sentWithNoPorts() {
    assertEquals(0, wire("""
        metadata: {name: name, namespace: ns}
        spec: {clusterIP: 10.0.0.1}
        """).getPortsCount());
  }

  @Test
  void apply_loadBalancerService_onlyClusterIpsAreAddresses() {
    dev.sextant.api.workload.Service s = wire("""
        metadata: {name: name, namespace: ns}
        spec:
          type: LoadBalancer
          clusterIP: 10.0.0.1
          externalIPs: [203.0.113.9]
          ports: [{name: http, port: 80}]
        status:
          loadBalancer: {ingress: [{ip: 198.51.100.7}]}
        """);
    assertEquals(List.of(address("", "10.0.0.1")), s.getAddressesList());
  }

  @Test
  void apply_dualStackClusterIps_everyIpInOrderWithNetwork() {
    network.upsert(new MeshNetwork("nw1"));
    dev.sextant.api.workload.Service s = wire("""
        metadata: {name: name, namespace: ns}
        spec:
          clusterIP: 10.96.0.10
          clusterIPs: [10.96.0.10, "fd00:10:96::a"]
          ipFamilies: [IPv4, IPv6]
          ports: [{name: http, port: 80}]
        """);
    assertEquals(List.of(address("nw1", "10.96.0.10"), address("nw1", "fd00:10:96::a")), s.getAddressesList());
    assertEquals(16, s.getAddresses(1).getAddress().size());
    assertFalse(s.getAddresses(0).hasLength());
    assertEquals(IPFamilies.DUAL, s.getIpFamilies());
  }

  @Test
  void apply_clusterIpsPresent_clusterIpIgnored() {
    dev.sextant.api.workload.Service s = wire("""
        metadata: {name: name, namespace: ns}
        spec: {clusterIP: 10.0.0.1, clusterIPs: [10.0.0.2]}
        """);
    assertEquals(List.of(address("", "10.0.0.2")), s.getAddressesList());
  }

  @Test
  void apply_kubernetesService_alwaysCanonicalAndNoExtras() {
    dev.sextant.api.workload.Service s = wire(simple("", ""));
    assertTrue(s.getCanonical());
    assertEquals(0, s.getSubjectAltNamesCount());
    assertFalse(s.hasWaypoint());
    assertFalse(s.getIngressUseWaypoint());
    assertFalse(s.hasLoadBalancing());
    assertEquals(dev.sextant.api.workload.Service.Visibility.PUBLIC, s.getVisibility());
  }

  // ---- ports ----

  @Test
  void apply_targetPorts_matchesUpstreamExample() {
    ServiceInfo info = build(service("""
        metadata: {name: name, namespace: ns}
        spec:
          clusterIP: 1.2.3.4
          ports:
          - {name: http, port: 80, targetPort: 81}
          - {name: http-alt, port: 8080, targetPort: something}
        """));
    assertEquals(List.of(port(80, 81, AppProtocol.HTTP11), port(8080, 0, AppProtocol.HTTP11)),
        info.service().getPortsList());
    assertEquals(Map.of(8080, "something"), info.namedTargetPorts());
  }

  @Test
  void apply_targetPortUnset_isThePortAsTheApiServerDefaults() {
    assertEquals(List.of(port(9080, 9080, AppProtocol.HTTP11)), wire("""
        metadata: {name: name, namespace: ns}
        spec:
          clusterIP: 1.2.3.4
          ports: [{name: http, port: 9080}]
        """).getPortsList());
  }

  @Test
  void apply_portsOfEveryProtocol_keptInOrderWithAppProtocol() {
    dev.sextant.api.workload.Service s = wire("""
        metadata: {name: dns, namespace: kube-system}
        spec:
          clusterIP: 10.96.0.10
          ports:
          - {name: dns, port: 53, protocol: UDP, targetPort: 53}
          - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
          - {name: metrics, port: 9153, protocol: TCP, targetPort: 9153}
          - {name: grpc-api, port: 9000, appProtocol: kubernetes.io/h2c, targetPort: 9000}
          - {name: http, port: 7000, protocol: SCTP, targetPort: 7000}
        """);
    assertEquals(List.of(
        port(53, 53, AppProtocol.UNKNOWN),
        port(53, 53, AppProtocol.TCP),
        port(9153, 9153, AppProtocol.UNKNOWN),
        port(9000, 9000, AppProtocol.HTTP2),
        port(7000, 7000, AppProtocol.HTTP11)), s.getPortsList());
  }

  @Test
  void apply_selector_carriedForWorkloadSelection() {
    ServiceInfo info = build(service("""
        metadata: {name: name, namespace: ns}
        spec: {clusterIP: 1.2.3.4, selector: {app: reviews, tier: web}}
        """));
    assertEquals(Map.of("app", "reviews", "tier", "web"), info.selector());
    assertEquals("ns/app=reviews", info.selectorAnchor());
  }

  @Test
  void apply_noSelector_selectsNothing() {
    ServiceInfo info = build(service(simple("", "")));
    assertEquals(Map.of(), info.selector());
    assertNull(info.selectorAnchor());
    assertFalse(info.selects(Map.of("app", "x")));
  }

  // ---- ip_families ----

  @Test
  void apply_ipFamilies_mapToEnum() {
    assertEquals(IPFamilies.AUTOMATIC, wire(simple("", "")).getIpFamilies());
    assertEquals(IPFamilies.IPV4_ONLY, wire(simple("", "ipFamilies: [IPv4]")).getIpFamilies());
    assertEquals(IPFamilies.IPV6_ONLY, wire(simple("", "ipFamilies: [IPv6]")).getIpFamilies());
    assertEquals(IPFamilies.DUAL, wire(simple("", "ipFamilies: [IPv6, IPv4]")).getIpFamilies());
  }

  // ---- load_balancing ----

  @Test
  void apply_internalTrafficPolicyLocal_isNodeStrict() {
    assertEquals(NODE_LOCAL, wire(simple("", "internalTrafficPolicy: Local")).getLoadBalancing());
  }

  @Test
  void apply_internalTrafficPolicyCluster_noLoadBalancing() {
    assertFalse(wire(simple("", "internalTrafficPolicy: Cluster")).hasLoadBalancing());
  }

  @Test
  void apply_internalTrafficPolicyLocalAndTrafficDistribution_localWins() {
    namespace("ns", Map.of("networking.istio.io/traffic-distribution", "PreferSameNode"));
    assertEquals(NODE_LOCAL, wire(simple(", annotations: {networking.istio.io/traffic-distribution: PreferClose}",
        "internalTrafficPolicy: Local")).getLoadBalancing());
    assertEquals(NODE_LOCAL, wire("""
        metadata: {name: name, namespace: ns}
        spec: {clusterIP: 1.2.3.4, internalTrafficPolicy: Local, trafficDistribution: PreferClose}
        """).getLoadBalancing());
  }

  @ParameterizedTest
  @ValueSource(strings = {"PreferClose", "PreferSameZone"})
  void apply_specTrafficDistributionZone_isZonePreset(String value) {
    assertEquals(PREFER_SAME_ZONE, wire(simple("", "trafficDistribution: " + value)).getLoadBalancing());
  }

  @Test
  void apply_specTrafficDistributionSameNode_isNodePreset() {
    assertEquals(PREFER_SAME_NODE, wire(simple("", "trafficDistribution: PreferSameNode")).getLoadBalancing());
  }

  @ParameterizedTest
  @ValueSource(strings = {"PreferClose", "preferclose", "PREFERSAMEZONE", "preferSameZone"})
  void apply_serviceAnnotationZone_isZonePresetAnyCase(String value) {
    assertEquals(PREFER_SAME_ZONE,
        wire(simple(", annotations: {networking.istio.io/traffic-distribution: " + value + "}", ""))
            .getLoadBalancing());
  }

  @Test
  void apply_serviceAnnotationSameNode_isNodePresetAnyCase() {
    assertEquals(PREFER_SAME_NODE,
        wire(simple(", annotations: {networking.istio.io/traffic-distribution: prefersamenode}", ""))
            .getLoadBalancing());
  }

  @Test
  void apply_namespaceAnnotation_inherited() {
    namespace("ns", Map.of("networking.istio.io/traffic-distribution", "PreferClose"));
    namespace("other", Map.of("networking.istio.io/traffic-distribution", "PreferSameNode"));
    assertEquals(PREFER_SAME_ZONE, wire(simple("", "")).getLoadBalancing());
  }

  @Test
  void apply_namespaceWithoutAnnotation_noLoadBalancing() {
    namespace("ns", null);
    assertFalse(wire(simple("", "")).hasLoadBalancing());
  }

  @Test
  void apply_serviceAnnotation_overridesNamespace() {
    namespace("ns", Map.of("networking.istio.io/traffic-distribution", "PreferClose"));
    assertEquals(PREFER_SAME_NODE,
        wire(simple(", annotations: {networking.istio.io/traffic-distribution: PreferSameNode}", ""))
            .getLoadBalancing());
  }

  @Test
  void apply_specField_overridesAnnotations() {
    namespace("ns", Map.of("networking.istio.io/traffic-distribution", "PreferSameNode"));
    assertEquals(PREFER_SAME_ZONE,
        wire(simple(", annotations: {networking.istio.io/traffic-distribution: PreferSameNode}",
            "trafficDistribution: PreferClose")).getLoadBalancing());
  }

  @Test
  void apply_unknownServiceAnnotation_noLoadBalancingAndNamespaceNotConsulted() {
    namespace("ns", Map.of("networking.istio.io/traffic-distribution", "PreferClose"));
    assertFalse(wire(simple(", annotations: {networking.istio.io/traffic-distribution: Nearby}", ""))
        .hasLoadBalancing());
  }

  @Test
  void apply_unknownNamespaceAnnotation_noLoadBalancing() {
    namespace("ns", Map.of("networking.istio.io/traffic-distribution", "Anywhere"));
    assertFalse(wire(simple("", "")).hasLoadBalancing());
  }

  @Test
  void apply_emptyServiceAnnotation_fallsBackToNamespace() {
    // Regression: a present but empty annotation stopped the search; istiod treats "" as unset.
    namespace("ns", Map.of("networking.istio.io/traffic-distribution", "PreferClose"));
    assertEquals(PREFER_SAME_ZONE,
        wire(simple(", annotations: {networking.istio.io/traffic-distribution: ''}", "")).getLoadBalancing());
  }

  @Test
  void apply_unknownSpecTrafficDistribution_fallsBackToAnnotation() {
    // Regression: any non-empty spec value stopped the search. istiod only honours the values it
    // knows, exactly as spelled, and otherwise reads the annotations.
    assertEquals(PREFER_SAME_NODE,
        wire(simple(", annotations: {networking.istio.io/traffic-distribution: PreferSameNode}",
            "trafficDistribution: PreferSomewhere")).getLoadBalancing());
    namespace("ns", Map.of("networking.istio.io/traffic-distribution", "PreferClose"));
    assertEquals(PREFER_SAME_ZONE, wire(simple("", "trafficDistribution: preferclose")).getLoadBalancing());
    assertFalse(wire(simple(", annotations: {networking.istio.io/traffic-distribution: Nope}",
        "trafficDistribution: preferclose")).hasLoadBalancing());
  }

  @Test
  void apply_publishNotReadyAddresses_isAllowAllOnly() {
    assertEquals(LoadBalancing.newBuilder().setHealthPolicy(LoadBalancing.HealthPolicy.ALLOW_ALL).build(),
        wire(simple("", "publishNotReadyAddresses: true")).getLoadBalancing());
    assertFalse(wire(simple("", "publishNotReadyAddresses: false")).hasLoadBalancing());
  }

  @Test
  void apply_publishNotReadyAddressesWithPreset_addsAllowAll() {
    assertEquals(PREFER_SAME_ZONE.toBuilder().setHealthPolicy(LoadBalancing.HealthPolicy.ALLOW_ALL).build(),
        wire("""
            metadata: {name: name, namespace: ns}
            spec: {clusterIP: 1.2.3.4, trafficDistribution: PreferClose, publishNotReadyAddresses: true}
            """).getLoadBalancing());
    assertEquals(NODE_LOCAL.toBuilder().setHealthPolicy(LoadBalancing.HealthPolicy.ALLOW_ALL).build(),
        wire("""
            metadata: {name: name, namespace: ns}
            spec: {clusterIP: 1.2.3.4, internalTrafficPolicy: Local, publishNotReadyAddresses: true}
            """).getLoadBalancing());
  }

  @Test
  void apply_presetAfterPublishNotReadyService_isNotPoisoned() {
    // istiod once shared one preset object and set ALLOW_ALL on it for every later service.
    wire("""
        metadata: {name: a, namespace: ns}
        spec: {clusterIP: 1.2.3.4, trafficDistribution: PreferClose, publishNotReadyAddresses: true}
        """);
    assertEquals(PREFER_SAME_ZONE, wire("""
        metadata: {name: b, namespace: ns}
        spec: {clusterIP: 1.2.3.5, trafficDistribution: PreferClose}
        """).getLoadBalancing());
    assertEquals(LoadBalancing.HealthPolicy.ONLY_HEALTHY, wire("""
        metadata: {name: c, namespace: ns}
        spec: {clusterIP: 1.2.3.6, trafficDistribution: PreferSameNode}
        """).getLoadBalancing().getHealthPolicy());
  }
}
