package dev.sextant.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The istio-ca-root-cert ConfigMaps against the CRUD mock: every namespace, repaired, updated on rotation. */
@EnableKubernetesMockClient(crud = true)
class RootCertConfigMapsTest {
  static final String NAME = "istio-ca-root-cert";
  KubernetesClient client;
  final AtomicReference<String> root = new AtomicReference<>("ROOT-1\n");
  RootCertConfigMaps controller;

  @BeforeEach
  void setUp() throws Exception {
    for (String ns : new String[] {"istio-system", "kube-system", "kube-public", "kube-node-lease", "bookinfo", "hidden"}) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    }
    controller = new RootCertConfigMaps(client, NAME, root::get, ns -> !ns.equals("hidden"));
    controller.start();
    await(controller::hasSynced);
  }

  @AfterEach
  void tearDown() {
    controller.close();
  }

  ConfigMap cm(String ns) {
    return client.configMaps().inNamespace(ns).withName(NAME).get();
  }

  String data(String ns) {
    ConfigMap c = cm(ns);
    return c == null || c.getData() == null ? null : c.getData().get("root-cert.pem");
  }

  @Test
  void everyVisibleNamespace_getsTheConfigMap_exceptIstiodsIgnoredOnes() throws Exception {
    for (String ns : new String[] {"istio-system", "kube-system", "bookinfo"}) {
      await(() -> "ROOT-1\n".equals(data(ns)));
      assertEquals(Map.of("istio.io/config", "true"), cm(ns).getMetadata().getLabels());
    }
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("late").endMetadata().build()).create();
    await(() -> "ROOT-1\n".equals(data("late")));
    Thread.sleep(300);
    assertNull(cm("kube-public"));
    assertNull(cm("kube-node-lease"));
    assertNull(cm("hidden"), "namespaces hidden by discovery selectors are left alone");
  }

  @Test
  void deletedOrTamperedConfigMap_isRepaired_otherKeysKept() throws Exception {
    await(() -> "ROOT-1\n".equals(data("bookinfo")));
    client.configMaps().inNamespace("bookinfo").withName(NAME).delete();
    await(() -> cm("bookinfo") != null && "ROOT-1\n".equals(data("bookinfo")));

    ConfigMap c = cm("bookinfo");
    Map<String, String> d = new HashMap<>(c.getData());
    d.put("root-cert.pem", "tampered");
    d.put("extra", "kept");
    c.setData(d);
    client.configMaps().inNamespace("bookinfo").resource(c).update();
    await(() -> "ROOT-1\n".equals(data("bookinfo")));
    assertEquals("kept", cm("bookinfo").getData().get("extra"));
  }

  @Test
  void rootChange_updatesEveryNamespace() throws Exception {
    await(() -> "ROOT-1\n".equals(data("istio-system")) && "ROOT-1\n".equals(data("bookinfo")));
    root.set("ROOT-2\n");
    controller.rootChanged();
    await(() -> "ROOT-2\n".equals(data("istio-system")) && "ROOT-2\n".equals(data("bookinfo"))
        && "ROOT-2\n".equals(data("kube-system")));
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
