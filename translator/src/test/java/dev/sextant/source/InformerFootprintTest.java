package dev.sextant.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sextant.krt.Krt;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Heap per cached Pod and Service through a real informer: N objects (realistic-*.yaml, varied as
 * in {@link FootprintTest}) are put in the mock API server, then listed by (a) a plain fabric8
 * informer with its default store, and (b) {@link KubernetesSource}, whose informer store and input
 * collection share each reduced object. The figure is used heap after GC with the cache minus used
 * heap after GC before it was built (MemoryMXBean), divided by N: it includes the store's map, the
 * namespace index and the input collection's map, not only the objects.
 *
 * <p>Opt-in, it takes a minute: {@code mvn -o test -pl translator -Dtest=InformerFootprintTest
 * -Dfootprint=true [-Dfootprint.n=5000]}.
 */
@EnableKubernetesMockClient(crud = true)
@EnabledIfSystemProperty(named = "footprint", matches = "true")
class InformerFootprintTest {
  KubernetesClient client;

  @Test
  void heapPerCachedPodAndService_plainInformerVersusKubernetesSource() throws Exception {
    int n = Integer.getInteger("footprint.n", 5000);
    for (HasMetadata p : FootprintTest.pods(n, false)) {
      client.resource((Pod) p).create();
    }
    for (HasMetadata s : FootprintTest.services(n, false)) {
      client.resource((Service) s).create();
    }
    // Warm both paths once so that class loading and pools are in the baseline.
    measure(n, () -> plain(n), "warm-up");
    measure(n, () -> sextant(n), "warm-up");
    long plainBytes = measure(n, () -> plain(n), "plain fabric8 informers, per pod+service pair");
    long sextantBytes = measure(n, () -> sextant(n), "KubernetesSource, per pod+service pair");
    assertTrue(sextantBytes * 5 < plainBytes, sextantBytes + " vs " + plainBytes);

    long podsOnly = measure(n, () -> sextantKinds(n, true), "KubernetesSource, pods only");
    long servicesOnly = measure(n, () -> sextantKinds(n, false), "KubernetesSource, services only");
    long plainPods = measure(n, () -> plainKinds(n, true), "plain informer, pods only");
    long plainServices = measure(n, () -> plainKinds(n, false), "plain informer, services only");
    System.out.printf(Locale.ROOT, "footprint (used heap after GC, %d each): pod %d -> %d bytes, service %d -> %d bytes%n",
        n, plainPods, podsOnly, plainServices, servicesOnly);
  }

  interface Cache extends AutoCloseable {
    @Override
    void close();
  }

  Cache plain(int n) {
    Cache pods = plainKinds(n, true);
    Cache services = plainKinds(n, false);
    return () -> {
      pods.close();
      services.close();
    };
  }

  Cache plainKinds(int n, boolean pods) {
    SharedIndexInformer<?> informer = pods
        ? client.pods().inAnyNamespace().runnableInformer(0)
        : client.services().inAnyNamespace().runnableInformer(0);
    informer.start().toCompletableFuture().join();
    assertEquals(n, informer.getStore().list().size());
    return informer::close;
  }

  Cache sextant(int n) {
    Krt krt = new Krt("footprint");
    Inputs inputs = Inputs.create(krt);
    KubernetesSource source = new KubernetesSource(client, inputs, KubernetesSource.Options.defaults());
    source.start();
    awaitSynced(krt);
    assertEquals(n, inputs.pods().size());
    assertEquals(n, inputs.services().size());
    return () -> {
      source.close();
      krt.close();
    };
  }

  /** Only one kind: the Pod or Service input fed by an InformerInput as KubernetesSource builds it. */
  Cache sextantKinds(int n, boolean pods) {
    Krt krt = new Krt("footprint");
    Inputs inputs = Inputs.create(krt);
    dev.sextant.krt.fabric8.InformerInput<?, ?> input;
    if (pods) {
      input = new dev.sextant.krt.fabric8.InformerInput<>(client.pods().inAnyNamespace().runnableInformer(0),
          inputs.pods(), new dev.sextant.krt.fabric8.InformerInput.Options<Pod, Pod>("Pod", ObjectReducer::reduce,
              p -> p, p -> true, false));
    } else {
      input = new dev.sextant.krt.fabric8.InformerInput<>(client.services().inAnyNamespace().runnableInformer(0),
          inputs.services(), new dev.sextant.krt.fabric8.InformerInput.Options<Service, Service>("Service",
              ObjectReducer::reduce, s -> s, s -> true, false));
    }
    input.start().join();
    assertEquals(n, (pods ? inputs.pods() : inputs.services()).size());
    return () -> {
      input.close();
      krt.close();
    };
  }

  interface Builder {
    Cache build();
  }

  static long measure(int n, Builder builder, String what) {
    long before = usedAfterGc();
    Cache cache = builder.build();
    long after = usedAfterGc();
    cache.close();
    long perObject = (after - before) / n;
    System.out.printf(Locale.ROOT, "footprint %s: %d bytes per object (%d objects)%n", what, perObject, n);
    return perObject;
  }

  static void awaitSynced(Krt krt) {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!krt.hasSynced()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not synced: " + krt.notSynced());
      }
      sleep(10);
    }
  }

  static long usedAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long last = Long.MAX_VALUE;
    for (int i = 0; i < 20; i++) {
      System.gc();
      sleep(100);
      long used = memory.getHeapMemoryUsage().getUsed();
      if (Math.abs(used - last) < 32 * 1024) {
        return used;
      }
      last = used;
    }
    return last;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
