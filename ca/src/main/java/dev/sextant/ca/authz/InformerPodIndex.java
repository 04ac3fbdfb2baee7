package dev.sextant.ca.authz;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * {@link PodIndex} on a fabric8 pod informer: every namespace, server-side field selector
 * {@code status.phase!=Failed} (re-checked here, so a server that ignores it changes nothing), an
 * index keyed {@code ns/sa/node}, and an optional namespace filter for discovery selectors.
 *
 * <p>Threading: the informer updates the store on its own thread; lookups read it from any thread.
 */
public final class InformerPodIndex implements PodIndex, AutoCloseable {
  private static final String SA_NODE = "saNode";

  private final SharedIndexInformer<Pod> informer;
  private final Predicate<String> namespaceVisible;

  private InformerPodIndex(SharedIndexInformer<Pod> informer, Predicate<String> namespaceVisible) {
    this.informer = informer;
    this.namespaceVisible = namespaceVisible;
  }

  /** Starts the informer; {@link #hasSynced()} turns true after the first list. */
  public static InformerPodIndex start(KubernetesClient client, Predicate<String> namespaceVisible) {
    SharedIndexInformer<Pod> informer = client.pods().inAnyNamespace()
        .withoutField("status.phase", "Failed").runnableInformer(0);
    informer.addIndexers(Map.of(SA_NODE, pod -> {
      String key = indexKey(pod);
      return key == null ? List.of() : List.of(key);
    }));
    informer.start();
    return new InformerPodIndex(informer, namespaceVisible == null ? ns -> true : namespaceVisible);
  }

  private static String indexKey(Pod pod) {
    if (pod.getSpec() == null || failed(pod)) {
      return null;
    }
    String node = pod.getSpec().getNodeName();
    String sa = pod.getSpec().getServiceAccountName();
    if (node == null || node.isEmpty() || sa == null || sa.isEmpty()) {
      return null;
    }
    return key(pod.getMetadata().getNamespace(), sa, node);
  }

  private static String key(String ns, String sa, String node) {
    return ns + "/" + sa + "/" + node;
  }

  private static boolean failed(Pod pod) {
    return pod.getStatus() != null && "Failed".equals(pod.getStatus().getPhase());
  }

  @Override
  public Optional<PodRef> pod(String namespace, String name) {
    if (!namespaceVisible.test(namespace)) {
      return Optional.empty();
    }
    Pod p = informer.getStore().getByKey(Cache.namespaceKeyFunc(namespace, name));
    if (p == null || failed(p)) {
      return Optional.empty();
    }
    var spec = p.getSpec();
    return Optional.of(new PodRef(namespace, name, p.getMetadata().getUid(),
        spec == null || spec.getServiceAccountName() == null ? "" : spec.getServiceAccountName(),
        spec == null || spec.getNodeName() == null ? "" : spec.getNodeName()));
  }

  @Override
  public boolean anyOn(String namespace, String serviceAccount, String node) {
    if (!namespaceVisible.test(namespace)) {
      return false;
    }
    return informer.getIndexer().byIndex(SA_NODE, key(namespace, serviceAccount, node)).stream()
        .anyMatch(p -> !failed(p));
  }

  @Override
  public boolean hasSynced() {
    return informer.hasSynced();
  }

  @Override
  public void close() {
    informer.close();
  }
}
