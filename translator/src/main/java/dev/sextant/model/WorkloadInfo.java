package dev.sextant.model;

import dev.sextant.api.workload.Workload;
import dev.sextant.krt.Keyed;
import java.util.Map;

/**
 * A workload as served to ztunnel, plus the labels policies select it by. Keyed by its uid, which
 * is also its xDS resource name.
 */
public record WorkloadInfo(Workload workload, Map<String, String> labels) implements Keyed {
  public WorkloadInfo {
    labels = Map.copyOf(labels);
  }

  @Override
  public String key() {
    return workload.getUid();
  }
}
