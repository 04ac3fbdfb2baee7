package dev.sextant.source;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sextant.krt.Krt;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DiscoveryScopeTest {
  final Krt krt = new Krt("test");
  final Inputs inputs = Inputs.create(krt);

  @AfterEach
  void close() {
    krt.close();
  }

  static InputKind<?> kind(String name) {
    return Inputs.KINDS.stream().filter(k -> k.kind().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void admits_noSelectors_everyNamespaceEvenUnknown() {
    DiscoveryScope scope = new DiscoveryScope(inputs.namespaces(), List.of(), "");
    assertTrue(scope.admits(kind("Pod"), KubeObjects.pod("nowhere", "p", "10.0.0.1", Map.of())));
  }

  @Test
  void admits_selectors_namespacedKindsByNamespaceLabels_clusterScopedAlways() {
    inputs.namespaces().upsert(KubeObjects.namespace("in", Map.of("mesh", "on")));
    inputs.namespaces().upsert(KubeObjects.namespace("out", Map.of()));
    DiscoveryScope scope = new DiscoveryScope(inputs.namespaces(),
        List.of(new LabelSelectorBuilder().addToMatchLabels("mesh", "on").build()), "");
    assertTrue(scope.admits(kind("Pod"), KubeObjects.pod("in", "p", "10.0.0.1", Map.of())));
    assertFalse(scope.admits(kind("Pod"), KubeObjects.pod("out", "p", "10.0.0.1", Map.of())));
    assertFalse(scope.admits(kind("Pod"), KubeObjects.pod("unknown", "p", "10.0.0.1", Map.of())),
        "a namespace not seen yet is not selected");
    assertTrue(scope.admits(kind("Namespace"), KubeObjects.namespace("out", Map.of())));
  }

  @Test
  void admits_revision_onlyForPolicyKinds_literalCompare() {
    DiscoveryScope scope = new DiscoveryScope(inputs.namespaces(), List.of(), "canary");
    assertFalse(scope.admits(kind("PeerAuthentication"),
        KubeObjects.peerAuthentication("ns", "pa", Map.of("istio.io/rev", "default"))));
    assertTrue(scope.admits(kind("PeerAuthentication"),
        KubeObjects.peerAuthentication("ns", "pa", Map.of("istio.io/rev", "canary"))));
    assertTrue(scope.admits(kind("PeerAuthentication"), KubeObjects.peerAuthentication("ns", "pa", Map.of())));
    assertTrue(scope.admits(kind("Pod"), KubeObjects.pod("ns", "p", "10.0.0.1", Map.of("istio.io/rev", "x"))));
    DiscoveryScope noRevision = new DiscoveryScope(inputs.namespaces(), List.of(), "");
    assertTrue(noRevision.admits(kind("PeerAuthentication"),
        KubeObjects.peerAuthentication("ns", "pa", Map.of("istio.io/rev", "default"))));
  }

  @Test
  void admits_failedPod_never() {
    DiscoveryScope scope = new DiscoveryScope(inputs.namespaces(), List.of(), "");
    Pod failed = KubeObjects.pod("ns", "p", "10.0.0.1", Map.of());
    failed.getStatus().setPhase("Failed");
    assertFalse(scope.admits(kind("Pod"), failed));
  }
}
