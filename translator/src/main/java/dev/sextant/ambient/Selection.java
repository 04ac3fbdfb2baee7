package dev.sextant.ambient;

import dev.sextant.krt.Context;
import dev.sextant.krt.Index;
import dev.sextant.model.ServiceInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Finding the services whose selector a workload's labels satisfy, through the anchor index. */
final class Selection {
  private Selection() {}

  /**
   * Services in {@code namespace} whose non-empty selector is a subset of {@code labels}, in key
   * order. Reads one index key per label, so a service change recomputes only workloads that carry
   * its anchor label.
   */
  static List<ServiceInfo> selecting(Context ctx, Index<String, ServiceInfo> bySelectorAnchor,
      String namespace, Map<String, String> labels) {
    Map<String, ServiceInfo> selected = new TreeMap<>();
    for (Map.Entry<String, String> label : labels.entrySet()) {
      String anchor = namespace + "/" + label.getKey() + "=" + label.getValue();
      for (ServiceInfo svc : ctx.fetch(bySelectorAnchor, anchor)) {
        if (svc.selects(labels)) {
          selected.put(svc.key(), svc);
        }
      }
    }
    return new ArrayList<>(selected.values());
  }
}
