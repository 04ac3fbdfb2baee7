package dev.sextant.server;

import dev.sextant.ca.LeaderGate;
import dev.sextant.ca.SecretRootStore;
import dev.sextant.ca.authn.JwksTokenVerifier;
import dev.sextant.source.InputKind;
import dev.sextant.source.Inputs;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Every Kubernetes API request Sextant makes, in RBAC's terms: what its service account must be
 * granted, and all that it needs.
 *
 * <p>Model: a {@link Rule} names a resource (API group and plural, a subresource as
 * {@code plural/sub}), where ({@link Scope}), which objects (RBAC {@code resourceNames}; empty for
 * any; a list or watch counts as named when it selects {@code metadata.name}, a create never does)
 * and the verbs. A {@link NonResourceUrl} is a plain path Sextant reads, each granted to every
 * service account by one of Kubernetes' default ClusterRoleBindings.
 *
 * <p>Derivation: kinds, groups and plurals come from the classes the code reads and writes
 * ({@link Inputs#KINDS} for the informers, fabric8's {@link HasMetadata#getPlural}), object names
 * from the constants the code uses. Two checks keep this list honest: integration-tests
 * {@code KubernetesAccessIntegrationTest} runs the server against an API server and fails on a
 * request no rule here allows; {@code HelmChartTest} fails when the chart's roles grant less than
 * this list, or anything it does not need.
 */
public final class KubernetesAccess {
  private KubernetesAccess() {}

  /** Where a rule applies. */
  public enum Scope {
    /** Every namespace, or a cluster-scoped resource: granted by a ClusterRole. */
    CLUSTER,
    /** The namespace Sextant runs in ({@code -n}, {@code POD_NAMESPACE}): granted by a Role there. */
    NAMESPACE
  }

  /**
   * One kind of request.
   *
   * @param apiGroup the API group, {@code ""} for the core group
   * @param resource the plural resource name, {@code plural/subresource} for a subresource
   * @param resourceNames the only objects requested, or empty for any
   * @param usedBy the code that makes the request
   */
  public record Rule(String apiGroup, String resource, Scope scope, Set<String> resourceNames, Set<String> verbs,
      String usedBy) {
    public Rule {
      resourceNames = Set.copyOf(resourceNames);
      verbs = Set.copyOf(verbs);
    }
  }

  /**
   * A non-resource URL Sextant reads (verb {@code get}).
   *
   * @param defaultClusterRole the default ClusterRole that grants it to every service account
   */
  public record NonResourceUrl(String path, String defaultClusterRole, String usedBy) {}

  /**
   * The rules for a deployment.
   *
   * @param revision {@code --revision} (env {@code REVISION}): names the mesh config ConfigMap
   * @param rootCertConfigMap the CA's {@code PILOT_CA_CERT_CONFIGMAP}
   *     ({@link dev.sextant.ca.CaConfig#rootCertConfigMap()})
   */
  public static List<Rule> rules(String revision, String rootCertConfigMap) {
    List<Rule> out = new ArrayList<>();
    for (InputKind<?> kind : Inputs.KINDS) {
      out.add(rule(kind.type(), Scope.CLUSTER, Set.of(), "KubernetesSource: informer/" + kind.kind(),
          "list", "watch"));
    }
    out.add(rule(CustomResourceDefinition.class, Scope.CLUSTER, Set.of(),
        "KubernetesSource: which custom resource kinds are installed", "list", "watch"));
    out.add(rule(ConfigMap.class, Scope.NAMESPACE, Set.of(MeshConfigFile.configMapName(revision)),
        "MeshConfigFile.fromCluster, MeshConfigMapWatch: the mesh config", "get", "list", "watch"));

    // CA (ca/): roots, root distribution, caller authentication, node authorization
    out.add(rule(Secret.class, Scope.NAMESPACE,
        Set.of(SecretRootStore.ISTIO_CA_SECRET, SecretRootStore.CACERTS_SECRET),
        "CaRoots, SecretRootStore: the root (self-signed, or plugged in), rotated in place", "get", "update"));
    out.add(rule(Secret.class, Scope.NAMESPACE, Set.of(), "SecretRootStore: a new self-signed root", "create"));
    out.add(rule(Namespace.class, Scope.CLUSTER, Set.of(), "RootCertConfigMaps: every namespace", "list", "watch"));
    out.add(rule(ConfigMap.class, Scope.CLUSTER, Set.of(rootCertConfigMap),
        "RootCertConfigMaps: the root certificate in every namespace", "get", "list", "watch", "update"));
    out.add(rule(ConfigMap.class, Scope.CLUSTER, Set.of(),
        "RootCertConfigMaps: the root certificate where it is missing", "create"));
    out.add(rule(Pod.class, Scope.CLUSTER, Set.of(), "InformerPodIndex: pods of trusted node agents' nodes",
        "list", "watch"));
    out.add(rule(TokenReview.class, Scope.CLUSTER, Set.of(), "Fabric8TokenReviewer: callers' tokens", "create"));

    // Leader election (istiod's Lease locks, istiod-operations.md 4.5) and the status it guards
    out.add(rule(Lease.class, Scope.NAMESPACE, Set.of(LeaderGate.NAMESPACE_CONTROLLER, LeaderElection.STATUS),
        "LeaderElection: istiod's locks for the root ConfigMap writer and ambient status (fabric8's LeaseLock "
            + "renews and releases with a patch)", "get", "patch"));
    out.add(rule(Lease.class, Scope.NAMESPACE, Set.of(), "LeaderElection: a lock taken the first time", "create"));
    out.add(rule(AuthorizationPolicy.class, Scope.CLUSTER, Set.of(),
        "PolicyStatusWriter: the policy whose status is written", "get"));
    out.add(new Rule(group(AuthorizationPolicy.class), HasMetadata.getPlural(AuthorizationPolicy.class) + "/status",
        Scope.CLUSTER, Set.of(), Set.of("update"), "PolicyStatusWriter: the ZtunnelAccepted condition"));
    return List.copyOf(out);
  }

  /** The non-resource URLs Sextant reads. */
  public static List<NonResourceUrl> nonResourceUrls() {
    return List.of(
        new NonResourceUrl("/version", "system:public-info-viewer",
            "KubernetesSource.checkReachable: the API server answers, before anything listens"),
        new NonResourceUrl(JwksTokenVerifier.OPENID_CONFIGURATION_PATH, "system:service-account-issuer-discovery",
            "JwksTokenVerifier: the service-account token issuer"),
        new NonResourceUrl(JwksTokenVerifier.JWKS_PATH, "system:service-account-issuer-discovery",
            "JwksTokenVerifier: keys to validate tokens without a TokenReview"));
  }

  private static Rule rule(Class<? extends HasMetadata> type, Scope scope, Set<String> names, String usedBy,
      String... verbs) {
    return new Rule(group(type), HasMetadata.getPlural(type), scope, names, Set.of(verbs), usedBy);
  }

  private static String group(Class<? extends HasMetadata> type) {
    String g = HasMetadata.getGroup(type);
    return g == null ? "" : g;
  }
}
