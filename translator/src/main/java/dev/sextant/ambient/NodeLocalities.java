package dev.sextant.ambient;

import dev.sextant.api.workload.Locality;
import io.fabric8.kubernetes.api.model.Node;
import java.util.Map;

/** A Node's locality from its topology labels (istio/istio {@code ambient/nodes.go}). */
final class NodeLocalities {
  static final String REGION = "topology.kubernetes.io/region";
  static final String ZONE = "topology.kubernetes.io/zone";
  static final String SUBZONE = "topology.istio.io/subzone";

  private NodeLocalities() {}

  /** Null when region, zone and subzone are all empty or absent. */
  static Locality of(Node node) {
    Map<String, String> l = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
    String region = l.getOrDefault(REGION, "");
    String zone = l.getOrDefault(ZONE, "");
    String subzone = l.getOrDefault(SUBZONE, "");
    if (region.isEmpty() && zone.isEmpty() && subzone.isEmpty()) {
      return null;
    }
    return Locality.newBuilder().setRegion(region).setZone(zone).setSubzone(subzone).build();
  }
}
