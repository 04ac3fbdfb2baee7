package dev.sextant.source;

import dev.sextant.krt.Krt;
import dev.sextant.krt.StaticCollection;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The input collections, one per watched kind, named {@code informer/<Kind>s} as in istiod. A source
 * (a directory of YAML, or the Kubernetes API) writes them; the translator only reads them.
 */
public record Inputs(
    StaticCollection<Namespace> namespaces,
    StaticCollection<Pod> pods,
    StaticCollection<Service> services,
    StaticCollection<EndpointSlice> endpointSlices,
    StaticCollection<Node> nodes,
    StaticCollection<ServiceAccount> serviceAccounts,
    StaticCollection<PeerAuthentication> peerAuthentications,
    StaticCollection<AuthorizationPolicy> authorizationPolicies,
    StaticCollection<ServiceEntry> serviceEntries,
    StaticCollection<WorkloadEntry> workloadEntries,
    StaticCollection<Gateway> gateways,
    StaticCollection<GatewayClass> gatewayClasses,
    StaticCollection<HTTPRoute> httpRoutes) {

  /** Every kind Sextant reads, in the order sources should apply them. */
  public static final List<InputKind<?>> KINDS = List.of(
      new InputKind<>("", "Namespace", Namespace.class, false, Inputs::namespaces),
      new InputKind<>("", "Node", Node.class, false, Inputs::nodes),
      new InputKind<>("", "ServiceAccount", ServiceAccount.class, true, Inputs::serviceAccounts),
      new InputKind<>("", "Service", Service.class, true, Inputs::services),
      new InputKind<>("discovery.k8s.io", "EndpointSlice", EndpointSlice.class, true, Inputs::endpointSlices),
      new InputKind<>("", "Pod", Pod.class, true, Inputs::pods),
      new InputKind<>("security.istio.io", "PeerAuthentication", PeerAuthentication.class, true,
          Inputs::peerAuthentications),
      new InputKind<>("security.istio.io", "AuthorizationPolicy", AuthorizationPolicy.class, true,
          Inputs::authorizationPolicies),
      new InputKind<>("networking.istio.io", "ServiceEntry", ServiceEntry.class, true, Inputs::serviceEntries),
      new InputKind<>("networking.istio.io", "WorkloadEntry", WorkloadEntry.class, true, Inputs::workloadEntries),
      new InputKind<>("gateway.networking.k8s.io", "GatewayClass", GatewayClass.class, false,
          Inputs::gatewayClasses),
      new InputKind<>("gateway.networking.k8s.io", "Gateway", Gateway.class, true, Inputs::gateways),
      new InputKind<>("gateway.networking.k8s.io", "HTTPRoute", HTTPRoute.class, true, Inputs::httpRoutes));

  private static final Map<String, InputKind<?>> BY_ID =
      KINDS.stream().collect(Collectors.toUnmodifiableMap(InputKind::id, Function.identity()));

  /** The kind for an apiVersion ({@code group/version} or {@code version}) and kind, if read. */
  public static InputKind<?> kindOf(String apiVersion, String kind) {
    String group = apiVersion == null || !apiVersion.contains("/")
        ? "" : apiVersion.substring(0, apiVersion.indexOf('/'));
    return BY_ID.get(InputKind.id(group, kind == null ? "" : kind));
  }

  public static Inputs create(Krt krt) {
    return new Inputs(
        input(krt, "Namespaces"),
        input(krt, "Pods"),
        input(krt, "Services"),
        input(krt, "EndpointSlices"),
        input(krt, "Nodes"),
        input(krt, "ServiceAccounts"),
        input(krt, "PeerAuthentications"),
        input(krt, "AuthorizationPolicies"),
        input(krt, "ServiceEntries"),
        input(krt, "WorkloadEntries"),
        input(krt, "Gateways"),
        input(krt, "GatewayClasses"),
        input(krt, "HTTPRoutes"));
  }

  private static <T extends HasMetadata> StaticCollection<T> input(Krt krt, String plural) {
    return krt.input("informer/" + plural, ObjectKeys::of);
  }

  /** Declares every input's initial state complete. */
  public void markAllSynced() {
    KINDS.forEach(k -> k.collection().apply(this).markSynced());
  }
}
