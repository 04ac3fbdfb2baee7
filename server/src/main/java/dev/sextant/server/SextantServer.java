package dev.sextant.server;

import dev.sextant.ambient.Ambient;
import dev.sextant.api.TypeUrls;
import dev.sextant.ca.CaConfig;
import dev.sextant.ca.LeaderGate;
import dev.sextant.ca.SextantCa;
import dev.sextant.server.status.PolicyStatusWriter;
import dev.sextant.krt.Krt;
import dev.sextant.server.debug.HttpEndpoints;
import dev.sextant.server.metrics.InputMetrics;
import dev.sextant.server.metrics.RuntimeMetrics;
import dev.sextant.server.metrics.Telemetry;
import dev.sextant.server.xds.AdsService;
import dev.sextant.server.xds.DebugTypes;
import dev.sextant.server.xds.ResourceIndex;
import dev.sextant.server.xds.XdsServerContext;
import dev.sextant.source.DirectorySource;
import dev.sextant.source.InputKind;
import dev.sextant.source.Inputs;
import dev.sextant.source.KubernetesSource;
import dev.sextant.xds.AddressGenerator;
import dev.sextant.xds.AuthorizationGenerator;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.VersionInfo;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.core.instrument.FunctionCounter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running control plane: sources, the translation graph, the resource index, the ADS listener
 * and the HTTP listeners, started in istiod's order.
 *
 * <p>Lifecycle: in Kubernetes mode the API server is contacted first, so that startup fails at
 * once, saying why, when no cluster is reachable, and the mesh config ConfigMap is read when there
 * is no mesh config file. Then the HTTP listener starts, so {@code /ready} answers 503 (not
 * "connection refused") while inputs load; then the source and the graph; then gRPC, which refuses
 * streams with UNAVAILABLE until every input has synced and the first resources are computed.
 * Readiness, once reached, stays: a source that loses its API server keeps serving the last state.
 */
