package dev.sextant.server;

import dev.sextant.model.MeshSettings;
import dev.sextant.server.xds.XdsOptions;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything {@link SextantServer} needs to start, resolved from flags, environment and mesh config.
 * An address of null turns that listener off. With {@code configDir} null, Sextant runs in
 * Kubernetes mode, as {@code kubernetes} says.
 */
public record ServerConfig(
    Path configDir,
    InetSocketAddress grpcAddr,
    InetSocketAddress httpAddr,
    InetSocketAddress monitoringAddr,
    MeshSettings mesh,
    Keepalive keepalive,
    Duration configDirPollInterval,
    Duration shutdownDuration,
    XdsOptions xds,
    Kubernetes kubernetes,
    Security security) {

  /** istiod's gRPC limits ({@code ISTIO_GPRC_MAXRECVMSGSIZE}, {@code ISTIO_GPRC_MAXSTREAMS}), read from the environment. */
  public GrpcLimits grpcLimits() {
    return GrpcLimits.fromEnvironment(System.getenv());
  }

  /**
   * The secure port and the CA behind it; null turns both off.
   *
   * @param secureGrpcAddr {@code --secureGRPCAddr} (istiod's 15012)
   * @param caDir {@code --caDir}: where a self-signed root is kept in {@code --configDir} mode
   * @param jwksFile {@code --jwksFile}: keys to validate Kubernetes tokens offline, or null
   * @param rootCertFile where the root certificate is written in {@code --configDir} mode, or null
   */
  public record Security(InetSocketAddress secureGrpcAddr, Path caDir, Path jwksFile, Path rootCertFile,
      TlsFiles tlsFiles) {
    /** The serving certificate from the CA. */
    public Security(InetSocketAddress secureGrpcAddr, Path caDir, Path jwksFile, Path rootCertFile) {
      this(secureGrpcAddr, caDir, jwksFile, rootCertFile, null);
    }

    /** Loopback ephemeral port, roots kept in {@code dir}. */
    public static Security forTest(Path dir) {
      return new Security(new InetSocketAddress("127.0.0.1", 0), dir.resolve("ca"), null, dir.resolve("root-cert.pem"));
    }
  }

  /**
   * istiod's {@code --tlsCertFile}, {@code --tlsKeyFile} and {@code --caCertFile}: the secure
   * port's certificate from files (cert-manager, a corporate PKI) rather than from Sextant's CA.
   */
  public record TlsFiles(Path certFile, Path keyFile, Path caCertFile) {}

  /**
   * Kubernetes mode: where the API server is and what of it is in scope.
   *
   * @param kubeconfig a kubeconfig file; empty for {@code KUBECONFIG}, {@code ~/.kube/config} or in-cluster
   * @param client a client to use as it is (tests, harnesses), or null to connect with {@code kubeconfig}
   * @param revision istiod's revision ({@code --revision}, env {@code REVISION}); empty for none
   * @param discoverySelectors the mesh config file's {@code discoverySelectors}
   * @param meshConfigFromCluster there is no mesh config file: read the {@code istio} ConfigMap
   */
  public record Kubernetes(
      String kubeconfig,
      KubernetesClient client,
      String revision,
      List<LabelSelector> discoverySelectors,
      boolean meshConfigFromCluster) {
    public Kubernetes {
      kubeconfig = kubeconfig == null ? "" : kubeconfig;
      revision = revision == null ? "" : revision;
      discoverySelectors = List.copyOf(discoverySelectors == null ? List.of() : discoverySelectors);
    }

    /** Use {@code client}; no revision, no selectors, no mesh ConfigMap. */
    public static Kubernetes withClient(KubernetesClient client) {
      return new Kubernetes("", client, "", List.of(), false);
    }
  }

  /** gRPC keepalive, as istiod's {@code --keepalive*} flags. */
  public record Keepalive(Duration interval, Duration timeout, Duration maxConnectionAge) {
    public static Keepalive defaults() {
      return new Keepalive(Duration.ofSeconds(30), Duration.ofSeconds(10), null);
    }
  }

  /** The same with the monitoring listener (metrics, version, debug) on a loopback ephemeral port. */
  public ServerConfig withMonitoring() {
    return new ServerConfig(configDir, grpcAddr, httpAddr, new InetSocketAddress("127.0.0.1", 0), mesh, keepalive,
        configDirPollInterval, shutdownDuration, xds, kubernetes, security);
  }

  /** The same with other mesh settings and Kubernetes options. */
  public ServerConfig with(MeshSettings mesh, Kubernetes kubernetes) {
    return new ServerConfig(configDir, grpcAddr, httpAddr, monitoringAddr, mesh, keepalive,
        configDirPollInterval, shutdownDuration, xds, kubernetes, security);
  }

  /** The same with the secure port and CA on. */
  public ServerConfig withSecurity(Security security) {
    return new ServerConfig(configDir, grpcAddr, httpAddr, monitoringAddr, mesh, keepalive,
        configDirPollInterval, shutdownDuration, xds, kubernetes, security);
  }

  /** Loopback ephemeral ports and defaults: for tests and the benchmark harness. */
  public static ServerConfig forTest(Path configDir) {
    InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
    return new ServerConfig(configDir, any, any, null, MeshSettings.defaults(), Keepalive.defaults(),
        Duration.ofMillis(50), Duration.ofSeconds(1), XdsOptions.defaults(), null, null);
  }

  /** Loopback ephemeral ports and defaults, in Kubernetes mode with {@code client}. */
  public static ServerConfig forTest(KubernetesClient client) {
    return forTest((Path) null).with(MeshSettings.defaults(), Kubernetes.withClient(client));
  }
}
