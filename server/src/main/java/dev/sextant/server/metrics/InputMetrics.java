package dev.sextant.server.metrics;

import dev.sextant.krt.Event;
import dev.sextant.source.InputKind;
import dev.sextant.source.Inputs;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Input events under istiod's names: {@code pilot_k8s_reg_events} for the service registry kinds
 * (Pods, Services, EndpointSlices, Nodes, Namespaces) and {@code pilot_k8s_cfg_events} for config
 * kinds (Istio and Gateway API), labelled {@code type} (the kind) and {@code event}
 * (add, update, delete).
 */
public final class InputMetrics {
  private static final Set<String> REGISTRY_KINDS = Set.of("Pod", "Service", "EndpointSlice", "Node", "Namespace",
      "ServiceAccount");

  private InputMetrics() {}

  public static void register(Telemetry telemetry, Inputs inputs) {
    for (InputKind<?> kind : Inputs.KINDS) {
      subscribe(telemetry, kind, inputs);
    }
  }

  private static <T extends io.fabric8.kubernetes.api.model.HasMetadata> void subscribe(
      Telemetry telemetry, InputKind<T> kind, Inputs inputs) {
    String metric = REGISTRY_KINDS.contains(kind.kind()) ? "pilot_k8s_reg_events" : "pilot_k8s_cfg_events";
    String type = kind.kind();
    kind.collection().apply(inputs).subscribe((List<Event<T>> batch) -> {
      for (Event<T> e : batch) {
        String event = switch (e.type()) {
          case ADDED -> "add";
          case UPDATED -> "update";
          case DELETED -> "delete";
        };
        telemetry.count(metric, 1, "type", type, "event", event.toLowerCase(Locale.ROOT));
      }
    }, false);
  }
}