public final class SextantServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SextantServer.class);

  private final ServerConfig config;
  private final Krt krt = new Krt("sextant");
  private final Inputs inputs = Inputs.create(krt);
  private final Ambient ambient;
  private final ResourceIndex resources = new ResourceIndex();
  private final Telemetry telemetry = new Telemetry();
  private final XdsServerContext xds;
  private final AtomicBoolean ready = new AtomicBoolean();
  private final KubernetesClient kubeClient;
  private final boolean ownsKubeClient;
  private DirectorySource source;
  private KubernetesSource kubeSource;
  private MeshConfigMapWatch meshWatch;
  private LeaderGate leader = LeaderGate.ALWAYS;
  private PolicyStatusWriter statusWriter;
  private HttpEndpoints http;
  private HttpEndpoints monitoring;
  private Server grpc;
  private Server secureGrpc;
  private SextantCa ca;
  private Thread readinessWatcher;

  private SextantServer(ServerConfig config, KubernetesClient kubeClient, boolean ownsKubeClient) {
    this.config = config;
    this.kubeClient = kubeClient;
    this.ownsKubeClient = ownsKubeClient;
    this.ambient = Ambient.build(krt, inputs, config.mesh());
    resources.register(TypeUrls.ADDRESS, AddressGenerator.collection(krt, ambient));
    resources.register(TypeUrls.AUTHORIZATION,
        AuthorizationGenerator.collection(krt, ambient.policies().authorizations()));
    RuntimeMetrics.register(telemetry);
    InputMetrics.register(telemetry, inputs);
    telemetry.gauge("istio_build", () -> 1, "component", "pilot", "tag", Version.TAG);
    telemetry.gauge("pilot_info", () -> 1, "version", Version.TAG);
    telemetry.gauge("pilot_services", () -> ambient.services().size());
    this.xds = new XdsServerContext(resources, this::isReady, config.xds(), telemetry);
    for (String type : resources.typeUrls()) {
      resources.type(type).addListener((index, names) ->
          telemetry.count("pilot_push_triggers", 1, "type", "ambient"));
    }
  }

  public static SextantServer start(ServerConfig config) throws IOException {
    KubernetesClient client = null;
    boolean ownsClient = false;
    if (config.configDir() == null) {
      ServerConfig.Kubernetes k = config.kubernetes() == null
          ? new ServerConfig.Kubernetes("", null, "", List.of(), true) : config.kubernetes();
      ownsClient = k.client() == null;
      client = ownsClient ? KubernetesSource.connect(k.kubeconfig()) : k.client();
      try {
        VersionInfo version = KubernetesSource.checkReachable(client);
        log.info("kubernetes api={} version={}", client.getMasterUrl(), version.getGitVersion());
        if (k.meshConfigFromCluster()) {
          MeshConfigFile.MeshConfig mc = MeshConfigFile.fromCluster(
              client, config.mesh().systemNamespace(), k.revision(), config.mesh());
          config = config.with(mc.settings(), new ServerConfig.Kubernetes(
              k.kubeconfig(), k.client(), k.revision(), mc.discoverySelectors(), true));
        } else {
          config = config.with(config.mesh(), k);
        }
      } catch (RuntimeException e) {
        if (ownsClient) {
          client.close();
        }
        throw e;
      }
    }
    SextantServer s = new SextantServer(config, client, ownsClient);
    try {
      s.startAll();
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private void startAll() throws IOException {
    if (config.httpAddr() != null) {
      http = HttpEndpoints.start(config.httpAddr(), this, true);
      log.info("serving http=/ready,/debug addr={}", http.address());
    }
    if (config.monitoringAddr() != null) {
      monitoring = HttpEndpoints.start(config.monitoringAddr(), this, false);
      log.info("serving monitoring=/version,/debug addr={}", monitoring.address());
    }
    HttpEndpoints debugMux = http != null ? http : monitoring;
    xds.setDebugSupport(DebugTypes.Support.fromEnvironment(System.getenv(), config.mesh().rootNamespace(),
        name -> debugMux == null ? "404 page not found\n" : debugMux.internal(name), controlPlaneIdentifier()));
    if (config.configDir() != null) {
      source = new DirectorySource(config.configDir(), inputs, config.configDirPollInterval());
      source.start();
    } else {
      ServerConfig.Kubernetes k = config.kubernetes();
      kubeSource = new KubernetesSource(kubeClient, inputs,
          new KubernetesSource.Options(k.discoverySelectors(), k.revision()));
      for (InputKind<?> kind : Inputs.KINDS) {
        FunctionCounter.builder("sextant_k8s_skipped_objects", kubeSource, ks -> ks.skippedObjects(kind.kind()))
            .description("Objects skipped because they could not be read, by kind")
            .tags("type", kind.kind())
            .register(telemetry.registry());
      }
      kubeSource.start();
      leader = LeaderElection.fromEnvironment(kubeClient, config.mesh().systemNamespace());
      statusWriter = new PolicyStatusWriter(kubeClient, ambient.policies().conversions());
      leader.whileLeader(LeaderElection.STATUS, statusWriter::start, statusWriter::stop);
      log.info("watching kubernetes revision={} discoverySelectors={}", k.revision(), k.discoverySelectors().size());
      if (k.meshConfigFromCluster()) {
        meshWatch = MeshConfigMapWatch.start(kubeClient, config.mesh().systemNamespace(), k.revision(),
            config.mesh(), kubeSource);
      }
    }

    NettyServerBuilder builder = NettyServerBuilder.forAddress(config.grpcAddr())
        .addService(ServerInterceptors.intercept(new AdsService(xds), AdsService.peerInterceptor()))
        .addService(ProtoReflectionServiceV1.newInstance())
        .permitKeepAliveTime(config.keepalive().interval().toMillis() / 2, TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(true)
        .keepAliveTime(config.keepalive().interval().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(config.keepalive().timeout().toMillis(), TimeUnit.MILLISECONDS)
        .maxInboundMessageSize(config.grpcLimits().maxRecvMsgSize())
        .maxConcurrentCallsPerConnection(config.grpcLimits().maxStreams());
    if (config.keepalive().maxConnectionAge() != null) {
      builder.maxConnectionAge(config.keepalive().maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
          .maxConnectionAgeGrace(10, TimeUnit.SECONDS);
    }
    grpc = builder.build().start();
    if (config.security() != null) {
      startSecurePort(config.security());
    }
    log.info("serving grpc=ADS(delta,sotw) addr={} types={}", grpcAddress(), resources.typeUrls());

    readinessWatcher = new Thread(this::awaitReady, "readiness");
    readinessWatcher.setDaemon(true);
    readinessWatcher.start();
  }

  private void startSecurePort(ServerConfig.Security sec) throws IOException {
    CaConfig caConfig = CaConfig.fromEnvironment(System.getenv(), config.mesh().systemNamespace(),
        config.mesh().clusterId(), config.mesh().trustDomain(), sec.caDir(), sec.jwksFile(),
        config.kubernetes() == null ? "" : config.kubernetes().revision());
    try {
      ca = SextantCa.start(caConfig, kubeClient, new SextantCa.Options(
          kubeClient == null ? new InputsPodIndex(inputs) : null, null, sec.rootCertFile(), leader));
    } catch (Exception e) {
      throw new IOException("CA failed to start: " + e.getMessage(), e);
    }
    secureGrpc = SecurePort.start(sec.secureGrpcAddr(), config, xds, ca);
    telemetry.addExposition(() -> ca.metrics().prometheusText());
    log.info("serving grpc=ADS(delta,sotw)+CA tls addr={} caMode={}", secureGrpcAddress(), ca.mode());
  }

  /** istiod's {@code control_plane.identifier}: which control plane answered, for istioctl. */
  private static String controlPlaneIdentifier() {
    String pod = System.getenv().getOrDefault("POD_NAME", "");
    if (pod.isEmpty()) {
      try {
        pod = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException e) {
        pod = "sextant";
      }
    }
    return "{\"Component\":\"istiod\",\"ID\":\"" + pod.replace("\"", "") + "\",\"Info\":{\"version\":\""
        + Version.TAG + "\",\"revision\":\"sextant\",\"golang_version\":\"java" + Runtime.version().feature()
        + "\",\"status\":\"Clean\",\"tag\":\"" + Version.TAG + "\"}}";
  }

  private void awaitReady() {
    long started = System.nanoTime();
    long lastLog = started;
    while (!Thread.currentThread().isInterrupted()) {
      if (krt.hasSynced() && resources.hasSynced()) {
        ready.set(true);
        log.info("ready after={}ms workloads={} services={} resources={}",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
            ambient.workloads().size(), ambient.services().size(),
            resources.type(TypeUrls.ADDRESS).size() + resources.type(TypeUrls.AUTHORIZATION).size());
        return;
      }
      if (System.nanoTime() - lastLog > TimeUnit.SECONDS.toNanos(5)) {
        lastLog = System.nanoTime();
        log.info("waiting for sync: {}", krt.notSynced());
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  public boolean isReady() {
    return ready.get();
  }

  public Krt krt() {
    return krt;
  }

  /** The input collections; a harness or test may write them directly, beside the source. */
  public Inputs inputs() {
    return inputs;
  }

  public Ambient ambient() {
    return ambient;
  }

  public ResourceIndex resources() {
    return resources;
  }

  public Telemetry telemetry() {
    return telemetry;
  }

  public XdsServerContext xds() {
    return xds;
  }

  /** The {@code --configDir} source; null in Kubernetes mode. */
  public DirectorySource source() {
    return source;
  }

  /** The Kubernetes source; null with {@code --configDir}. */
  public KubernetesSource kubernetesSource() {
    return kubeSource;
  }

  public ServerConfig config() {
    return config;
  }

  public InetSocketAddress grpcAddress() {
    return grpc == null ? null : (InetSocketAddress) grpc.getListenSockets().get(0);
  }

  public InetSocketAddress secureGrpcAddress() {
    return secureGrpc == null ? null : (InetSocketAddress) secureGrpc.getListenSockets().get(0);
  }

  /** The CA, or null when the secure port is off. */
  public SextantCa ca() {
    return ca;
  }

  public InetSocketAddress httpAddress() {
    return http == null ? null : http.address();
  }

  public InetSocketAddress monitoringAddress() {
    return monitoring == null ? null : monitoring.address();
  }

  @Override
  public void close() {
    if (readinessWatcher != null) {
      readinessWatcher.interrupt();
    }
    if (secureGrpc != null) {
      secureGrpc.shutdown();
    }
    if (grpc != null) {
      // Refuse new streams and end the open ones cleanly, so clients reconnect elsewhere at once.
      xds.drain();
      grpc.shutdown();
      try {
        if (!grpc.awaitTermination(config.shutdownDuration().toMillis(), TimeUnit.MILLISECONDS)) {
          grpc.shutdownNow();
        }
      } catch (InterruptedException e) {
        grpc.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    if (source != null) {
      source.close();
    }
    if (leader instanceof LeaderElection election) {
      election.close();
    }
    if (statusWriter != null) {
      statusWriter.close();
    }
    if (meshWatch != null) {
      meshWatch.close();
    }
    if (kubeSource != null) {
      kubeSource.close();
    }
    if (ownsKubeClient) {
      kubeClient.close();
    }
    if (http != null) {
      http.close();
    }
    if (monitoring != null) {
      monitoring.close();
    }
    if (secureGrpc != null) {
      secureGrpc.shutdownNow();
    }
    if (ca != null) {
      ca.close();
    }
    xds.close();
    resources.close();
    krt.close();
  }
}
