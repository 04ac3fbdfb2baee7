package dev.sextant.source;

import dev.sextant.krt.Collection;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Which cluster objects Sextant sees, decided as istiod decides it (wds-spec §2.1):
 * <ul>
 *   <li><b>Discovery selectors</b> (mesh config {@code discoverySelectors}): a namespaced object is
 *       seen only if its namespace is selected: some selector matches the namespace's labels. No
 *       selectors selects every namespace. Cluster-scoped objects, Namespaces included, are always
 *       seen (istio/istio {@code pkg/kube/namespace/filter.go}).
 *   <li><b>Revision</b> ({@code --revision}, env {@code REVISION}): AuthorizationPolicy,
 *       PeerAuthentication, ServiceEntry, WorkloadEntry and HTTPRoute carrying an
 *       {@code istio.io/rev} label other than ours are not seen; unlabelled ones, and everything
 *       when we have no revision, are (istio/istio {@code pkg/config/model.go}
 *       {@code LabelsInRevision}: a literal comparison). Pods, Services, Gateways are not filtered.
 *   <li><b>Failed pods</b> are not seen: the Pod informer lists with {@code status.phase!=Failed},
 *       and this re-checks it for API servers that ignore field selectors.
 * </ul>
 *
 * <p>Namespace labels are read from the Namespaces input at the moment of each decision, so the
 * scope of an object follows its namespace's current labels; {@link KubernetesSource} re-decides a
 * namespace's objects when its selection changes.
 *
 * <p>Threading: immutable but for the selectors, which {@link #setSelectors} replaces atomically.
 */
public final class DiscoveryScope {
  static final String REVISION_LABEL = "istio.io/rev";
  private static final Set<String> REVISIONED_KINDS =
      Set.of("AuthorizationPolicy", "PeerAuthentication", "ServiceEntry", "WorkloadEntry", "HTTPRoute");

  private final Collection<Namespace> namespaces;
  private final String revision;
  private volatile List<LabelSelector> selectors;

  public DiscoveryScope(Collection<Namespace> namespaces, List<LabelSelector> selectors, String revision) {
    this.namespaces = Objects.requireNonNull(namespaces, "namespaces");
    this.revision = revision == null ? "" : revision;
    this.selectors = validated(selectors);
  }

  private static List<LabelSelector> validated(List<LabelSelector> selectors) {
    List<LabelSelector> copy = List.copyOf(selectors == null ? List.of() : selectors);
    copy.forEach(LabelSelectors::validate);
    return copy;
  }

  public List<LabelSelector> selectors() {
    return selectors;
  }

  public String revision() {
    return revision;
  }

  /** Replaces the discovery selectors; true if they changed. */
  public boolean setSelectors(List<LabelSelector> next) {
    List<LabelSelector> copy = validated(next);
    if (copy.equals(selectors)) {
      return false;
    }
    selectors = copy;
    return true;
  }

  /** Whether objects in {@code namespace} are visible, by the namespace's current labels. */
  public boolean namespaceSelected(String namespace) {
    List<LabelSelector> s = selectors;
    if (s.isEmpty()) {
      return true;
    }
    return namespaces.get(namespace).map(ns -> selected(s, ns)).orElse(false);
  }

  /** Whether {@code ns} (with these labels) is selected by the current selectors. */
  public boolean selected(Namespace ns) {
    return ns != null && selected(selectors, ns);
  }

  private static boolean selected(List<LabelSelector> selectors, Namespace ns) {
    return LabelSelectors.anyMatches(selectors, ns.getMetadata().getLabels());
  }

  /** Whether an object of {@code kind} belongs in its input now. */
  public boolean admits(InputKind<?> kind, HasMetadata object) {
    if (object instanceof Pod pod && pod.getStatus() != null && "Failed".equals(pod.getStatus().getPhase())) {
      return false;
    }
    if (kind.namespaced() && !namespaceSelected(object.getMetadata().getNamespace())) {
      return false;
    }
    return !REVISIONED_KINDS.contains(kind.kind()) || inRevision(object.getMetadata().getLabels(), revision);
  }

  static boolean inRevision(Map<String, String> labels, String revision) {
    String rev = labels == null ? null : labels.get(REVISION_LABEL);
    return rev == null || revision.isEmpty() || rev.equals(revision);
  }
}
