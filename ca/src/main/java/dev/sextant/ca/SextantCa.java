package dev.sextant.ca;

import dev.sextant.ca.authn.Authenticator;
import dev.sextant.ca.authn.Authenticators;
import dev.sextant.ca.authn.ClientCertAuthenticator;
import dev.sextant.ca.authn.Fabric8TokenReviewer;
import dev.sextant.ca.authn.JwksTokenVerifier;
import dev.sextant.ca.authn.KubeJwtAuthenticator;
import dev.sextant.ca.authz.InformerPodIndex;
import dev.sextant.ca.authz.NodeAuthorizer;
import dev.sextant.ca.authz.PodIndex;
import dev.sextant.ca.grpc.AuthInterceptor;
import dev.sextant.ca.grpc.CertificateService;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.BindableService;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole CA, wired: roots, signer, authenticators, node authorizer, the
 * {@code IstioCertificateService}, Sextant's serving certificate and root distribution. This is
 * what the server starts; everything it needs from the CA is a method here.
 *
 * <p>Kubernetes mode ({@code client} given): root in {@code istio-ca-secret} (or a plugged-in
 * {@code cacerts}); tokens by offline JWKS validation (the API server's issuer and
 * {@code /openid/v1/jwks}) with TokenReview for the rest; pods from an informer; the
 * {@code istio-ca-root-cert} ConfigMaps. Local mode ({@code client} null): root in
 * {@code --caDir} (or memory); tokens by {@code --jwksFile} only; pods from
 * {@link Options#localPods()}; the root PEM written to {@link Options#rootCertFile()}.
 *
 * <p>Threading: build and close on one thread; the parts run on their own threads.
 */
public final class SextantCa implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SextantCa.class);

  /**
   * What the server supplies besides the config.
   *
   * @param localPods the pod index for impersonation in local mode (the translator's pods); null
   *     means none, so impersonation is refused; ignored in Kubernetes mode
   * @param namespaceVisible discovery selectors (pods and ConfigMaps); null for all namespaces
   * @param rootCertFile local mode: where to write the root PEM; null for nowhere
   * @param leader gates the singleton writers (root-cert ConfigMaps) on leadership
   */
  public record Options(PodIndex localPods, Predicate<String> namespaceVisible, Path rootCertFile, LeaderGate leader) {
    public Options(PodIndex localPods, Predicate<String> namespaceVisible, Path rootCertFile) {
      this(localPods, namespaceVisible, rootCertFile, LeaderGate.ALWAYS);
    }

    public static Options none() {
      return new Options(null, null, null);
    }
  }

  private final CaConfig config;
  private final CaMetrics metrics;
  private final CaRoots roots;
  private final Authenticators authenticators;
  private final NodeAuthorizer nodeAuthorizer;
  private final CertificateService service;
  private final ServingCertificate serving;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final ExecutorService callPool = Executors.newFixedThreadPool(
      Math.max(16, 4 * Runtime.getRuntime().availableProcessors()), new ThreadFactory() {
        private final AtomicInteger n = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
          Thread t = new Thread(r, "ca-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }
      });

  private SextantCa(CaConfig config, KubernetesClient client, Options options, Clock clock)
      throws IOException, GeneralSecurityException {
    this.config = config;
    this.metrics = new CaMetrics(clock);
    log.info("CA signatures: {}", Crypto.SIGNATURES_CHOICE);
    this.roots = CaRoots.load(config, client, metrics, clock);
    try {
    closeables.add(roots);

    PodIndex pods = options.localPods();
    if (client != null) {
      InformerPodIndex informer = InformerPodIndex.start(client, options.namespaceVisible());
      closeables.add(informer);
      pods = informer;
    }

    JwksTokenVerifier offline = null;
    if (client != null) {
      String issuer = config.auth().tokenIssuer();
      try {
        if (issuer.isEmpty()) {
          issuer = JwksTokenVerifier.apiServerIssuer(client);
        }
        offline = new JwksTokenVerifier(Set.of(issuer), JwksTokenVerifier.apiServerKeys(client), clock);
      } catch (IOException e) {
        log.warn("offline token validation is off, every new token costs a TokenReview: {}", e.getMessage());
      }
    } else if (config.auth().jwksFile() != null) {
      String issuer = config.auth().tokenIssuer().isEmpty()
          ? "https://kubernetes.default.svc." + "cluster.local" : config.auth().tokenIssuer();
      offline = new JwksTokenVerifier(Set.of(issuer), JwksTokenVerifier.fileKeys(config.auth().jwksFile()), clock);
    }
    PodIndex boundPods = pods;
    KubeJwtAuthenticator.BoundPodCheck podCheck = boundPods == null ? null : (ns, name, uid) -> {
      if (options.namespaceVisible() != null && !options.namespaceVisible().test(ns)) {
        return null;
      }
      return boundPods.pod(ns, name).map(p -> p.uid().equals(uid)).orElse(false);
    };
    List<Authenticator> chain = List.of(new ClientCertAuthenticator(), new KubeJwtAuthenticator(
        KubeJwtAuthenticator.Options.of(config.clusterId(), config.auth().tokenAudiences()),
        config::trustDomain, client == null ? null : new Fabric8TokenReviewer(client), null, offline, podCheck, clock));
    this.authenticators = new Authenticators(chain, config.auth().xdsAuth(), config.auth().xdsAuthPlaintext());

    Set<NodeAuthorizer.ServiceAccountRef> trusted = NodeAuthorizer.parseTrusted(config.auth().trustedNodeAccounts());
    this.nodeAuthorizer = trusted.isEmpty() || pods == null ? null
        : new NodeAuthorizer(trusted, Map.of(config.clusterId(), pods), config::trustDomain, config.trustDomainAliases());
    this.service = new CertificateService(roots.authority(), authenticators, nodeAuthorizer, metrics);

    try {
      this.serving = new ServingCertificate(roots.authority(), config.servingDnsNames(),
          config.roots().selfSignedCaCertTtl(), clock);
    } catch (CaException e) {
      throw new GeneralSecurityException("cannot issue the serving certificate: " + e.getMessage(), e);
    }
    closeables.add(serving);
    closeables.add(callPool::shutdownNow);

    if (client != null) {
      RootCertConfigMaps configMaps = new RootCertConfigMaps(client, config.rootCertConfigMap(), this::rootCertPem,
          options.namespaceVisible());
      roots.authority().addListener(b -> configMaps.rootChanged());
      // one writer for the whole mesh: the holder of istiod's namespace-controller lock
      LeaderGate leader = options.leader() == null ? LeaderGate.ALWAYS : options.leader();
      leader.whileLeader(LeaderGate.NAMESPACE_CONTROLLER, configMaps::start, configMaps::stop);
      closeables.add(configMaps);
    } else if (options.rootCertFile() != null) {
      RootCertFile file = new RootCertFile(options.rootCertFile());
      file.write(rootCertPem());
      roots.authority().addListener(b -> {
        try {
          file.write(b.rootCertPem());
        } catch (IOException e) {
          log.error("cannot write {}: {}", file.path(), e.getMessage());
        }
      });
    }
    roots.start();
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Loads or creates the root and starts every part.
   *
   * @param client the Kubernetes client; null in {@code --configDir} mode
   */
  public static SextantCa start(CaConfig config, KubernetesClient client, Options options)
      throws IOException, GeneralSecurityException {
    return new SextantCa(config, client, options, Clock.systemUTC());
  }

  /** The {@code istio.v1.auth.IstioCertificateService} implementation, without the interceptor. */
  public BindableService service() {
    return service;
  }

  /** The service with {@link #authInterceptor()} applied: register this on the secure port. */
  public ServerServiceDefinition interceptedService() {
    return ServerInterceptors.intercept(service, AuthInterceptor.instance());
  }

  /**
   * The executor for the server that serves {@link #interceptedService()} (the secure port):
   * {@code max(16, 4 x cores)} threads.
   *
   * <p>Why: gRPC's default executor is an unbounded cached pool, so a burst of a thousand CSRs in
   * flight runs on hundreds of threads that the CPU-bound signing work makes fight over the
   * cores (bench scenario S5: about a quarter fewer certificates per second than on this pool).
   * A per-call executor for the CA alone does not help: gRPC starts every call on the server's
   * executor before it switches. The pool is a few times the cores so that a call waiting on a
   * TokenReview (a token the offline check cannot decide) does not hold up the rest; the other
   * calls on the port (ADS) only hand their work to their own streams' executors.
   */
  public Executor executor() {
    return callPool;
  }

  /** Puts headers and TLS peer certificates into the call context; needed by every authenticated service. */
  public ServerInterceptor authInterceptor() {
    return AuthInterceptor.instance();
  }

  /** The authenticator chain with istiod's gate, for the ADS server too. */
  public Authenticators authenticators() {
    return authenticators;
  }

  public ServingCertificate servingCertificate() {
    return serving;
  }

  /** The current root bundle PEM: what the ConfigMap holds and the debug endpoint shows. */
  public String rootCertPem() {
    return roots.rootCertPem();
  }

  public CaRoots.Mode mode() {
    return roots.mode();
  }

  public CertificateAuthority authority() {
    return roots.authority();
  }

  public CaMetrics metrics() {
    return metrics;
  }

  public CaConfig config() {
    return config;
  }

  @Override
  public void close() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        log.warn("closing {}: {}", closeables.get(i).getClass().getSimpleName(), e.getMessage());
      }
    }
  }
}
