package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sextant.api.TypeUrls;
import dev.sextant.api.security.Authorization;
import dev.sextant.api.security.Scope;
import dev.sextant.api.workload.Address;
import dev.sextant.api.workload.TunnelProtocol;
import dev.sextant.api.workload.Workload;
import dev.sextant.api.workload.WorkloadStatus;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole server on loopback, serving the bundled example directory, against fake ztunnels that
 * speak delta ADS as ztunnel does.
 */
class WdsIntegrationTest {
  static final String PRODUCTPAGE = "Kubernetes//Pod/bookinfo/productpage-v1-5f9f7b6d4c-x7k2p";
  static final String RATINGS = "Kubernetes//Pod/bookinfo/ratings-v1-7d8f6c5b4a-t8w3r";
  static final String MYSQL = "Kubernetes//Pod/legacy/mysql-0";
  static final Set<String> SERVICES = Set.of(
      "bookinfo/productpage.bookinfo.svc.cluster.local",
      "bookinfo/details.bookinfo.svc.cluster.local",
      "bookinfo/ratings.bookinfo.svc.cluster.local",
      "bookinfo/reviews.bookinfo.svc.cluster.local",
      "legacy/mysql.legacy.svc.cluster.local");

  @TempDir Path dir;
  SextantServer server;
  final List<FakeZtunnel> clients = new java.util.ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    Bookinfo.copyTo(dir);
    server = SextantServer.start(ServerConfig.forTest(dir));
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!server.isReady()) {
      assertTrue(System.nanoTime() < deadline, "server did not become ready");
      Thread.sleep(5);
    }
  }

  @AfterEach
  void stop() {
    clients.forEach(FakeZtunnel::close);
    server.close();
  }

  FakeZtunnel ztunnel(FakeZtunnel.Identity id) {
    FakeZtunnel z = new FakeZtunnel(server.grpcAddress(), id);
    clients.add(z);
    return z;
  }

  static Workload workload(Resource r) throws Exception {
    Address a = Address.parseFrom(r.getResource().getValue());
    assertTrue(a.hasWorkload(), r.getName() + " is not a workload");
    return a.getWorkload();
  }

  static Set<String> names(Map<String, Resource> held, boolean workloads) {
    Set<String> out = new TreeSet<>();
    held.keySet().stream().filter(n -> n.contains("//Pod/") == workloads).forEach(out::add);
    return out;
  }

  @Test
  void ztunnel_connectsToBookinfo_receivesEveryWorkloadAndServiceAndTurnsReady() throws Exception {
    FakeZtunnel z = ztunnel(FakeZtunnel.Identity.onNode("node-1")).connect();
    z.await("both types answered", FakeZtunnel::ready);
    Map<String, Resource> addresses = z.held(TypeUrls.ADDRESS);
    assertEquals(9, names(addresses, true).size(), "6 bookinfo pods, 1 legacy pod, 2 ztunnel pods");
    assertEquals(SERVICES, names(addresses, false));
    assertEquals(Set.of("bookinfo/ratings-from-reviews"), z.held(TypeUrls.AUTHORIZATION).keySet());
    Authorization policy = Authorization.parseFrom(
        z.held(TypeUrls.AUTHORIZATION).get("bookinfo/ratings-from-reviews").getResource().getValue());
    assertEquals(Scope.WORKLOAD_SELECTOR, policy.getScope());
    assertEquals("cluster.local/ns/bookinfo/sa/bookinfo-reviews",
        policy.getGroups(0).getRules(0).getMatches(0).getPrincipals(0).getExact());
    assertEquals(List.of("bookinfo/ratings-from-reviews"), workload(addresses.get(RATINGS)).getAuthorizationPoliciesList());
    assertEquals(List.of(), workload(addresses.get(PRODUCTPAGE)).getAuthorizationPoliciesList());

    Workload pp = workload(addresses.get(PRODUCTPAGE));
    assertEquals(PRODUCTPAGE, pp.getUid());
    assertEquals("productpage-v1", pp.getWorkloadName());
    assertEquals("productpage", pp.getCanonicalName());
    assertEquals("v1", pp.getCanonicalRevision());
    assertEquals(TunnelProtocol.HBONE, pp.getTunnelProtocol());
    assertEquals("node-1", pp.getNode());
    assertEquals("bookinfo-productpage", pp.getServiceAccount());
    assertEquals(WorkloadStatus.HEALTHY, pp.getStatus());
    assertEquals("", pp.getTrustDomain(), "cluster.local is left empty");
    assertEquals(List.of(9080), pp.getServicesOrThrow("bookinfo/productpage.bookinfo.svc.cluster.local")
        .getPortsList().stream().map(p -> p.getTargetPort()).toList());

    Workload mysql = workload(addresses.get(MYSQL));
    assertEquals(TunnelProtocol.NONE, mysql.getTunnelProtocol(), "not redirected: plain text");
    assertEquals(3306, mysql.getServicesOrThrow("legacy/mysql.legacy.svc.cluster.local").getPorts(0).getTargetPort(),
        "named targetPort resolved per workload");
    for (Resource r : addresses.values()) {
      assertFalse(r.getVersion().isEmpty(), "Address resources carry a content version");
    }
  }

  @Test
  void fileEdit_reachesClientAsDeltaHoldingOnlyTheChange() throws Exception {
    FakeZtunnel z = ztunnel(FakeZtunnel.Identity.onNode("node-2")).connect();
    z.await("ready", FakeZtunnel::ready);
    int before = z.responses(TypeUrls.ADDRESS).size();

    Path file = dir.resolve("bookinfo.yaml");
    String text = Files.readString(file);
    // ratings goes not-ready
    int at = text.indexOf("name: ratings-v1-7d8f6c5b4a-t8w3r");
    int ready = text.indexOf("status: \"True\"", at);
    Bookinfo.write(file, text.substring(0, ready) + "status: \"False\"" + text.substring(ready + 14));

    z.await("ratings update", c -> c.responses(TypeUrls.ADDRESS).size() > before);
    DeltaDiscoveryResponse delta = z.responses(TypeUrls.ADDRESS).get(before);
    assertEquals(List.of(RATINGS), delta.getResourcesList().stream().map(Resource::getName).toList());
    assertEquals(0, delta.getRemovedResourcesCount());
    assertEquals(WorkloadStatus.UNHEALTHY, workload(z.held(TypeUrls.ADDRESS).get(RATINGS)).getStatus());
  }

  @Test
  void fileDeleted_removesItsObjects() throws Exception {
    FakeZtunnel z = ztunnel(FakeZtunnel.Identity.onNode("node-2")).connect();
    z.await("ready", FakeZtunnel::ready);
    int before = z.responses(TypeUrls.ADDRESS).size();
    Files.delete(dir.resolve("legacy.yaml"));
    z.await("legacy removed", c -> !c.held(TypeUrls.ADDRESS).containsKey(MYSQL)
        && !c.held(TypeUrls.ADDRESS).containsKey("legacy/mysql.legacy.svc.cluster.local"));
    List<DeltaDiscoveryResponse> deltas = z.responses(TypeUrls.ADDRESS).subList(before, z.responses(TypeUrls.ADDRESS).size());
    assertEquals(0, deltas.stream().mapToInt(DeltaDiscoveryResponse::getResourcesCount).sum());
    assertEquals(Set.of(MYSQL, "legacy/mysql.legacy.svc.cluster.local"),
        deltas.stream().flatMap(d -> d.getRemovedResourcesList().stream()).collect(java.util.stream.Collectors.toSet()));
  }

  @Test
  void malformedDocument_isSkippedAndEverythingElseStillServed() throws Exception {
    Bookinfo.write(dir.resolve("broken.yaml"), """
        apiVersion: v1
        kind: Pod
        metadata:
          namespace: bookinfo
        ---
        this: [is not: valid
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: extra
        """);
    Await.until("both problems reported", () -> server.source().problems().size() == 2);
    assertEquals(List.of(0, 1), server.source().problems().stream().map(p -> p.document()).toList());
    assertTrue(server.source().problems().get(0).reason().contains("missing metadata.name"));
    Await.until("extra namespace loaded", () -> server.krt().collections().stream()
        .filter(c -> c.name().equals("informer/Namespaces")).findFirst().orElseThrow().get("extra").isPresent());
    FakeZtunnel z = ztunnel(FakeZtunnel.Identity.onNode("node-1")).connect();
    z.await("ready", FakeZtunnel::ready);
    assertEquals(14, z.held(TypeUrls.ADDRESS).size());
  }

  @Test
  void reconnect_withInitialVersions_getsOnlyDifferencesAndRemovals() throws Exception {
    FakeZtunnel first = ztunnel(FakeZtunnel.Identity.onNode("node-1")).connect();
    first.await("ready", FakeZtunnel::ready);
    Map<String, Map<String, String>> held = first.versions();
    first.disconnect();
    first.close();

    // While disconnected: mysql disappears and ratings changes.
    Files.delete(dir.resolve("legacy.yaml"));
    Path file = dir.resolve("bookinfo.yaml");
    String text = Files.readString(file);
    int at = text.indexOf("name: ratings-v1-7d8f6c5b4a-t8w3r");
    int ready = text.indexOf("status: \"True\"", at);
    Bookinfo.write(file, text.substring(0, ready) + "status: \"False\"" + text.substring(ready + 14));
    Await.until("server saw both changes", () -> {
      var idx = server.resources().type(TypeUrls.ADDRESS);
      return idx.get(MYSQL) == null && !idx.get(RATINGS).version().equals(held.get(TypeUrls.ADDRESS).get(RATINGS));
    });

    FakeZtunnel again = ztunnel(FakeZtunnel.Identity.onNode("node-1")).connect(held);
    again.await("ready", FakeZtunnel::ready);
    DeltaDiscoveryResponse initial = again.responses(TypeUrls.ADDRESS).get(0);
    assertEquals(List.of(RATINGS), initial.getResourcesList().stream().map(Resource::getName).toList());
    assertEquals(Set.of(MYSQL, "legacy/mysql.legacy.svc.cluster.local"),
        Set.copyOf(initial.getRemovedResourcesList()));
  }

  @Test
  void nack_getsNoResponseAndLaterChangesStillFlow() throws Exception {
    FakeZtunnel z = ztunnel(FakeZtunnel.Identity.onNode("node-1"));
    z.rejectWhere(r -> r.getName().equals(MYSQL));
    z.connect();
    z.await("ready", FakeZtunnel::ready);
    assertFalse(z.held(TypeUrls.ADDRESS).containsKey(MYSQL));
    int before = z.responses(TypeUrls.ADDRESS).size();
    Files.delete(dir.resolve("legacy.yaml"));
    z.await("removal after the NACK", c -> c.responses(TypeUrls.ADDRESS).size() > before);
    assertEquals(before + 1, z.responses(TypeUrls.ADDRESS).size(), "no response to the NACK itself");
    assertEquals(1, server.xds().metrics().get("nacks", TypeUrls.ADDRESS));
  }

  @Test
  void firstRequestWithoutNode_endsOnlyThatStream() throws Exception {
    FakeZtunnel good = ztunnel(FakeZtunnel.Identity.onNode("node-1")).connect();
    good.await("ready", FakeZtunnel::ready);

    FakeZtunnel bad = ztunnel(FakeZtunnel.Identity.onNode("node-2"));
    bad.connectRaw(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ADDRESS).build());
    Status status = bad.awaitClosed();
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode());
    assertEquals("missing node information", status.getDescription());

    int before = good.responses(TypeUrls.ADDRESS).size();
    Files.delete(dir.resolve("legacy.yaml"));
    good.await("the other stream still served", c -> c.responses(TypeUrls.ADDRESS).size() > before);
  }

  @Test
  void unknownTypeUrl_getsInvalidArgument() throws Exception {
    FakeZtunnel bad = ztunnel(FakeZtunnel.Identity.onNode("node-2"));
    bad.connectRaw(DeltaDiscoveryRequest.newBuilder()
        .setTypeUrl("type.googleapis.com/istio.example.Nothing")
        .setNode(FakeZtunnel.Identity.onNode("node-2").node())
        .build());
    Status status = bad.awaitClosed();
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode());
    assertTrue(status.getDescription().contains("unknown type URL"), status.getDescription());
  }

  @Test
  void staleNonceAndAck_getNoResponse() throws Exception {
    FakeZtunnel z = ztunnel(FakeZtunnel.Identity.onNode("node-1")).connect();
    z.await("ready", FakeZtunnel::ready);
    int before = z.responses().size();
    z.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ADDRESS).setResponseNonce("not-a-nonce")
        .addResourceNamesSubscribe("bookinfo/ratings.bookinfo.svc.cluster.local").build());
    // A later, valid subscription change proves the stale one was processed and ignored.
    z.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.AUTHORIZATION)
        .addResourceNamesSubscribe("bookinfo/none").build());
    z.await("answer to the valid change", c -> c.responses().size() > before);
    assertEquals(before + 1, z.responses().size());
    DeltaDiscoveryResponse answer = z.responses().get(before);
    assertEquals(TypeUrls.AUTHORIZATION, answer.getTypeUrl());
    assertEquals(List.of("bookinfo/none"), answer.getRemovedResourcesList());
  }

  @Test
  void onDemand_lookupsByNameAndIp_resolveAsIstiod() throws Exception {
    FakeZtunnel z = ztunnel(FakeZtunnel.Identity.onNode("node-2").withOnDemand()).connect();
    z.await("ready", FakeZtunnel::ready);
    // The first on-demand answer holds the workloads on the client's own node.
    Set<String> initial = new TreeSet<>(z.held(TypeUrls.ADDRESS).keySet());
    assertEquals(Set.of(
        "Kubernetes//Pod/bookinfo/details-v1-6c8d5b7f9d-m4q9z",
        RATINGS,
        "Kubernetes//Pod/bookinfo/reviews-v2-b8c9d6f7e5-h5j8d",
        MYSQL,
        "Kubernetes//Pod/istio-system/ztunnel-9mx2d"), initial);

    int before = z.responses(TypeUrls.ADDRESS).size();
    z.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ADDRESS)
        .addResourceNamesSubscribe("/10.244.1.10")          // productpage's pod IP
        .addResourceNamesSubscribe("/10.96.10.11")          // the details service VIP
        .addResourceNamesSubscribe("/10.1.1.1")             // nothing
        .build());
    z.await("lookup answered", c -> c.responses(TypeUrls.ADDRESS).size() > before);
    DeltaDiscoveryResponse answer = z.responses(TypeUrls.ADDRESS).get(before);
    Set<String> sent = new TreeSet<>();
    answer.getResourcesList().forEach(r -> sent.add(r.getName()));
    assertTrue(sent.contains(PRODUCTPAGE), sent.toString());
    assertTrue(sent.contains("bookinfo/details.bookinfo.svc.cluster.local"), sent.toString());
    assertTrue(sent.contains("Kubernetes//Pod/bookinfo/details-v1-6c8d5b7f9d-m4q9z"), "a service brings its workloads");
    Resource pp = answer.getResourcesList().stream().filter(r -> r.getName().equals(PRODUCTPAGE)).findFirst().orElseThrow();
    assertEquals(List.of("/10.244.1.10"), pp.getAliasesList());
    assertEquals(List.of("/10.1.1.1"), answer.getRemovedResourcesList());
  }
}
