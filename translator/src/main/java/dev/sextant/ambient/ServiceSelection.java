package dev.sextant.ambient;

import dev.sextant.api.workload.Service;
import dev.sextant.krt.Context;
import dev.sextant.krt.Index;
import dev.sextant.krt.Krt;
import dev.sextant.model.ServiceInfo;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Deduplication of services that share a hostname (wds-spec §2.9; istio/istio
 * {@code services.go selectWorkloadServices}).
 *
 * <p>Per namespace one winner: a Kubernetes Service always; otherwise the oldest ServiceEntry host.
 * Across namespaces one winner is canonical: the Kubernetes Service if there is one, otherwise the
 * oldest winner that is not NAMESPACE-visible. Losers are not served. Ties in creation time, which
 * istiod breaks by map order, are broken here by source name so the result is stable.
 */
public final class ServiceSelection implements Krt.MapTransformation<ServiceInfo, ServiceInfo> {
  private static final Comparator<ServiceInfo> OLDEST_FIRST =
      Comparator.comparing(ServiceInfo::createdAt).thenComparing(ServiceInfo::candidateKey);

  private final Index<String, ServiceInfo> candidatesByHostname;

  public ServiceSelection(Index<String, ServiceInfo> candidatesByHostname) {
    this.candidatesByHostname = candidatesByHostname;
  }

  @Override
  public ServiceInfo apply(Context ctx, ServiceInfo candidate) {
    List<ServiceInfo> group = ctx.fetch(candidatesByHostname, candidate.service().getHostname());
    Map<String, ServiceInfo> best = new HashMap<>();
    for (ServiceInfo s : group) {
      best.merge(s.service().getNamespace(), s, ServiceSelection::better);
    }
    ServiceInfo winner = best.get(candidate.service().getNamespace());
    if (winner == null || !winner.candidateKey().equals(candidate.candidateKey())) {
      return null;
    }
    if (candidate.isKubernetesService()) {
      return candidate; // always canonical, set when it was built
    }
    ServiceInfo canonical = null;
    for (ServiceInfo s : best.values()) {
      if (s.isKubernetesService()) {
        canonical = s;
        break;
      }
      if (s.service().getVisibility() == Service.Visibility.NAMESPACE) {
        continue;
      }
      if (canonical == null || OLDEST_FIRST.compare(s, canonical) < 0) {
        canonical = s;
      }
    }
    boolean isCanonical = canonical != null && canonical.candidateKey().equals(candidate.candidateKey());
    return isCanonical == candidate.service().getCanonical()
        ? candidate
        : candidate.withService(candidate.service().toBuilder().setCanonical(isCanonical).build());
  }

  private static ServiceInfo better(ServiceInfo a, ServiceInfo b) {
    if (a.isKubernetesService()) {
      return a;
    }
    if (b.isKubernetesService()) {
      return b;
    }
    return OLDEST_FIRST.compare(a, b) <= 0 ? a : b;
  }
}
