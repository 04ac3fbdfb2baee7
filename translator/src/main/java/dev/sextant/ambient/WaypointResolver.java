package dev.sextant.ambient;

import dev.sextant.api.workload.ApplicationTunnel;
import dev.sextant.api.workload.WeightedWaypoint;
import dev.sextant.krt.Collection;
import dev.sextant.krt.Context;
import dev.sextant.model.Waypoint;
import io.fabric8.kubernetes.api.model.Namespace;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which waypoint an object uses (wds-spec §3.2, §3.5, §3.6; istio/istio {@code waypoints.go}
 * {@code fetchWaypointForTarget}, {@code fetchWaypointForService}, {@code fetchWaypointForWorkload},
 * {@code buildWeightedWaypoints}).
 *
 * <p>The object's own {@code istio.io/use-waypoint} label decides when present ({@code none} opts
 * out); only without it does the namespace's label apply. A named waypoint that is missing, not
 * ready, or refuses the object's namespace gives no waypoint: there is no fallback.
 */
public final class WaypointResolver {
  static final String USE_WAYPOINT = "istio.io/use-waypoint";
  static final String USE_WAYPOINT_NAMESPACE = "istio.io/use-waypoint-namespace";
  static final String CANARY = "istio.io/use-waypoint-canary";
  static final String CANARY_NAMESPACE = "istio.io/use-waypoint-canary-namespace";
  static final String CANARY_WEIGHT = "istio.io/use-waypoint-canary-weight";
  static final String MANAGED = "gateway.istio.io/managed";
  static final String INGRESS_USE_WAYPOINT = "istio.io/ingress-use-waypoint";

  private final Collection<Waypoint> waypoints;
  private final Collection<Namespace> namespaces;

  public WaypointResolver(Collection<Waypoint> waypoints, Collection<Namespace> namespaces) {
    this.waypoints = waypoints;
    this.namespaces = namespaces;
  }

  /** The object a binding is computed for: its namespace, labels and annotations. */
  public record Target(String namespace, Map<String, String> labels, Map<String, String> annotations) {
    public Target {
      labels = labels == null ? Map.of() : labels;
      annotations = annotations == null ? Map.of() : annotations;
    }
  }

  /** The outcome: a waypoint, or none with the reason istiod would report (null reason = silently none). */
  public record Binding(Waypoint waypoint, String reason) {
    static final Binding NONE = new Binding(null, null);

    static Binding failed(String reason) {
      return new Binding(null, reason);
    }
  }

  private record Named(String namespace, String name) {
    String key() {
      return namespace + "/" + name;
    }
  }

  private static Named useWaypoint(Map<String, String> labels, String defaultNamespace, boolean[] isNone) {
    String value = labels.get(USE_WAYPOINT);
    if (value == null) {
      return null;
    }
    if (value.equals("none")) {
      isNone[0] = true;
      return null;
    }
    return new Named(labels.getOrDefault(USE_WAYPOINT_NAMESPACE, defaultNamespace), value);
  }

  Optional<Namespace> namespace(Context ctx, String name) {
    return ctx.fetchOne(namespaces, name);
  }

  private static Map<String, String> labelsOf(Namespace ns) {
    return ns.getMetadata().getLabels() == null ? Map.of() : ns.getMetadata().getLabels();
  }

  private boolean allows(Context ctx, Waypoint w, String namespace) {
    return switch (w.allowedRoutes().from()) {
      case "All" -> true;
      case "Selector" -> LabelSelectors.matches(w.allowedRoutes().selector(),
          namespace(ctx, namespace).map(WaypointResolver::labelsOf).orElse(Map.of()));
      default -> w.namespace().equals(namespace);
    };
  }

  /** fetchWaypointForTarget: the object's label, else its namespace's. */
  Binding forTarget(Context ctx, Target o) {
    boolean[] isNone = new boolean[1];
    Named own = useWaypoint(o.labels(), o.namespace(), isNone);
    if (isNone[0]) {
      return Binding.NONE;
    }
    if (own != null) {
      return bind(ctx, own, o.namespace());
    }
    Optional<Namespace> ns = namespace(ctx, o.namespace());
    if (ns.isPresent()) {
      Named fromNs = useWaypoint(labelsOf(ns.get()), o.namespace(), new boolean[1]);
      if (fromNs != null) {
        return bind(ctx, fromNs, o.namespace());
      }
    }
    return Binding.NONE;
  }

  private Binding bind(Context ctx, Named named, String fromNamespace) {
    Optional<Waypoint> w = ctx.fetchOne(waypoints, named.key());
    if (w.isEmpty()) {
      return Binding.failed("WaypointIsNotReady " + named.key());
    }
    if (!allows(ctx, w.get(), fromNamespace)) {
      return Binding.failed("AttachmentDenied " + named.key());
    }
    return new Binding(w.get(), null);
  }

