package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.sextant.api.TypeUrls;
import dev.sextant.api.security.Action;
import dev.sextant.api.security.Authorization;
import dev.sextant.api.workload.Address;
import dev.sextant.api.workload.Workload;
import dev.sextant.api.workload.WorkloadStatus;
import dev.sextant.model.MeshSettings;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Sextant in Kubernetes mode against fabric8's mock API server in CRUD mode, observed through a
 * fake ztunnel: the initial list, then an add, an update and a delete of every input kind, each
 * arriving as a delta that carries exactly the resources that changed; discovery selectors moving
 * a namespace in and out of scope; a CRD that is missing; an object that cannot be read.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesSourceIntegrationTest {
  static final String APP0 = "Kubernetes//Pod/apps/app-0";
  static final String APP1 = "Kubernetes//Pod/apps/app-1";
  static final String APP2 = "Kubernetes//Pod/apps/app-2";
  static final String W0 = "Kubernetes//Pod/wp/w-0";
  static final String WEB = "apps/web.apps.svc.cluster.local";
  static final String W = "wp/w.wp.svc.cluster.local";

  KubernetesClient client;
  SextantServer server;
  FakeZtunnel z;

  @AfterEach
  void stop() {
    if (z != null) {
      z.close();
    }
    if (server != null) {
      server.close();
    }
  }

  void start(ServerConfig config) throws Exception {
    server = SextantServer.start(config);
    Await.until("server ready", server::isReady);
    z = new FakeZtunnel(server.grpcAddress(), FakeZtunnel.Identity.onNode("node-1")).connect();
    z.await("ztunnel ready", FakeZtunnel::ready);
  }

  static String resource(String name) throws IOException {
    try (InputStream in = KubernetesSourceIntegrationTest.class.getResourceAsStream("/kubernetes/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  // ---- every kind ----

  @Test
  void initialListThenAddUpdateDeleteOfEveryKind_reachZtunnelAsDeltasOfExactlyWhatChanged() throws Exception {
    MockCluster.installCrds(client);
    MockCluster.create(client, resource("base.yaml"));
    start(ServerConfig.forTest(client));

    Set<String> initial = z.held(TypeUrls.ADDRESS).keySet();
    assertTrue(initial.containsAll(Set.of(APP0, APP2, W0, WEB, W, "apps/ext.apps.svc.cluster.local")), initial.toString());
    assertEquals("z1", workload(APP0).getLocality().getZone(), "Node listed: locality from its labels");
    assertFalse(workload(APP2).hasLocality(), "node-2 does not exist yet");

    // Namespace: the system namespace's network label is every workload's network.
    step("Namespace added", """
        apiVersion: v1
        kind: Namespace
        metadata: {name: istio-system, labels: {topology.istio.io/network: net1}}
        """, c -> "net1".equals(workloadIn(c, APP0).map(Workload::getNetwork).orElse("")));
    step("Namespace updated", """
        apiVersion: v1
        kind: Namespace
        metadata: {name: istio-system, labels: {topology.istio.io/network: net2}}
        """, c -> "net2".equals(workloadIn(c, APP0).map(Workload::getNetwork).orElse("")));
    delete("Namespace deleted", "v1", "Namespace", null, "istio-system",
        c -> workloadIn(c, APP0).map(w -> w.getNetwork().isEmpty()).orElse(false));

    // Node: the locality of the pods on it.
    step("Node added", """
        apiVersion: v1
        kind: Node
        metadata: {name: node-2, labels: {topology.kubernetes.io/region: r1, topology.kubernetes.io/zone: z2}}
        """, c -> workloadIn(c, APP2).map(w -> w.getLocality().getZone().equals("z2")).orElse(false));
    step("Node updated", """
        apiVersion: v1
        kind: Node
        metadata: {name: node-2, labels: {topology.kubernetes.io/region: r1, topology.kubernetes.io/zone: z3}}
        """, c -> workloadIn(c, APP2).map(w -> w.getLocality().getZone().equals("z3")).orElse(false));
    delete("Node deleted", "v1", "Node", null, "node-2",
        c -> workloadIn(c, APP2).map(w -> !w.hasLocality()).orElse(false));

    // Pod.
    String pod = """
        apiVersion: v1
        kind: Pod
        metadata: {name: app-1, namespace: apps, labels: {app: web}}
        spec: {serviceAccountName: app, nodeName: node-1, containers: [{name: c}]}
        status: {phase: Running, podIP: 10.0.0.11, conditions: [{type: Ready, status: "%s"}]}
        """;
    step("Pod added", pod.formatted("True"),
        c -> workloadIn(c, APP1).map(w -> w.getStatus() == WorkloadStatus.HEALTHY).orElse(false));
    step("Pod updated", pod.formatted("False"),
        c -> workloadIn(c, APP1).map(w -> w.getStatus() == WorkloadStatus.UNHEALTHY).orElse(false));
    delete("Pod deleted", "v1", "Pod", "apps", "app-1", c -> !c.held(TypeUrls.ADDRESS).containsKey(APP1));

    // Service.
    String service = """
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: apps}
        spec:
          selector: {app: web}
          clusterIP: 10.96.0.20
          clusterIPs: [10.96.0.20]
          ports: [{name: http, port: %d, targetPort: 8080, protocol: TCP}]
        """;
    String api = "apps/api.apps.svc.cluster.local";
    step("Service added", service.formatted(80), c -> servicePorts(c, api).contains(80));
    step("Service updated", service.formatted(81), c -> servicePorts(c, api).contains(81));
    delete("Service deleted", "v1", "Service", "apps", "api", c -> !c.held(TypeUrls.ADDRESS).containsKey(api));

    // EndpointSlice: endpoints of a selectorless Service without a pod behind them are workloads.
    String slice = """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: ext-1, namespace: apps, labels: {kubernetes.io/service-name: ext}}
        addressType: IPv4
        endpoints: [{addresses: [%s]}]
        ports: [{name: http, port: 8080, protocol: TCP}]
        """;
    String sliceWorkload = "Kubernetes/discovery.k8s.io/EndpointSlice/apps/ext-1/";
    step("EndpointSlice added", slice.formatted("192.168.0.5"),
        c -> c.held(TypeUrls.ADDRESS).containsKey(sliceWorkload + "192.168.0.5"));
    step("EndpointSlice updated", slice.formatted("192.168.0.6"),
        c -> c.held(TypeUrls.ADDRESS).containsKey(sliceWorkload + "192.168.0.6")
            && !c.held(TypeUrls.ADDRESS).containsKey(sliceWorkload + "192.168.0.5"));
    delete("EndpointSlice deleted", "discovery.k8s.io/v1", "EndpointSlice", "apps", "ext-1",
        c -> c.held(TypeUrls.ADDRESS).keySet().stream().noneMatch(n -> n.startsWith(sliceWorkload)));

    // ServiceEntry.
    String serviceEntry = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: api-example, namespace: apps}
        spec:
          hosts: [api.example.com]
          addresses: [240.240.0.20]
          ports: [{number: %d, name: tls, protocol: TLS}]
          resolution: DNS
        """;
    String se = "apps/api.example.com";
    step("ServiceEntry added", serviceEntry.formatted(443), c -> servicePorts(c, se).contains(443));
    step("ServiceEntry updated", serviceEntry.formatted(8443), c -> servicePorts(c, se).contains(8443));
    delete("ServiceEntry deleted", "networking.istio.io/v1", "ServiceEntry", "apps", "api-example",
        c -> !c.held(TypeUrls.ADDRESS).containsKey(se));

    // WorkloadEntry.
    String workloadEntry = """
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: vm-1, namespace: apps}
        spec: {address: %s, serviceAccount: vm, labels: {app: vm}}
        """;
    String vm = "Kubernetes/networking.istio.io/WorkloadEntry/apps/vm-1";
    step("WorkloadEntry added", workloadEntry.formatted("10.1.0.5"), c -> addressOf(c, vm).equals("10.1.0.5"));
    step("WorkloadEntry updated", workloadEntry.formatted("10.1.0.6"), c -> addressOf(c, vm).equals("10.1.0.6"));
    delete("WorkloadEntry deleted", "networking.istio.io/v1", "WorkloadEntry", "apps", "vm-1",
        c -> !c.held(TypeUrls.ADDRESS).containsKey(vm));

    // Gateway and GatewayClass: namespace wp uses waypoint "waypoint".
    String gateway = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: waypoint, namespace: wp, labels: {%s}}
        spec:
          gatewayClassName: istio-waypoint
          listeners: [{name: mesh, port: 15008, protocol: HBONE}]
        status:
          addresses: [{type: Hostname, value: waypoint.wp.svc.cluster.local}]
        """;
    String gatewayClass = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: istio-waypoint, labels: {istio.io/waypoint-for: %s}}
        spec: {controllerName: istio.io/mesh-controller}
        """;
    step("Gateway added", gateway.formatted(""), c -> serviceHasWaypoint(c, W) && !workloadHasWaypoint(c, W0));
    step("GatewayClass added", gatewayClass.formatted("all"),
        c -> serviceHasWaypoint(c, W) && workloadHasWaypoint(c, W0));
    step("GatewayClass updated", gatewayClass.formatted("workload"),
        c -> !serviceHasWaypoint(c, W) && workloadHasWaypoint(c, W0));
    delete("GatewayClass deleted", "gateway.networking.k8s.io/v1", "GatewayClass", null, "istio-waypoint",
        c -> serviceHasWaypoint(c, W) && !workloadHasWaypoint(c, W0));
    step("Gateway updated", gateway.formatted("istio.io/waypoint-for: all"),
        c -> serviceHasWaypoint(c, W) && workloadHasWaypoint(c, W0));
    delete("Gateway deleted", "gateway.networking.k8s.io/v1", "Gateway", "wp", "waypoint",
        c -> !serviceHasWaypoint(c, W) && !workloadHasWaypoint(c, W0));

    // AuthorizationPolicy.
    String policy = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: guard, namespace: apps}
        spec:
          action: %s
          rules: [{from: [{source: {principals: [cluster.local/ns/apps/sa/app]}}]}]
        """;
    step("AuthorizationPolicy added", policy.formatted("DENY"), c -> actionOf(c, "apps/guard") == Action.DENY);
    step("AuthorizationPolicy updated", policy.formatted("ALLOW"), c -> actionOf(c, "apps/guard") == Action.ALLOW);
    delete("AuthorizationPolicy deleted", "security.istio.io/v1", "AuthorizationPolicy", "apps", "guard",
        c -> !c.held(TypeUrls.AUTHORIZATION).containsKey("apps/guard"));

    // PeerAuthentication: a port-level STRICT becomes a converted policy for the selected pods.
    String peer = """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: ports, namespace: apps}
        spec:
          selector: {matchLabels: {app: web}}
          mtls: {mode: PERMISSIVE}
          portLevelMtls: {"%d": {mode: STRICT}}
        """;
    String converted = "apps/converted_peer_authentication_ports";
    step("PeerAuthentication added", peer.formatted(8080), c -> strictPorts(c, converted).equals(List.of(8080)));
    step("PeerAuthentication updated", peer.formatted(9090), c -> strictPorts(c, converted).equals(List.of(9090)));
    delete("PeerAuthentication deleted", "security.istio.io/v1", "PeerAuthentication", "apps", "ports",
        c -> !c.held(TypeUrls.AUTHORIZATION).containsKey(converted));

    // ServiceAccount and HTTPRoute are inputs the ambient translation does not read (yet): they reach
    // their input collections, and nothing is pushed.
    String serviceAccount = """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: robot, namespace: apps, labels: {v: "%s"}}
        """;
    inputStep("ServiceAccount added", serviceAccount.formatted("1"), "informer/ServiceAccounts", "apps/robot", "1");
    inputStep("ServiceAccount updated", serviceAccount.formatted("2"), "informer/ServiceAccounts", "apps/robot", "2");
    inputDelete("ServiceAccount deleted", "v1", "ServiceAccount", "apps", "robot", "informer/ServiceAccounts");
    String route = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: web, namespace: apps, labels: {v: "%s"}}
        spec:
          parentRefs: [{group: "", kind: Service, name: web}]
          rules: [{backendRefs: [{name: web, port: 80}]}]
        """;
    inputStep("HTTPRoute added", route.formatted("1"), "informer/HTTPRoutes", "apps/web", "1");
    inputStep("HTTPRoute updated", route.formatted("2"), "informer/HTTPRoutes", "apps/web", "2");
    inputDelete("HTTPRoute deleted", "gateway.networking.k8s.io/v1", "HTTPRoute", "apps", "web", "informer/HTTPRoutes");

    assertEquals(0, server.kubernetesSource().skippedObjects());
  }

  // ---- scope ----

  @Test
  void discoverySelectors_namespaceRelabelledIntoAndOutOfScope_itsObjectsComeAndGo() throws Exception {
    MockCluster.create(client, resource("base.yaml"));
    ServerConfig config = ServerConfig.forTest(client).with(MeshSettings.defaults(), new ServerConfig.Kubernetes(
        "", client, "", List.of(new LabelSelectorBuilder().addToMatchLabels("mesh", "on").build()), false));
    start(config);
    assertTrue(z.held(TypeUrls.ADDRESS).keySet().stream().noneMatch(n -> n.contains("apps")),
        "namespace apps is not selected: " + z.held(TypeUrls.ADDRESS).keySet());

    step("apps selected", """
        apiVersion: v1
        kind: Namespace
        metadata: {name: apps, labels: {mesh: "on"}}
        """, c -> c.held(TypeUrls.ADDRESS).keySet().containsAll(Set.of(APP0, APP2, WEB)));
    step("apps deselected", """
        apiVersion: v1
        kind: Namespace
        metadata: {name: apps, labels: {mesh: "off"}}
        """, c -> c.held(TypeUrls.ADDRESS).keySet().stream().noneMatch(n -> n.contains("apps")));
    // An object added to a namespace out of scope is not sent either.
    MockCluster.create(client, """
        apiVersion: v1
        kind: Pod
        metadata: {name: late, namespace: apps}
        spec: {serviceAccountName: app, nodeName: node-1, containers: [{name: c}]}
        status: {phase: Running, podIP: 10.0.0.30, conditions: [{type: Ready, status: "True"}]}
        """);
    step("apps selected again", """
        apiVersion: v1
        kind: Namespace
        metadata: {name: apps, labels: {mesh: "on"}}
        """, c -> c.held(TypeUrls.ADDRESS).containsKey("Kubernetes//Pod/apps/late"));
  }

  @Test
  void meshConfigMap_discoverySelectorsReadAtStartAndFollowed() throws Exception {
    MockCluster.create(client, resource("base.yaml"));
    String meshConfig = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
            trustDomain: cluster.local
            %s
        """;
    client.resource(MockCluster.SERIALIZATION.unmarshal(
        meshConfig.formatted("discoverySelectors: [{matchLabels: {mesh: \"on\"}}]"),
        io.fabric8.kubernetes.api.model.ConfigMap.class)).create();
    start(ServerConfig.forTest(client).with(MeshSettings.defaults(),
        new ServerConfig.Kubernetes("", client, "", List.of(), true)));
    assertFalse(z.held(TypeUrls.ADDRESS).containsKey(APP0), "selectors from the ConfigMap apply from the start");

    step("selectors removed from the ConfigMap", () -> client.configMaps().inNamespace("istio-system")
        .withName("istio").edit(cm -> {
          cm.getData().put("mesh", "trustDomain: cluster.local\n");
          return cm;
        }), c -> c.held(TypeUrls.ADDRESS).keySet().containsAll(Set.of(APP0, WEB)));
    step("selectors matching nothing", () -> client.configMaps().inNamespace("istio-system")
        .withName("istio").edit(cm -> {
          cm.getData().put("mesh", "discoverySelectors: [{matchLabels: {team: x}}]\n");
          return cm;
        }), c -> c.held(TypeUrls.ADDRESS).keySet().stream().noneMatch(n -> n.contains("apps")));
  }

  // ---- CRDs and bad input ----

  @Test
  void crdsMissing_readyAnyway_andPoliciesArriveOnceTheCrdIsInstalled() throws Exception {
    MockCluster.create(client, resource("base.yaml"));
    start(ServerConfig.forTest(client));
    assertTrue(z.held(TypeUrls.ADDRESS).containsKey(APP0));
    assertEquals("crd-not-installed",
        server.kubernetesSource().describe().get("informer/AuthorizationPolicies").get("state"));

    step("CRD installed and a policy created", () -> {
      client.apiextensions().v1().customResourceDefinitions()
          .resource(MockCluster.crd(MockCluster.kindOf(MockCluster.parse(AP_DENY).get(0)))).create();
      MockCluster.create(client, AP_DENY);
    }, c -> actionOf(c, "apps/deny") == Action.DENY);
  }

  static final String AP_DENY = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: deny, namespace: apps}
      spec:
        action: DENY
        rules: [{from: [{source: {notPrincipals: ["*"]}}]}]
      """;

  @Test
  void unreadablePolicy_skippedReportedAndCounted_everythingElseServed() throws Exception {
    MockCluster.installCrds(client);
    MockCluster.create(client, resource("base.yaml"));
    MockCluster.create(client, AP_DENY);
    MockCluster.create(client, """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: typo, namespace: apps}
        spec:
          action: DENYY
        """);
    start(ServerConfig.forTest(client));
    assertEquals(Action.DENY, actionOf(z, "apps/deny"));
    assertFalse(z.held(TypeUrls.AUTHORIZATION).containsKey("apps/typo"));
    assertEquals(1, server.kubernetesSource().skippedObjects("AuthorizationPolicy"));
    assertTrue(server.telemetry().scrape().contains("sextant_k8s_skipped_objects{type=\"AuthorizationPolicy\"} 1"),
        server.telemetry().scrape().lines().filter(l -> l.contains("skipped")).toList().toString());
    String inputz = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + server.httpAddress().getPort() + "/debug/inputz")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(inputz.contains("\"skippedObjectsTotal\":1"), inputz);
    assertTrue(inputz.contains("\"kind\":\"AuthorizationPolicy\",\"namespace\":\"apps\",\"name\":\"typo\""), inputz);
    assertTrue(inputz.contains("DENYY"), inputz);

    // The informer goes on: a later policy is served.
    step("policy after the bad one", AP_DENY.replace("name: deny", "name: deny-2"),
        c -> actionOf(c, "apps/deny-2") == Action.DENY);
  }

  // ---- steps ----

  /** Writes {@code yaml} (create or replace), waits until {@code visible}, and checks the delta. */
  void step(String name, String yaml, Predicate<FakeZtunnel> visible) throws Exception {
    step(name, () -> put(yaml), visible);
  }

  void delete(String name, String apiVersion, String kind, String namespace, String objectName,
      Predicate<FakeZtunnel> visible) throws Exception {
    step(name, () -> MockCluster.resources(client, ref(apiVersion, kind, namespace, objectName))
        .withName(objectName).delete(), visible);
  }

  void step(String name, Runnable change, Predicate<FakeZtunnel> visible) throws Exception {
    Deltas.step(server, z, name, change, visible);
  }

  void inputStep(String name, String yaml, String input, String key, String label) throws Exception {
    step(name, () -> put(yaml), c -> server.krt().collections().stream()
        .filter(col -> col.name().equals(input)).findFirst().orElseThrow().get(key)
        .map(o -> label.equals(((io.fabric8.kubernetes.api.model.HasMetadata) o).getMetadata().getLabels().get("v")))
        .orElse(false));
  }

  void inputDelete(String name, String apiVersion, String kind, String namespace, String objectName, String input)
      throws Exception {
    delete(name, apiVersion, kind, namespace, objectName, c -> server.krt().collections().stream()
        .filter(col -> col.name().equals(input)).findFirst().orElseThrow()
        .get(namespace + "/" + objectName).isEmpty());
  }

  static GenericKubernetesResource ref(String apiVersion, String kind, String namespace, String name) {
    GenericKubernetesResource g = new GenericKubernetesResource();
    g.setApiVersion(apiVersion);
    g.setKind(kind);
    g.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withNamespace(namespace).withName(name)
        .build());
    return g;
  }

  /** Creates each object of {@code yaml}, or replaces it if it exists. */
  void put(String yaml) {
    for (GenericKubernetesResource g : MockCluster.parse(yaml)) {
      var ops = MockCluster.resources(client, g);
      GenericKubernetesResource current = ops.withName(g.getMetadata().getName()).get();
      if (current == null) {
        ops.resource(g).create();
      } else {
        g.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
        ops.resource(g).update();
      }
    }
  }

  // ---- reading what the ztunnel holds ----

  Workload workload(String uid) {
    return workloadIn(z, uid).orElseThrow(() -> new AssertionError("no workload " + uid));
  }

  static Optional<Workload> workloadIn(FakeZtunnel c, String uid) {
    Resource r = c.held(TypeUrls.ADDRESS).get(uid);
    return r == null ? Optional.empty() : Optional.of(address(r)).filter(Address::hasWorkload).map(Address::getWorkload);
  }

  static Address address(Resource r) {
    try {
      return Address.parseFrom(r.getResource().getValue());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static Set<Integer> servicePorts(FakeZtunnel c, String key) {
    Resource r = c.held(TypeUrls.ADDRESS).get(key);
    Set<Integer> ports = new HashSet<>();
    if (r != null && address(r).hasService()) {
      address(r).getService().getPortsList().forEach(p -> ports.add(p.getServicePort()));
    }
    return ports;
  }

  static boolean serviceHasWaypoint(FakeZtunnel c, String key) {
    Resource r = c.held(TypeUrls.ADDRESS).get(key);
    return r != null && address(r).getService().hasWaypoint();
  }

  static boolean workloadHasWaypoint(FakeZtunnel c, String uid) {
    return workloadIn(c, uid).map(Workload::hasWaypoint).orElse(false);
  }

  static String addressOf(FakeZtunnel c, String uid) {
    return workloadIn(c, uid).filter(w -> w.getAddressesCount() > 0)
        .map(w -> dev.sextant.ambient.IpAddresses.format(w.getAddresses(0).toByteArray())).orElse("");
  }

  static Action actionOf(FakeZtunnel c, String name) {
    Resource r = c.held(TypeUrls.AUTHORIZATION).get(name);
    try {
      return r == null ? null : Authorization.parseFrom(r.getResource().getValue()).getAction();
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static List<Integer> strictPorts(FakeZtunnel c, String name) {
    Resource r = c.held(TypeUrls.AUTHORIZATION).get(name);
    try {
      return r == null ? List.of()
          : Authorization.parseFrom(r.getResource().getValue()).getGroups(0).getRules(0).getMatches(0)
              .getDestinationPortsList();
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
