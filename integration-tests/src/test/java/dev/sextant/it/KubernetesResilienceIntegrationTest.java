package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sextant.api.TypeUrls;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sextant in Kubernetes mode when watches break: closed mid-stream, expired with 410 Gone, and the
 * API server gone for a while. Two mock API servers (CRUD mode) share one store: Sextant talks to
 * {@code api}, which the test can stop and restart on the same port; the test writes through
 * {@code admin}, which stays up. {@link ApiServerControls} does to watches what a real API server
 * does. Every change is checked to reach the fake ztunnel as a delta of exactly what changed.
 */
class KubernetesResilienceIntegrationTest {
  static final String APP0 = "Kubernetes//Pod/apps/app-0";
  static final String APP1 = "Kubernetes//Pod/apps/app-1";
  static final String APP2 = "Kubernetes//Pod/apps/app-2";
  static final String WEB = "apps/web.apps.svc.cluster.local";
  static final String PODS = "/api/v1/pods";

  final Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
  final ApiServerControls controls = new ApiServerControls(new KubernetesMixedDispatcher(responses));
  KubernetesMockServer api;
  KubernetesMockServer admin;
  KubernetesClient sextantClient;
  KubernetesClient adminClient;
  SextantServer server;
  FakeZtunnel z;

  @BeforeEach
  void cluster() throws Exception {
    api = MockCluster.server(responses, controls);
    admin = MockCluster.server(responses, controls);
    sextantClient = api.createClient();
    adminClient = admin.createClient();
    MockCluster.installCrds(adminClient);
    MockCluster.create(adminClient, KubernetesSourceIntegrationTest.resource("base.yaml"));
  }

  @AfterEach
  void stop() {
    if (z != null) {
      z.close();
    }
    if (server != null) {
      server.close();
    }
    sextantClient.close();
    adminClient.close();
    api.destroy();
    admin.destroy();
  }

  void start() throws Exception {
    server = SextantServer.start(ServerConfig.forTest(sextantClient));
    Await.until("server ready", server::isReady);
    z = new FakeZtunnel(server.grpcAddress(), FakeZtunnel.Identity.onNode("node-1")).connect();
    z.await("ztunnel ready", FakeZtunnel::ready);
    Await.until("every informer watching", () -> controls.openWatches() >= 14);
  }

  static final String APP1_POD = """
      apiVersion: v1
      kind: Pod
      metadata: {name: app-1, namespace: apps, labels: {app: web}}
      spec: {serviceAccountName: app, nodeName: node-1, containers: [{name: c}]}
      status: {phase: Running, podIP: 10.0.0.11, conditions: [{type: Ready, status: "True"}]}
      """;

  @Test
  void watchesClosedMidStream_reconnect_andChangesArriveWithoutResendingTheReplay() throws Exception {
    start();
    int podWatches = controls.watches(PODS);
    // The mock replays every object as ADDED on a new watch: none of it may be resent to ztunnel.
    Deltas.step(server, z, "watches dropped, then a pod added", () -> {
      controls.dropWatches();
      MockCluster.create(adminClient, APP1_POD);
    }, c -> c.held(TypeUrls.ADDRESS).containsKey(APP1));
    Await.until("pods watch re-established", () -> controls.watches(PODS) > podWatches);
    Deltas.step(server, z, "a pod deleted after the reconnect",
        () -> adminClient.pods().inNamespace("apps").withName("app-1").delete(),
        c -> !c.held(TypeUrls.ADDRESS).containsKey(APP1));
  }

  @Test
  void watchesExpired410_relist_withoutLosingOrDuplicatingAnything() throws Exception {
    start();
    int podLists = controls.lists(PODS);
    int serviceLists = controls.lists("/api/v1/services");
    Deltas.step(server, z, "410 Gone on every watch, then a pod added", () -> {
      controls.expireWatches();
      Await.untilQuietly("pods and services relisted",
          () -> controls.lists(PODS) > podLists && controls.lists("/api/v1/services") > serviceLists);
      MockCluster.create(adminClient, APP1_POD);
    }, c -> c.held(TypeUrls.ADDRESS).containsKey(APP1));
    assertEquals(0, server.kubernetesSource().skippedObjects());
  }

  @Test
  void apiServerUnreachable_lastStateServedAndReady_thenConvergesIncludingDeletesMissedMeanwhile() throws Exception {
    start();
    int port = api.getPort();
    Map<String, ?> before = z.held(TypeUrls.ADDRESS);
    api.destroy();

    // While it is gone: still ready, and a new ztunnel gets the last known state.
    assertEquals(200, ready());
    assertTrue(server.isReady());
    try (FakeZtunnel late = new FakeZtunnel(server.grpcAddress(), FakeZtunnel.Identity.onNode("node-1")).connect()) {
      late.await("late ztunnel ready", FakeZtunnel::ready);
      assertEquals(before.keySet(), late.held(TypeUrls.ADDRESS).keySet());
    }

    // Meanwhile the cluster changes; the watch history behind the change is compacted away, so the
    // informers must relist to see the deletion.
    Deltas.step(server, z, "API server back after changes", () -> {
      adminClient.pods().inNamespace("apps").withName("app-2").delete();
      MockCluster.create(adminClient, APP1_POD);
      adminClient.services().inNamespace("apps").withName("web").edit(s -> {
        s.getSpec().getPorts().get(0).setPort(81);
        return s;
      });
      String now = adminClient.pods().inAnyNamespace().list().getMetadata().getResourceVersion();
      controls.expireVersionsBelow(Long.parseLong(now));
      api = restart(port);
    }, c -> c.held(TypeUrls.ADDRESS).containsKey(APP1) && !c.held(TypeUrls.ADDRESS).containsKey(APP2)
        && KubernetesSourceIntegrationTest.servicePorts(c, WEB).contains(81));
    assertTrue(z.held(TypeUrls.ADDRESS).containsKey(APP0));
    assertTrue(server.isReady());
  }

  @Test
  void ready_is503UntilEveryInputHasSynced() throws Exception {
    controls.failLists("/api/v1/services");
    server = SextantServer.start(ServerConfig.forTest(sextantClient));
    Await.until("pods listed", () -> server.inputs().pods().hasSynced());
    assertEquals(503, ready());
    assertFalse(server.isReady());
    assertTrue(server.krt().notSynced().contains("informer/Services"), server.krt().notSynced().toString());
    controls.failLists(null);
    Await.until("ready once services are listed", server::isReady);
    assertEquals(200, ready());
  }

  KubernetesMockServer restart(int port) {
    KubernetesMockServer restarted = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(),
        new io.fabric8.mockwebserver.MockWebServer(), responses, controls, false);
    try {
      restarted.init(InetAddress.getByName("localhost"), port);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return restarted;
  }

  int ready() throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + server.httpAddress().getPort() + "/ready")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
