package dev.sextant.ambient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sextant.krt.Collection;
import dev.sextant.krt.Krt;
import dev.sextant.model.MeshSettings;
import dev.sextant.model.WorkloadInfo;
import dev.sextant.source.Inputs;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The translation graph recomputes only what depends on a change (issue 4, point 4), counted on
 * the collections' recomputation counters over the real {@link Ambient} wiring.
 */
class AmbientIncrementalityTest {
  private final Krt krt = new Krt("t");
  private final Inputs inputs = Inputs.create(krt);
  private Ambient ambient;

  @BeforeEach
  void build() throws Exception {
    ambient = Ambient.build(krt, inputs, MeshSettings.defaults());
    for (String ns : new String[] {"ns1", "ns2"}) {
      inputs.namespaces().upsert(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build());
      // 10 pods labelled app=a, 10 app=b, 10 app=c per namespace
      for (int i = 0; i < 30; i++) {
        String app = i < 10 ? "a" : i < 20 ? "b" : "c";
        inputs.pods().upsert(pod(ns, "p" + i, app, "10." + (ns.equals("ns1") ? 1 : 2) + ".0." + i));
      }
      inputs.services().upsert(service(ns, "svc", "a"));
    }
    inputs.markAllSynced();
    assertTrue(krt.awaitSynced(Duration.ofSeconds(10)), "synced: " + krt.notSynced());
  }

  @AfterEach
  void close() {
    krt.close();
  }

  private static Pod pod(String ns, String name, String app, String ip) {
    return new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).withLabels(Map.of("app", app))
        .endMetadata().withNewSpec().withServiceAccountName("default").withNodeName("n").endSpec()
        .withNewStatus().withPhase("Running").withPodIP(ip).endStatus().build();
  }

  private static Service service(String ns, String name, String app) {
    return new ServiceBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
        .withNewSpec().withClusterIP("10.96.0." + (ns.equals("ns1") ? 1 : 2)).withSelector(Map.of("app", app))
        .addNewPort().withPort(80).endPort().endSpec().build();
  }

  private void settle(BooleanSupplier condition) throws InterruptedException {
    lastTotal = -1;
    stableChecks = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!(condition.getAsBoolean() && quiet())) {
      assertTrue(System.nanoTime() < deadline, "did not settle");
      Thread.sleep(5);
    }
  }

  private long lastTotal = -1;
  private int stableChecks;

  /** True when no collection recomputed over the last five calls (25 ms at least). */
  private boolean quiet() {
    long total = krt.collections().stream().mapToLong(Collection::recomputations).sum();
    stableChecks = total == lastTotal ? stableChecks + 1 : 0;
    lastTotal = total;
    return stableChecks >= 5;
  }

  private boolean inService(String ns, String pod) {
    return ambient.podWorkloads().get("Kubernetes//Pod/" + ns + "/" + pod).map(WorkloadInfo::workload)
        .map(w -> w.getServicesMap().containsKey(ns + "/svc." + ns + ".svc.cluster.local")).orElse(false);
  }

  @Test
  void serviceSelectorChange_recomputesOnlyTheWorkloadsItSelectedOrSelects() throws Exception {
    settle(() -> inService("ns1", "p0"));
    long before = ambient.podWorkloads().recomputations();
    inputs.services().upsert(service("ns1", "svc", "b"));
    settle(() -> inService("ns1", "p10") && !inService("ns1", "p0"));
    // 10 pods left the service (app=a), 10 joined it (app=b); app=c and all of ns2 are untouched
    assertEquals(20, ambient.podWorkloads().recomputations() - before);
  }

  @Test
  void namespaceLabelChange_recomputesOnlyThatNamespace() throws Exception {
    settle(() -> inService("ns2", "p0"));
    long before = ambient.podWorkloads().recomputations();
    Namespace labelled = new NamespaceBuilder().withNewMetadata().withName("ns1")
        .withLabels(Map.of("team", "payments")).endMetadata().build();
    inputs.namespaces().upsert(labelled);
    // the change propagates asynchronously: wait until it was seen, then until nothing else moves
    settle(() -> ambient.podWorkloads().recomputations() > before);
    assertEquals(30, ambient.podWorkloads().recomputations() - before, "the 30 pods of ns1 only");
  }

  @Test
  void podChange_recomputesOnlyThatPod() throws Exception {
    settle(() -> inService("ns1", "p0"));
    long before = ambient.podWorkloads().recomputations();
    inputs.pods().upsert(pod("ns1", "p5", "a", "10.1.0.99"));
    settle(() -> ambient.podWorkloads().get("Kubernetes//Pod/ns1/p5")
        .map(w -> w.workload().getAddresses(0).byteAt(3) == 99).orElse(false));
    assertEquals(1, ambient.podWorkloads().recomputations() - before);
  }
}
