package dev.sextant.server;

import dev.sextant.ca.authz.PodIndex;
import dev.sextant.krt.Index;
import dev.sextant.source.Inputs;
import dev.sextant.source.ObjectKeys;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Optional;

/**
 * The node authorizer's pod lookups over the translator's pod input, for {@code --configDir} mode
 * (Kubernetes mode uses the CA's own informer): by name, and by namespace, service account and node.
 * Failed pods are left out, as istiod's informer filters them.
 */
final class InputsPodIndex implements PodIndex {
  private final Inputs inputs;
  private final Index<String, Pod> byNamespaceAccountNode;

  InputsPodIndex(Inputs inputs) {
    this.inputs = inputs;
    this.byNamespaceAccountNode = Index.of(inputs.pods(), "podsByNamespaceAccountNode", p -> {
      if (failed(p) || p.getSpec() == null || p.getSpec().getNodeName() == null
          || p.getSpec().getServiceAccountName() == null) {
        return List.of();
      }
      return List.of(key(p.getMetadata().getNamespace(), p.getSpec().getServiceAccountName(), p.getSpec().getNodeName()));
    });
  }

  private static String key(String ns, String sa, String node) {
    return ns + "/" + sa + "/" + node;
  }

  private static boolean failed(Pod p) {
    return p.getStatus() != null && "Failed".equals(p.getStatus().getPhase());
  }

  @Override
  public Optional<PodRef> pod(String namespace, String name) {
    return inputs.pods().get(ObjectKeys.of(namespace, name)).filter(p -> !failed(p)).map(p -> new PodRef(
        namespace, name, p.getMetadata().getUid(),
        p.getSpec() == null ? null : p.getSpec().getServiceAccountName(),
        p.getSpec() == null ? null : p.getSpec().getNodeName()));
  }

  @Override
  public boolean anyOn(String namespace, String serviceAccount, String node) {
    return !byNamespaceAccountNode.lookup(key(namespace, serviceAccount, node)).isEmpty();
  }

  @Override
  public boolean hasSynced() {
    return inputs.pods().hasSynced();
  }
}
