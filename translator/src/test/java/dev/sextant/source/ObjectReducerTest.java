package dev.sextant.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ObjectReducerTest {
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  static String resource(String name) {
    try (InputStream in = ObjectReducerTest.class.getResourceAsStream("/source/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static Pod realisticPod() {
    return SERIALIZATION.unmarshal(resource("realistic-pod.yaml"), Pod.class);
  }

  static Service realisticService() {
    return SERIALIZATION.unmarshal(resource("realistic-service.yaml"), Service.class);
  }

  @Test
  void pod_keepsEveryFieldTheTranslatorReads() {
    Pod full = realisticPod();
    full.getMetadata().setDeletionTimestamp("2025-01-11T00:00:00Z");
    Container sidecar = new Container();
    sidecar.setName("proxy");
    sidecar.setRestartPolicy("Always");
    sidecar.setPorts(List.of(new io.fabric8.kubernetes.api.model.ContainerPort(15090, null, null, "metrics", "TCP")));
    full.getSpec().setInitContainers(List.of(sidecar));
    full.getSpec().setHostNetwork(true);
    Pod copy = SERIALIZATION.clone(full);

    Pod r = ObjectReducer.pod(copy);
    assertEquals(full.getMetadata().getName(), r.getMetadata().getName());
    assertEquals("bookinfo", r.getMetadata().getNamespace());
    assertEquals(full.getMetadata().getUid(), r.getMetadata().getUid());
    assertEquals(full.getMetadata().getResourceVersion(), r.getMetadata().getResourceVersion());
    assertEquals("reviews-v2-b8c9d6f7e5-", r.getMetadata().getGenerateName());
    assertEquals(full.getMetadata().getLabels(), r.getMetadata().getLabels());
    assertEquals("enabled", r.getMetadata().getAnnotations().get("ambient.istio.io/redirection"));
    assertFalse(r.getMetadata().getAnnotations().containsKey(ObjectReducer.LAST_APPLIED));
    assertEquals(4, r.getMetadata().getAnnotations().size());
    assertEquals("ReplicaSet", r.getMetadata().getOwnerReferences().get(0).getKind());
    assertEquals("reviews-v2-b8c9d6f7e5", r.getMetadata().getOwnerReferences().get(0).getName());
    assertEquals(true, r.getMetadata().getOwnerReferences().get(0).getController());
    assertEquals("2025-01-10T09:12:45Z", r.getMetadata().getCreationTimestamp());
    assertEquals("2025-01-11T00:00:00Z", r.getMetadata().getDeletionTimestamp());

    assertEquals("bookinfo-reviews", r.getSpec().getServiceAccountName());
    assertEquals("node-2", r.getSpec().getNodeName());
    assertEquals(true, r.getSpec().getHostNetwork());
    assertEquals(full.getSpec().getContainers().get(0).getPorts(), r.getSpec().getContainers().get(0).getPorts());
    assertEquals("Always", r.getSpec().getInitContainers().get(0).getRestartPolicy());
    assertEquals(15090, r.getSpec().getInitContainers().get(0).getPorts().get(0).getContainerPort());

    assertEquals("Running", r.getStatus().getPhase());
    assertEquals("10.244.2.14", r.getStatus().getPodIP());
    assertEquals(full.getStatus().getPodIPs(), r.getStatus().getPodIPs());
    assertEquals(1, r.getStatus().getConditions().size());
    assertEquals("Ready", r.getStatus().getConditions().get(0).getType());
    assertEquals("True", r.getStatus().getConditions().get(0).getStatus());
  }

  @Test
  void pod_dropsWhatItDoesNotRead() {
    Pod r = ObjectReducer.pod(realisticPod());
    assertTrue(r.getMetadata().getManagedFields() == null || r.getMetadata().getManagedFields().isEmpty());
    Container c = r.getSpec().getContainers().get(0);
    assertTrue(c.getEnv() == null || c.getEnv().isEmpty());
    assertNull(c.getImage());
    assertNull(c.getReadinessProbe());
    assertTrue(r.getSpec().getVolumes() == null || r.getSpec().getVolumes().isEmpty());
    assertTrue(r.getSpec().getTolerations() == null || r.getSpec().getTolerations().isEmpty());
    assertTrue(r.getStatus().getContainerStatuses() == null || r.getStatus().getContainerStatuses().isEmpty());
    assertNull(r.getStatus().getHostIP());
  }

  @Test
  void pod_repeatedStringsInterned_acrossPods() {
    Pod a = ObjectReducer.pod(realisticPod());
    Pod b = ObjectReducer.pod(realisticPod());
    assertSame(a.getMetadata().getNamespace(), b.getMetadata().getNamespace());
    assertSame(a.getSpec().getNodeName(), b.getSpec().getNodeName());
    assertSame(a.getMetadata().getLabels().get("pod-template-hash"), b.getMetadata().getLabels().get("pod-template-hash"));
  }

  @Test
  void service_keepsSpecAndLoadBalancer_dropsManagedFieldsAndLastApplied() {
    Service full = realisticService();
    full.getSpec().setSessionAffinityConfig(new io.fabric8.kubernetes.api.model.SessionAffinityConfig());
    full.setStatus(new io.fabric8.kubernetes.api.model.ServiceStatusBuilder().withNewLoadBalancer()
        .addNewIngress().withIp("203.0.113.7").endIngress().endLoadBalancer().build());
    Service expectedSpec = SERIALIZATION.clone(full);
    expectedSpec.getSpec().setSessionAffinityConfig(null);

    Service r = ObjectReducer.service(full);
    assertEquals(expectedSpec.getSpec(), r.getSpec());
    assertEquals("203.0.113.7", r.getStatus().getLoadBalancer().getIngress().get(0).getIp());
    assertTrue(r.getMetadata().getManagedFields() == null || r.getMetadata().getManagedFields().isEmpty());
    assertTrue(r.getMetadata().getAnnotations().isEmpty());
    assertEquals(Map.of("app", "reviews", "service", "reviews"), r.getMetadata().getLabels());
  }

  @Test
  void node_keepsLabelsOnly() {
    Node n = new NodeBuilder().withNewMetadata().withName("n1").addToLabels("topology.kubernetes.io/zone", "z1")
        .addToAnnotations("csi.volume.kubernetes.io/nodeid", "{}").endMetadata()
        .withNewStatus().addNewImage().withNames("img").endImage().endStatus().build();
    Node r = ObjectReducer.node(n);
    assertEquals(Map.of("topology.kubernetes.io/zone", "z1"), r.getMetadata().getLabels());
    assertTrue(r.getMetadata().getAnnotations().isEmpty());
    assertNull(r.getStatus());
  }

  @Test
  void customResource_keepsSpec_reducesMetadata() {
    PeerAuthentication pa = KubeObjects.peerAuthentication("ns", "pa", Map.of("a", "b"));
    pa.getMetadata().getAnnotations().put(ObjectReducer.LAST_APPLIED, "{}");
    pa.getMetadata().getAnnotations().put("kept", "yes");
    var spec = pa.getSpec();
    PeerAuthentication r = ObjectReducer.reduce(pa);
    assertSame(spec, r.getSpec());
    assertEquals(Map.of("kept", "yes"), r.getMetadata().getAnnotations());
    assertEquals(Map.of("a", "b"), r.getMetadata().getLabels());
  }
}
