package dev.sextant.source;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.GraphLayout;

/**
 * Heap bytes per cached Pod and Service, as the API server sends them (realistic-*.yaml: managed
 * fields, env, volumes, probes, status, the last-applied annotation) and as {@link ObjectReducer}
 * keeps them. N objects are parsed as an informer parses them, pods of 30 deployments on 20 nodes
 * in 10 namespaces, so shared strings are shared as they would be in a cluster.
 *
 * <p>Measured with JOL's object graph walk: the exact retained bytes of the list, objects shared
 * between list elements (interned strings) counted once. {@link InformerFootprintTest} measures
 * the whole cache (store, index, input collection) through a real informer.
 */
class FootprintTest {
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  static final int N = 100;

  static List<HasMetadata> pods(int n, boolean reduce) {
    String template = ObjectReducerTest.resource("realistic-pod.yaml");
    return build(n, i -> SERIALIZATION.unmarshal(vary(template, i), Pod.class), reduce);
  }

  static List<HasMetadata> services(int n, boolean reduce) {
    String template = ObjectReducerTest.resource("realistic-service.yaml");
    return build(n, i -> SERIALIZATION.unmarshal(template
        .replace("name: reviews\n  namespace: bookinfo", "name: svc-" + i + "\n  namespace: ns-" + (i % 10))
        .replace("4810622", String.valueOf(1_000_000 + i))
        .replace("2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d", String.format(Locale.ROOT, "2a3b4c5d-6e7f-4a8b-9c0d-%012d", i))
        .replace("10.96.143.27", "10.96." + (i / 250) + "." + (i % 250)), Service.class), reduce);
  }

  /** Pod i: its own name, uid, IP and version; deployment i%30 (10 replicas each), node i%20, namespace i%10. */
  static String vary(String t, int i) {
    int deployment = i % 30;
    String hash = String.format(Locale.ROOT, "h%09d", deployment);
    return t.replace("reviews-v2-b8c9d6f7e5-h5j8d", "app" + deployment + "-" + hash + "-p" + i)
        .replace("reviews-v2-b8c9d6f7e5", "app" + deployment + "-" + hash)
        .replace("b8c9d6f7e5", hash)
        .replace("6f1d2c3b-8a9e-4b7c-a1d2-3e4f5a6b7c8d", String.format(Locale.ROOT, "6f1d2c3b-8a9e-4b7c-a1d2-%012d", i))
        .replace("4811027", String.valueOf(5_000_000 + i))
        .replace("10.244.2.14", "10.244." + (i / 250) + "." + (i % 250))
        .replace("node-2", "node-" + (i % 20))
        .replace("namespace: bookinfo", "namespace: ns-" + (i % 10));
  }

  static List<HasMetadata> build(int n, IntFunction<HasMetadata> parse, boolean reduce) {
    List<HasMetadata> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      HasMetadata o = parse.apply(i);
      out.add(reduce ? ObjectReducer.reduce(o) : o);
    }
    return out;
  }

  static long jolBytesPerObject(List<HasMetadata> objects) {
    return GraphLayout.parseInstance(objects.toArray()).totalSize() / objects.size();
  }

  @Test
  void reducedPodsAndServices_holdASmallFractionOfTheObjectsSent() {
    long podFull = jolBytesPerObject(pods(N, false));
    long podReduced = jolBytesPerObject(pods(N, true));
    long svcFull = jolBytesPerObject(services(N, false));
    long svcReduced = jolBytesPerObject(services(N, true));
    System.out.printf(Locale.ROOT, "footprint (JOL, %d objects): pod %d -> %d bytes (%.1f%%), service %d -> %d bytes (%.1f%%)%n",
        N, podFull, podReduced, 100.0 * podReduced / podFull, svcFull, svcReduced, 100.0 * svcReduced / svcFull);
    assertTrue(podReduced * 8 < podFull, "a reduced pod keeps under 1/8 of the pod: " + podReduced + " of " + podFull);
    assertTrue(svcReduced * 2 < svcFull, "a reduced service keeps under 1/2: " + svcReduced + " of " + svcFull);
  }

}
