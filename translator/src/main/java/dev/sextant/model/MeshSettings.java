package dev.sextant.model;

import java.util.Objects;

/**
 * Mesh-wide settings that every translation reads: where istiod would take them from flags
 * ({@code --clusterID}, {@code --domain}, {@code -n}) and the mesh config ({@code trustDomain},
 * {@code rootNamespace}).
 */
public record MeshSettings(
    String clusterId,
    String trustDomain,
    String domainSuffix,
    String rootNamespace,
    String systemNamespace) {

  public static final String DEFAULT_TRUST_DOMAIN = "cluster.local";

  public MeshSettings {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(domainSuffix, "domainSuffix");
    Objects.requireNonNull(rootNamespace, "rootNamespace");
    Objects.requireNonNull(systemNamespace, "systemNamespace");
  }

  public static MeshSettings defaults() {
    return new MeshSettings("Kubernetes", DEFAULT_TRUST_DOMAIN, "cluster.local", "istio-system", "istio-system");
  }

  /** The trust domain as sent to ztunnel: empty when it is the default {@code cluster.local}. */
  public String wireTrustDomain() {
    return DEFAULT_TRUST_DOMAIN.equals(trustDomain) ? "" : trustDomain;
  }

  public MeshSettings withClusterId(String id) {
    return new MeshSettings(id, trustDomain, domainSuffix, rootNamespace, systemNamespace);
  }

  public MeshSettings withTrustDomain(String td) {
    return new MeshSettings(clusterId, td, domainSuffix, rootNamespace, systemNamespace);
  }

  public MeshSettings withDomainSuffix(String suffix) {
    return new MeshSettings(clusterId, trustDomain, suffix, rootNamespace, systemNamespace);
  }

  public MeshSettings withRootNamespace(String ns) {
    return new MeshSettings(clusterId, trustDomain, domainSuffix, ns, systemNamespace);
  }

  public MeshSettings withSystemNamespace(String ns) {
    return new MeshSettings(clusterId, trustDomain, domainSuffix, rootNamespace, ns);
  }
}
