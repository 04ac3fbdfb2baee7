package dev.sextant.ca.authz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sextant.ca.authn.KubernetesInfo;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** istiod's node authorizer over an informer-backed pod index on the CRUD mock: the allowed case and each refusal. */
@EnableKubernetesMockClient(crud = true)
class NodeAuthorizerTest {
  /** The API server assigns UIDs: the ones our pods got. */
  final Map<String, String> uids = new java.util.HashMap<>();
  KubernetesInfo ztunnel;
  static final String BOOKINFO = "spiffe://cluster.local/ns/bookinfo/sa/reviews";
  KubernetesClient client;
  InformerPodIndex pods;
  NodeAuthorizer authorizer;

  @BeforeEach
  void setUp() throws Exception {
    create(pod("istio-system", "ztunnel-a", "uid-za", "ztunnel", "node-a", "Running"));
    create(pod("istio-system", "ztunnel-b", "uid-zb", "ztunnel", "node-b", "Running"));
    create(pod("bookinfo", "reviews-1", "uid-r1", "reviews", "node-a", "Running"));
    create(pod("bookinfo", "ratings-1", "uid-t1", "ratings", "node-b", "Running"));
    create(pod("bookinfo", "done-1", "uid-d1", "batch", "node-a", "Succeeded"));
    create(pod("bookinfo", "crashed-1", "uid-c1", "crashed", "node-a", "Failed"));
    create(pod("bookinfo", "pending-1", "uid-p1", "pending", "", "Pending"));
    create(pod("hidden", "h-1", "uid-h1", "reviews", "node-a", "Running"));
    ztunnel = new KubernetesInfo("ztunnel-a", "istio-system", uids.get("ztunnel-a"), "ztunnel");
    pods = InformerPodIndex.start(client, ns -> !ns.equals("hidden"));
    await(pods::hasSynced);
    awaitWatchLive();
    authorizer = new NodeAuthorizer(NodeAuthorizer.parseTrusted(List.of("istio-system/ztunnel", "no-slash")),
        Map.of("Kubernetes", pods), () -> "cluster.local", Set.of("old.domain"));
  }

  @AfterEach
  void tearDown() {
    pods.close();
  }

  @Test
  void ztunnel_identityWithPodOnItsNode_isAllowed_includingSucceededPodsAndAliases() throws Exception {
    authorizer.authorize("Kubernetes", ztunnel, BOOKINFO);
    authorizer.authorize("Kubernetes", ztunnel, "spiffe://cluster.local/ns/bookinfo/sa/batch");
    authorizer.authorize("Kubernetes", ztunnel, "spiffe://old.domain/ns/bookinfo/sa/reviews");
    assertEquals(Set.of(new NodeAuthorizer.ServiceAccountRef("istio-system", "ztunnel")), authorizer.trusted());
  }

  @Test
  void refusals_eachWithItsReason() {
    Object[][] cases = {
        {"remote", ztunnel, BOOKINFO, "no_node_authorizer"},
        {"", ztunnel, BOOKINFO, "no_node_authorizer"},
        {"Kubernetes", new KubernetesInfo("reviews-1", "bookinfo", uids.get("reviews-1"), "reviews"), BOOKINFO,
            "caller_not_trusted"},
        {"Kubernetes", ztunnel, "spiffe://cluster.local/ns/bookinfo/reviews", "invalid_identity"},
        {"Kubernetes", ztunnel, "spiffe://cluster.local/ns//sa/reviews", "invalid_identity"},
        {"Kubernetes", ztunnel, "spiffe://cluster.local/ns/book info/sa/reviews", "invalid_identity"},
        {"Kubernetes", ztunnel, "spiffe://evil.domain/ns/bookinfo/sa/reviews", "foreign_trust_domain"},
        {"Kubernetes", new KubernetesInfo("", "istio-system", "", "ztunnel"), BOOKINFO, "caller_pod_not_found"},
        {"Kubernetes", new KubernetesInfo("ztunnel-gone", "istio-system", "uid-x", "ztunnel"), BOOKINFO,
            "caller_pod_not_found"},
        {"Kubernetes", new KubernetesInfo("ztunnel-a", "istio-system", "uid-old", "ztunnel"), BOOKINFO,
            "caller_pod_uid_mismatch"},
        {"Kubernetes", ztunnel, "spiffe://cluster.local/ns/bookinfo/sa/ratings", "identity_not_on_node"},
        {"Kubernetes", ztunnel, "spiffe://cluster.local/ns/bookinfo/sa/crashed", "identity_not_on_node"},
        {"Kubernetes", ztunnel, "spiffe://cluster.local/ns/bookinfo/sa/pending", "identity_not_on_node"},
        {"Kubernetes", ztunnel, "spiffe://cluster.local/ns/hidden/sa/reviews", "identity_not_on_node"},
    };
    for (Object[] c : cases) {
      ImpersonationDeniedException e = assertThrows(ImpersonationDeniedException.class,
          () -> authorizer.authorize((String) c[0], (KubernetesInfo) c[1], (String) c[2]), c[2] + " as " + c[1]);
      assertEquals(c[3], e.reason(), e.getMessage());
    }
  }

  @Test
  void callerPodWithOtherServiceAccount_isRefused() throws Exception {
    create(pod("istio-system", "impostor", "uid-i", "default", "node-a", "Running"));
    await(() -> pods.pod("istio-system", "impostor").isPresent());
    ImpersonationDeniedException e = assertThrows(ImpersonationDeniedException.class, () -> authorizer.authorize(
        "Kubernetes", new KubernetesInfo("impostor", "istio-system", uids.get("impostor"), "ztunnel"), BOOKINFO));
    assertEquals("caller_pod_sa_mismatch", e.reason());
  }

  @Test
  void podDeleted_laterRequestsAreRefused() throws Exception {
    authorizer.authorize("Kubernetes", ztunnel, BOOKINFO);
    client.pods().inNamespace("bookinfo").withName("reviews-1").delete();
    await(() -> !pods.anyOn("bookinfo", "reviews", "node-a"));
    assertThrows(ImpersonationDeniedException.class, () -> authorizer.authorize("Kubernetes", ztunnel, BOOKINFO));
  }

  void create(Pod p) {
    Pod created = client.pods().inNamespace(p.getMetadata().getNamespace()).resource(p).create();
    uids.put(created.getMetadata().getName(), created.getMetadata().getUid());
    created.setStatus(p.getStatus());
    client.pods().inNamespace(p.getMetadata().getNamespace()).resource(created).updateStatus();
  }

  static Pod pod(String ns, String name, String uid, String sa, String node, String phase) {
    return new PodBuilder().withNewMetadata().withNamespace(ns).withName(name).withUid(uid).endMetadata()
        .withNewSpec().withServiceAccountName(sa).withNodeName(node.isEmpty() ? null : node).endSpec()
        .withNewStatus().withPhase(phase).endStatus().build();
  }

  /**
   * The informer syncs on its list and then opens its watch; the CRUD mock does not replay events
   * from a resource version, so a change made before the watch is open would never arrive. A probe
   * pod created after the watch is open is seen; one created before is not, so try until one is.
   */
  void awaitWatchLive() throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      String name = "watch-probe-" + i;
      create(pod("probe", name, "uid-" + name, "probe", "node-z", "Running"));
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
      while (System.nanoTime() < until) {
        if (pods.pod("probe", name).isPresent()) {
          return;
        }
        Thread.sleep(10);
      }
    }
    throw new AssertionError("the pod informer's watch never delivered an event");
  }

  static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 20 s");
      }
      Thread.sleep(20);
    }
  }
}
