package dev.sextant.ca;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Everything the CA needs, resolved from istiod's environment variables (names and defaults as
 * istio/istio {@code pilot/pkg/bootstrap/istio_ca.go}, {@code pilot/pkg/features/security.go},
 * {@code pkg/security/security.go}) and from the server's flags.
 *
 * @param namespace the control plane's namespace ({@code -n}/{@code POD_NAMESPACE}): where
 *     {@code istio-ca-secret} and {@code cacerts} live
 * @param clusterId {@code --clusterID}/{@code CLUSTER_ID}
 * @param trustDomain the mesh trust domain ({@code meshConfig.trustDomain})
 * @param trustDomainAliases accepted as the trust domain of an impersonated identity too
 * @param servingDnsNames DNS SANs of Sextant's own serving cert, see {@link #istiodDnsNames}
 * @param rootCertConfigMap {@code PILOT_CA_CERT_CONFIGMAP} (default {@code istio-ca-root-cert})
 */
public record CaConfig(
    String namespace,
    String clusterId,
    String trustDomain,
    Set<String> trustDomainAliases,
    Signing signing,
    Roots roots,
    Auth auth,
    List<String> servingDnsNames,
    String rootCertConfigMap) {

  public CaConfig {
    Objects.requireNonNull(namespace);
    Objects.requireNonNull(clusterId);
    Objects.requireNonNull(trustDomain);
    trustDomainAliases = Set.copyOf(trustDomainAliases);
    servingDnsNames = List.copyOf(servingDnsNames);
  }

  /**
   * Workload certificate lifetimes.
   *
   * @param defaultCertTtl {@code DEFAULT_WORKLOAD_CERT_TTL} (24h), when the request asks for none
   * @param maxCertTtl {@code MAX_WORKLOAD_CERT_TTL} (2160h), a longer request is refused
   */
  public record Signing(Duration defaultCertTtl, Duration maxCertTtl, CertificateAuthority.CsrPolicy csrPolicy) {}

  /**
   * Where the signing root comes from.
   *
   * @param rootCaDir {@code ROOT_CA_DIR} (default {@code ./etc/cacerts}): a plugged-in CA
   *     ({@code cacerts} mount), or extra roots ({@code root-cert.pem}) for the self-signed CA
   * @param caDir {@code --caDir}: where a self-signed root persists in {@code --configDir} mode;
   *     null keeps it in memory (or in the Secret in Kubernetes mode)
   * @param selfSignedCaCertTtl {@code CITADEL_SELF_SIGNED_CA_CERT_TTL} (87600h)
   * @param rootCheckInterval {@code CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL} (1h); &le; 0 disables rotation
   * @param gracePercentile {@code CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE} (20)
   * @param jitter {@code CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR} (true)
   * @param keyType of a new self-signed root: {@code SEXTANT_CA_KEY_TYPE} = {@code EC} (default) or {@code RSA}
   * @param rsaKeySize {@code CITADEL_SELF_SIGNED_CA_RSA_KEY_SIZE} (2048)
   * @param multiRootMesh {@code ISTIO_MULTIROOT_MESH} (false): plugged-in root bundles may change at runtime
   * @param useCacertsForSelfSignedCa {@code USE_CACERTS_FOR_SELF_SIGNED_CA} (false)
   */
  public record Roots(
      Path rootCaDir,
      Path caDir,
      Duration selfSignedCaCertTtl,
      Duration rootCheckInterval,
      int gracePercentile,
      boolean jitter,
      Crypto.KeyType keyType,
      int rsaKeySize,
      boolean multiRootMesh,
      boolean useCacertsForSelfSignedCa) {}

  /**
   * Caller authentication and node authorization.
   *
   * @param tokenAudiences {@code TOKEN_AUDIENCES} (comma list, default {@code istio-ca})
   * @param tokenIssuer {@code TOKEN_ISSUER}: the issuer trusted for offline JWT validation; empty
   *     = the API server's discovery document (Kubernetes mode)
   * @param jwksFile {@code --jwksFile}: the issuer's keys in local mode
   * @param xdsAuth {@code XDS_AUTH} (true)
   * @param xdsAuthPlaintext {@code XDS_AUTH_PLAINTEXT} (false)
   * @param trustedNodeAccounts {@code CA_TRUSTED_NODE_ACCOUNTS}: {@code ns/sa} pairs allowed to impersonate
   */
  public record Auth(
      List<String> tokenAudiences,
      String tokenIssuer,
      Path jwksFile,
      boolean xdsAuth,
      boolean xdsAuthPlaintext,
      List<String> trustedNodeAccounts) {
    public Auth {
      tokenAudiences = List.copyOf(tokenAudiences);
      trustedNodeAccounts = List.copyOf(trustedNodeAccounts);
    }
  }

  /** istiod's defaults, for tests: namespace {@code istio-system}, trust domain {@code cluster.local}. */
  public static CaConfig defaults() {
    return fromEnvironment(Map.of("CA_TRUSTED_NODE_ACCOUNTS", "istio-system/ztunnel"), "istio-system",
        "Kubernetes", "cluster.local", null, null, "");
  }

  /**
   * Reads istiod's environment variables; the rest comes from flags.
   *
   * @param caDir {@code --caDir}, or null
   * @param jwksFile {@code --jwksFile}, or null
   * @param revision istiod's revision ({@code REVISION}); adds {@code istiod-<rev>.<ns>.svc}
   */
  public static CaConfig fromEnvironment(Map<String, String> env, String namespace, String clusterId,
      String trustDomain, Path caDir, Path jwksFile, String revision) {
    Signing signing = new Signing(
        duration(env, "DEFAULT_WORKLOAD_CERT_TTL", "24h"),
        duration(env, "MAX_WORKLOAD_CERT_TTL", "2160h"),
        CertificateAuthority.CsrPolicy.defaults());
    String keyType = env.getOrDefault("SEXTANT_CA_KEY_TYPE", "EC").trim().toUpperCase(Locale.ROOT);
    Roots roots = new Roots(
        Path.of(env.getOrDefault("ROOT_CA_DIR", "./etc/cacerts")),
        caDir,
        duration(env, "CITADEL_SELF_SIGNED_CA_CERT_TTL", "87600h"),
        duration(env, "CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL", "1h"),
        integer(env, "CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE", 20),
        bool(env, "CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR", true),
        keyType.equals("RSA") ? Crypto.KeyType.RSA : Crypto.KeyType.EC_P256,
        integer(env, "CITADEL_SELF_SIGNED_CA_RSA_KEY_SIZE", 2048),
        bool(env, "ISTIO_MULTIROOT_MESH", false),
        bool(env, "USE_CACERTS_FOR_SELF_SIGNED_CA", false));
    Auth auth = new Auth(
        List.of(env.getOrDefault("TOKEN_AUDIENCES", "istio-ca").split(",", -1)),
        env.getOrDefault("TOKEN_ISSUER", ""),
        jwksFile,
        bool(env, "XDS_AUTH", true),
        bool(env, "XDS_AUTH_PLAINTEXT", false),
        list(env.getOrDefault("CA_TRUSTED_NODE_ACCOUNTS", "")));
    List<String> dns = istiodDnsNames(list(env.getOrDefault("ISTIOD_CUSTOM_HOST", "")),
        "istiod." + namespace + ".svc", namespace, revision);
    return new CaConfig(namespace, clusterId, trustDomain, Set.of(), signing, roots, auth, dns,
        env.getOrDefault("PILOT_CA_CERT_CONFIGMAP", "istio-ca-root-cert"));
  }

  /**
   * istiod's serving-cert DNS names ({@code getDNSNames} in istio/istio
   * {@code pilot/pkg/bootstrap/server.go}): sorted and de-duplicated custom hosts, the discovery
   * host, {@code istiod}, {@code istiod-remote}, {@code istio-pilot} (and {@code istiod-<rev>}
   * for a non-default revision) in {@code <ns>.svc}.
   */
  public static List<String> istiodDnsNames(List<String> customHosts, String discoveryHost, String namespace,
      String revision) {
    TreeSet<String> sans = new TreeSet<>(customHosts);
    sans.add(discoveryHost);
    List<String> known = new ArrayList<>(List.of("istiod", "istiod-remote", "istio-pilot"));
    if (revision != null && !revision.isEmpty() && !revision.equals("default")) {
      known.add("istiod-" + revision);
    }
    for (String h : known) {
      sans.add(h + "." + namespace + ".svc");
    }
    return List.copyOf(sans);
  }

  public CaConfig withTrustDomainAliases(Set<String> aliases) {
    return new CaConfig(namespace, clusterId, trustDomain, aliases, signing, roots, auth, servingDnsNames,
        rootCertConfigMap);
  }

  public CaConfig withRoots(Roots r) {
    return new CaConfig(namespace, clusterId, trustDomain, trustDomainAliases, signing, r, auth, servingDnsNames,
        rootCertConfigMap);
  }

  public CaConfig withAuth(Auth a) {
    return new CaConfig(namespace, clusterId, trustDomain, trustDomainAliases, signing, roots, a, servingDnsNames,
        rootCertConfigMap);
  }

  public CaConfig withSigning(Signing s) {
    return new CaConfig(namespace, clusterId, trustDomain, trustDomainAliases, s, roots, auth, servingDnsNames,
        rootCertConfigMap);
  }

  private static List<String> list(String v) {
    List<String> out = new ArrayList<>();
    for (String s : v.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }

  private static Duration duration(Map<String, String> env, String name, String def) {
    String v = env.getOrDefault(name, "");
    try {
      return GoDuration.parse(v.isBlank() ? def : v.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid " + name + " \"" + v + "\": " + e.getMessage());
    }
  }

  private static int integer(Map<String, String> env, String name, int def) {
    String v = env.getOrDefault(name, "");
    try {
      return v.isBlank() ? def : Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid " + name + " \"" + v + "\": not an integer");
    }
  }

  private static boolean bool(Map<String, String> env, String name, boolean def) {
    String v = env.getOrDefault(name, "").trim().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "" -> def;
      case "1", "t", "true" -> true;
      case "0", "f", "false" -> false;
      default -> throw new IllegalArgumentException("invalid " + name + " \"" + v + "\": not a boolean");
    };
  }
}
