package dev.sextant.source;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;

/**
 * Kubernetes {@code LabelSelector} semantics (apimachinery {@code LabelSelectorAsSelector}):
 * every {@code matchLabels} entry and every {@code matchExpressions} requirement must hold; a
 * selector with neither matches everything; a null selector matches nothing.
 */
public final class LabelSelectors {
  private LabelSelectors() {}

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
        String value = l.get(r.getKey());
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        boolean ok = switch (r.getOperator()) {
          case "In" -> value != null && values.contains(value);
          case "NotIn" -> value == null || !values.contains(value);
          case "Exists" -> value != null;
          case "DoesNotExist" -> value == null;
          default -> throw new IllegalArgumentException("invalid label selector operator " + r.getOperator());
        };
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }

  /** True when any selector matches; an empty list selects everything (istiod's discoverySelectors). */
  public static boolean anyMatches(List<LabelSelector> selectors, Map<String, String> labels) {
    if (selectors.isEmpty()) {
      return true;
    }
    for (LabelSelector s : selectors) {
      if (matches(s, labels)) {
        return true;
      }
    }
    return false;
  }

  /** Throws IllegalArgumentException, naming the problem, for a selector that cannot be evaluated. */
  public static void validate(LabelSelector selector) {
    if (selector == null) {
      throw new IllegalArgumentException("a selector must not be null");
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        if (r.getKey() == null || r.getKey().isEmpty()) {
          throw new IllegalArgumentException("a matchExpressions entry has no key");
        }
        String op = r.getOperator() == null ? "" : r.getOperator();
        int n = r.getValues() == null ? 0 : r.getValues().size();
        switch (op) {
          case "In", "NotIn" -> {
            if (n == 0) {
              throw new IllegalArgumentException("operator " + op + " on " + r.getKey() + " needs values");
            }
          }
          case "Exists", "DoesNotExist" -> {
            if (n != 0) {
              throw new IllegalArgumentException("operator " + op + " on " + r.getKey() + " takes no values");
            }
          }
          default -> throw new IllegalArgumentException("\"" + op + "\" is not a valid label selector operator");
        }
      }
    }
  }
}
