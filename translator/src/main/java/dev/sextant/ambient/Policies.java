package dev.sextant.ambient;

import dev.sextant.api.security.Authorization;
import dev.sextant.convert.AuthorizationPolicyConverter;
import dev.sextant.convert.PeerAuthenticationConverter;
import dev.sextant.krt.Collection;
import dev.sextant.krt.Context;
import dev.sextant.krt.Index;
import dev.sextant.krt.Krt;
import dev.sextant.model.MeshSettings;
import dev.sextant.model.PolicyConversion;
import dev.sextant.source.Inputs;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy side of the ambient graph (istio/istio {@code ambient/policies.go}, wds-spec §4):
 * every Authorization ztunnel receives, and which of them each workload lists.
 *
 * <pre>
 * informer/AuthorizationPolicies --> AuthorizationPolicyConversions --\
 * informer/PeerAuthentications ----> PeerAuthenticationPolicies ------+--> Authorizations
 *                              \---> StaticStrictPolicy --------------/
 * </pre>
 */
public record Policies(
    Collection<PolicyConversion> conversions,
    Index<String, PolicyConversion> conversionsBySelectorAnchor,
    Index<String, PeerAuthentication> peerAuthenticationsByNamespace,
    Collection<Authorization> authorizations,
    String rootNamespace) {
  private static final Logger log = LoggerFactory.getLogger(Policies.class);

  /** The resource key of an Authorization: {@code namespace/name}. */
  public static String key(Authorization a) {
    return a.getNamespace() + "/" + a.getName();
  }

  public static Policies build(Krt krt, Inputs inputs, MeshSettings mesh, AuthorizationPolicyConverter.Options options) {
    String root = mesh.rootNamespace();
    Collection<PolicyConversion> conversions = krt.map(inputs.authorizationPolicies(),
        "AuthorizationPolicyConversions", (ctx, ap) -> {
          AuthorizationPolicyConverter.Result r = AuthorizationPolicyConverter.convert(ap, options);
          String ns = ap.getMetadata().getNamespace();
          String name = ap.getMetadata().getName();
          if (r.status() != null) {
            log.warn("authorizationpolicy={}/{} reason={} message={}", ns, name, r.status().reason(),
                r.status().message());
          }
          Map<String, String> selector = null;
          if (ap.getSpec() != null && ap.getSpec().getSelector() != null) {
            Map<String, String> ml = ap.getSpec().getSelector().getMatchLabels();
            selector = ml == null ? Map.of() : Map.copyOf(ml);
          }
          Long generation = ap.getMetadata().getGeneration();
          return new PolicyConversion(ns, name, selector, r.policy(),
              r.status() == null ? null : r.status().reason(), r.status() == null ? null : r.status().message(),
              generation == null ? 0 : generation);
        });
    Index<String, PolicyConversion> bySelector = Index.of(conversions, "policiesBySelectorAnchor", p -> {
      String anchor = p.selectorAnchor();
      return anchor == null ? List.of() : List.of(anchor);
    });
    Index<String, PeerAuthentication> paByNamespace = Index.of(inputs.peerAuthentications(),
        "peerAuthenticationsByNamespace", pa -> List.of(pa.getMetadata().getNamespace()));

    Collection<Authorization> fromPolicies = krt.flatMap(conversions, "AuthorizationPolicyResources",
        (ctx, p) -> p.policy() == null ? List.of() : List.of(p.policy()), Policies::key);
    Collection<Authorization> fromPeerAuthentications = krt.flatMap(inputs.peerAuthentications(),
        "PeerAuthenticationPolicies", (ctx, pa) -> {
          if (root.equals(pa.getMetadata().getNamespace())) {
            return List.of();
          }
          PeerAuthentication nsPa = oldestWithoutSelector(ctx.fetch(paByNamespace, pa.getMetadata().getNamespace()));
          PeerAuthentication rootPa = oldestWithoutSelector(ctx.fetch(paByNamespace, root));
          Authorization converted = PeerAuthenticationConverter.convert(root, pa, nsPa, rootPa);
          return converted == null ? List.of() : List.of(converted);
        }, Policies::key);
    Authorization staticStrict = PeerAuthenticationConverter.staticStrict(root);
    Collection<Authorization> strict = krt.flatMap(krt.singleton("AnyPeerAuthentication",
        ctx -> ctx.fetchAll(inputs.peerAuthentications()).isEmpty() ? null : Boolean.TRUE),
        "StaticStrictPolicy", (ctx, any) -> List.of(staticStrict), Policies::key);
    Collection<Authorization> authorizations = krt.join("Authorizations", fromPolicies, fromPeerAuthentications, strict);
    return new Policies(conversions, bySelector, paByNamespace, authorizations, root);
  }

  /** The oldest PA that has no selector with labels (the namespace- or mesh-wide one), or null. */
  static PeerAuthentication oldestWithoutSelector(List<PeerAuthentication> pas) {
    return pas.stream()
        .filter(pa -> pa.getSpec() == null || pa.getSpec().getSelector() == null
            || pa.getSpec().getSelector().getMatchLabels() == null
            || pa.getSpec().getSelector().getMatchLabels().isEmpty())
        .min(Comparator.comparing(Policies::created).thenComparing(pa -> pa.getMetadata().getName()))
        .orElse(null);
  }

  private static java.time.Instant created(PeerAuthentication pa) {
    return Times.created(pa.getMetadata());
  }

  /**
   * A workload's {@code authorization_policies} (wds-spec §4.4): the selector policies of its
   * namespace and of the root namespace that select it, sorted; then its PeerAuthentication
   * references, sorted.
   */
  public List<String> forWorkload(Context ctx, String namespace, Map<String, String> labels) {
    TreeSet<String> selected = new TreeSet<>();
    List<String> namespaces = namespace.equals(rootNamespace) ? List.of(namespace) : List.of(namespace, rootNamespace);
    for (String ns : namespaces) {
      for (PolicyConversion p : ctx.fetch(conversionsBySelectorAnchor, ns + "/*")) {
        selected.add(p.key());
      }
      for (Map.Entry<String, String> label : labels.entrySet()) {
        for (PolicyConversion p : ctx.fetch(conversionsBySelectorAnchor, ns + "/" + label.getKey() + "=" + label.getValue())) {
          if (p.selects(labels)) {
            selected.add(p.key());
          }
        }
      }
    }
    List<String> out = new ArrayList<>(selected);
    List<PeerAuthentication> candidates = new ArrayList<>();
    for (PeerAuthentication pa : ctx.fetch(peerAuthenticationsByNamespace, namespace)) {
      var sel = pa.getSpec() == null ? null : pa.getSpec().getSelector();
      if (sel == null || sel.getMatchLabels() == null || subset(sel.getMatchLabels(), labels)) {
        candidates.add(pa);
      }
    }
    if (!namespace.equals(rootNamespace)) {
      for (PeerAuthentication pa : ctx.fetch(peerAuthenticationsByNamespace, rootNamespace)) {
        if (pa.getSpec() == null || pa.getSpec().getSelector() == null) {
          candidates.add(pa);
        }
      }
    }
    candidates.sort(Comparator.comparing(Policies::created).thenComparing(pa -> pa.getMetadata().getName()));
    out.addAll(PeerAuthenticationConverter.workloadPolicies(rootNamespace, candidates));
    return out;
  }

  private static boolean subset(Map<String, String> selector, Map<String, String> labels) {
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
