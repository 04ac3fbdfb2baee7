package dev.sextant.ambient;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;

/** Kubernetes label-selector matching ({@code metav1.LabelSelectorAsSelector} semantics). */
public final class LabelSelectors {
  private LabelSelectors() {}

  /**
   * True if {@code labels} satisfy every matchLabels entry and every matchExpressions requirement.
   * An empty selector matches everything; a null selector matches nothing; an invalid operator
   * matches nothing.
   */
  public static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return false;
    }
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (selector.getMatchLabels() != null) {
      for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(l.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        String v = l.get(r.getKey());
        boolean ok = switch (r.getOperator() == null ? "" : r.getOperator()) {
          case "In" -> v != null && values.contains(v);
          case "NotIn" -> v == null || !values.contains(v);
          case "Exists" -> l.containsKey(r.getKey());
          case "DoesNotExist" -> !l.containsKey(r.getKey());
          default -> false;
        };
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }
}
