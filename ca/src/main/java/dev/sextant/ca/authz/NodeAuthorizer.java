package dev.sextant.ca.authz;

import dev.sextant.ca.SpiffeId;
import dev.sextant.ca.authn.KubernetesInfo;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a node agent (ztunnel) get certificates for the workloads on its own node, as istiod's node
 * authorizer (istio/istio {@code security/pkg/server/ca/node_auth.go}).
 *
 * <p>The check, in order: a pod index for exactly the {@code clusterid} header's value (no alias,
 * no "empty is local"); the caller's {@code ns/sa} in {@code CA_TRUSTED_NODE_ACCOUNTS}; the
 * requested string a SPIFFE identity; the caller's pod (by the token's pod name) in the cache,
 * with the token's UID and service account; a pod of the requested namespace and service account
 * on the caller pod's node. The node comes from the cached caller pod, never from a token claim.
 *
 * <p>Beyond istiod (which forgets both): the requested trust domain must be the mesh's (or an
 * alias), and no segment may be empty or hold characters SPIFFE does not allow.
 *
 * <p>Threading: immutable; call from any thread.
 */
public final class NodeAuthorizer {
  private static final Logger log = LoggerFactory.getLogger(NodeAuthorizer.class);

  /** A {@code namespace/name} service account. */
  public record ServiceAccountRef(String namespace, String name) {
    @Override
    public String toString() {
      return namespace + "/" + name;
    }
  }

  private final Set<ServiceAccountRef> trusted;
  private final Map<String, PodIndex> clusters;
  private final Supplier<String> trustDomain;
  private final Set<String> trustDomainAliases;

  public NodeAuthorizer(Set<ServiceAccountRef> trusted, Map<String, PodIndex> clusters,
      Supplier<String> trustDomain, Set<String> trustDomainAliases) {
    this.trusted = Set.copyOf(trusted);
    this.clusters = Map.copyOf(clusters);
    this.trustDomain = trustDomain;
    this.trustDomainAliases = Set.copyOf(trustDomainAliases);
  }

  /** {@code CA_TRUSTED_NODE_ACCOUNTS} entries; those without a {@code /} are logged and skipped. */
  public static Set<ServiceAccountRef> parseTrusted(List<String> entries) {
    Set<ServiceAccountRef> out = new LinkedHashSet<>();
    for (String e : entries) {
      int slash = e.indexOf('/');
      if (slash < 0) {
        log.warn("CA_TRUSTED_NODE_ACCOUNTS entry \"{}\" is not namespace/serviceaccount; skipped", e);
        continue;
      }
      out.add(new ServiceAccountRef(e.substring(0, slash), e.substring(slash + 1)));
    }
    return out;
  }

  public Set<ServiceAccountRef> trusted() {
    return trusted;
  }

  /** Returns normally if the caller may have a certificate for {@code requested}. */
  public void authorize(String clusterId, KubernetesInfo caller, String requested)
      throws ImpersonationDeniedException {
    PodIndex pods = clusters.get(clusterId);
    if (pods == null) {
      throw new ImpersonationDeniedException("no_node_authorizer", "no node authorizer for cluster " + clusterId);
    }
    ServiceAccountRef callerSa = new ServiceAccountRef(caller.podNamespace(), caller.podServiceAccount());
    if (!trusted.contains(callerSa)) {
      throw new ImpersonationDeniedException("caller_not_trusted", "caller (" + caller + ") is not allowed to impersonate");
    }
    SpiffeId id = SpiffeId.parse(requested).orElseThrow(() -> new ImpersonationDeniedException(
        "invalid_identity", "failed to validate impersonated identity " + requested));
    if (!id.isWellFormed()) {
      throw new ImpersonationDeniedException("invalid_identity",
          "impersonated identity " + requested + " has an empty or invalid segment");
    }
    String td = trustDomain.get().replace('@', '.');
    if (!id.trustDomain().equals(td) && !trustDomainAliases.contains(id.trustDomain())) {
      throw new ImpersonationDeniedException("foreign_trust_domain",
          "impersonated identity " + requested + " is not in trust domain " + td);
    }
    Optional<PodIndex.PodRef> pod = pods.pod(caller.podNamespace(), caller.podName());
    if (pod.isEmpty()) {
      throw new ImpersonationDeniedException("caller_pod_not_found",
          "pod " + caller.podNamespace() + "/" + caller.podName() + " not found");
    }
    if (caller.podUid().isEmpty() || !caller.podUid().equals(pod.get().uid())) {
      throw new ImpersonationDeniedException("caller_pod_uid_mismatch",
          "pod found, but UID does not match: " + pod.get().uid() + " vs " + caller.podUid());
    }
    if (!pod.get().serviceAccount().equals(caller.podServiceAccount())) {
      throw new ImpersonationDeniedException("caller_pod_sa_mismatch", "pod found, but ServiceAccount does not match: "
          + pod.get().serviceAccount() + " vs " + caller.podServiceAccount());
    }
    String node = pod.get().nodeName();
    if (node.isEmpty() || !pods.anyOn(id.namespace(), id.serviceAccount(), node)) {
      throw new ImpersonationDeniedException("identity_not_on_node",
          "no instances of \"" + id.namespace() + "/" + id.serviceAccount() + "\" found on node \"" + node + "\"");
    }
    log.debug("Node caller {} impersonated {}", caller, requested);
  }
}
