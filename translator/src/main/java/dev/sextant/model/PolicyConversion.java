package dev.sextant.model;

import dev.sextant.api.security.Authorization;
import dev.sextant.krt.Keyed;
import java.util.Map;

/**
 * One AuthorizationPolicy as converted for ztunnel. Keyed {@code namespace/name}.
 *
 * @param selector the policy's {@code selector.matchLabels}; null when it has no selector (then it
 *     applies by scope, not through workloads' lists); empty selects every workload of its namespace
 * @param policy what is served; null when the policy is not for ztunnel
 * @param statusReason the condition reason istiod would write, or null when accepted cleanly
 * @param generation the policy's {@code metadata.generation}, the status' observedGeneration
 */
public record PolicyConversion(
    String namespace,
    String name,
    Map<String, String> selector,
    Authorization policy,
    String statusReason,
    String statusMessage,
    long generation) implements Keyed {

  @Override
  public String key() {
    return namespace + "/" + name;
  }

  /**
   * Where workloads find this policy: {@code ns/k=v} for the first matchLabel, {@code ns/*} for an
   * empty selector; null when it is not attached to workloads.
   */
  public String selectorAnchor() {
    if (policy == null || selector == null) {
      return null;
    }
    if (selector.isEmpty()) {
      return namespace + "/*";
    }
    String first = new java.util.TreeMap<>(selector).firstKey();
    return namespace + "/" + first + "=" + selector.get(first);
  }

  public boolean selects(Map<String, String> labels) {
    if (selector == null) {
      return false;
    }
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