  /**
   * fetchWaypointForService. {@code serviceEntryNamespaceVisible}: a NAMESPACE-visible ServiceEntry,
   * which may not bind across namespaces.
   */
  public Binding forService(Context ctx, Target o, boolean serviceEntryNamespaceVisible) {
    String managed = o.labels().get(MANAGED);
    if ("istio.io-mesh-controller".equals(managed) || "istio.io-eastwest-controller".equals(managed)) {
      return Binding.NONE;
    }
    Binding b = forTarget(ctx, o);
    if (b.waypoint() == null) {
      return b;
    }
    if (!b.waypoint().servesServices()) {
      return Binding.failed("UnsupportedTrafficType " + b.waypoint().key());
    }
    if (serviceEntryNamespaceVisible && !b.waypoint().namespace().equals(o.namespace())) {
      return Binding.failed("CrossNamespaceWaypointForbidden " + b.waypoint().key());
    }
    return b;
  }

  /** fetchWaypointForWorkload: silently none when a namespace-inherited waypoint serves services only. */
  public Binding forWorkload(Context ctx, Target o) {
    Binding b = forTarget(ctx, o);
    if (b.waypoint() == null || b.waypoint().servesWorkloads()) {
      return b;
    }
    if (!o.labels().containsKey(USE_WAYPOINT)) {
      return Binding.NONE;
    }
    return Binding.failed("UnsupportedTrafficType " + b.waypoint().key());
  }

  /** The waypoint the object is an instance of (its gateway-name label, same namespace), if any. */
  public Optional<Waypoint> instanceOf(Context ctx, Target o) {
    String gw = o.labels().get(WaypointBuilder.GATEWAY_NAME_LABEL);
    if (gw == null || gw.isEmpty()) {
      return Optional.empty();
    }
    return ctx.fetchOne(waypoints, o.namespace() + "/" + gw);
  }

  /** A workload's waypoint and application tunnel, as istiod's computeWaypoint. */
  public record WorkloadWaypoint(Waypoint waypoint, ApplicationTunnel applicationTunnel) {}

  public WorkloadWaypoint forWorkloadOrInstance(Context ctx, Target o) {
    Optional<Waypoint> instance = instanceOf(ctx, o);
    if (instance.isPresent()) {
      return new WorkloadWaypoint(null, instance.get().inboundBinding());
    }
    return new WorkloadWaypoint(forWorkload(ctx, o).waypoint(), null);
  }

  /** ingress_use_waypoint: the object's label, else the namespace's, parsed as Go's ParseBool. */
  public boolean ingressUseWaypoint(Context ctx, Target o) {
    String v = o.labels().get(INGRESS_USE_WAYPOINT);
    if (v == null) {
      v = namespace(ctx, o.namespace()).map(WaypointResolver::labelsOf).map(l -> l.get(INGRESS_USE_WAYPOINT))
          .orElse(null);
    }
    return v != null && parseBool(v);
  }

  static boolean parseBool(String v) {
    return switch (v) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      default -> false;
    };
  }

  /**
   * weighted_waypoints for a service bound to {@code primary}: [{primary, 100-w}, {canary, w}] when a
   * valid canary is declared, else empty.
   */
  public List<WeightedWaypoint> weightedWaypoints(Context ctx, Target o, Binding primary) {
    if (primary.waypoint() == null || primary.reason() != null) {
      return List.of();
    }
    Map<String, String> nsLabels = Map.of();
    Map<String, String> nsAnnotations = Map.of();
    // The namespace's canary settings count only when the object names no waypoint of its own.
    if (useWaypoint(o.labels(), o.namespace(), new boolean[1]) == null) {
      Optional<Namespace> ns = namespace(ctx, o.namespace());
      if (ns.isPresent()) {
        nsLabels = labelsOf(ns.get());
        Map<String, String> a = ns.get().getMetadata().getAnnotations();
        nsAnnotations = a == null ? Map.of() : a;
      }
    }
    Map<String, String> canaryLabels = o.labels();
    if (!canaryLabels.containsKey(CANARY) && nsLabels.containsKey(CANARY)) {
      canaryLabels = nsLabels;
    }
    String canaryName = canaryLabels.get(CANARY);
    if (canaryName == null || canaryName.isEmpty() || canaryName.equals("none")) {
      return List.of();
    }
    Named canary = new Named(canaryLabels.getOrDefault(CANARY_NAMESPACE, o.namespace()), canaryName);
    String weightText = o.annotations().get(CANARY_WEIGHT);
    if (weightText == null) {
      weightText = nsAnnotations.get(CANARY_WEIGHT);
    }
    int weight = 0;
    if (weightText != null) {
      try {
        weight = Integer.parseInt(weightText);
      } catch (NumberFormatException e) {
        weight = -1;
      }
    }
    if (canary.key().equals(primary.waypoint().key())) {
      return List.of(); // CanarySameAsPrimary
    }
    if (weight < 0 || weight > 100) {
      return List.of(); // CanaryInvalidWeight
    }
    Binding c = bind(ctx, canary, o.namespace());
    if (c.waypoint() == null || !c.waypoint().servesServices()) {
      return List.of();
    }
    if (primary.waypoint().address() == null || c.waypoint().address() == null) {
      return List.of();
    }
    return List.of(
        WeightedWaypoint.newBuilder().setDestination(primary.waypoint().address()).setWeight(100 - weight).build(),
        WeightedWaypoint.newBuilder().setDestination(c.waypoint().address()).setWeight(weight).build());
  }
}
