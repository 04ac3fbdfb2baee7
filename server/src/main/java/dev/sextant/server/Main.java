package dev.sextant.server;

import dev.sextant.model.MeshSettings;
import dev.sextant.server.xds.XdsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar sextant.jar [discovery] [--configDir DIR | --kubeconfig FILE] ...}: istiod's
 * command line, Sextant's control plane; without {@code --configDir} it watches a cluster. Exit
 * codes: 0 after a clean shutdown, 1 when startup fails (no API server answering included), 2 for
 * a bad command line.
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    Flags flags;
    ServerConfig config;
    try {
      flags = Flags.parse(args);
      if (flags.command.equals("help")) {
        System.out.print(Flags.usage());
        return 0;
      }
      if (flags.command.equals("version")) {
        System.out.println(Version.text());
        return 0;
      }
      Logging.configure(
          flags.get("log_output_level"), Boolean.parseBoolean(flags.get("log_as_json")));
      config = config(flags);
    } catch (Flags.UsageException e) {
      System.err.println("sextant: " + e.getMessage());
      System.err.println("Run 'java -jar sextant.jar --help' for usage.");
      return 2;
    }
    SextantServer server;
    try {
      server = SextantServer.start(config);
    } catch (Exception e) {
      LoggerFactory.getLogger(Main.class).error("startup failed: {}", e.getMessage(), e);
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LoggerFactory.getLogger(Main.class).info("shutting down");
      server.close();
      stopped.countDown();
    }, "shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  static ServerConfig config(Flags flags) throws Flags.UsageException {
    String dir = flags.get("configDir");
    Path configDir = dir.isEmpty() ? null : Path.of(dir);
    if (configDir != null && !configDir.toFile().isDirectory()) {
      throw new Flags.UsageException("--configDir " + dir + " is not a directory");
    }
    String kubeconfig = flags.get("kubeconfig");
    if (configDir == null && !kubeconfig.isEmpty() && !Path.of(kubeconfig).toFile().isFile()) {
      throw new Flags.UsageException("--kubeconfig " + kubeconfig + " is not a file");
    }
    MeshSettings mesh = MeshSettings.defaults()
        .withClusterId(flags.get("clusterID"))
        .withDomainSuffix(flags.get("domain"))
        .withSystemNamespace(flags.get("namespace"));
    Path meshFile = Path.of(flags.get("meshConfig"));
    MeshConfigFile.MeshConfig meshConfig = MeshConfigFile.read(meshFile, mesh);
    ServerConfig.Kubernetes kubernetes = configDir != null ? null : new ServerConfig.Kubernetes(
        kubeconfig, null, flags.get("revision"), meshConfig.discoverySelectors(), !meshFile.toFile().exists());
    Duration interval = flags.duration("keepaliveInterval");
    Duration timeout = flags.duration("keepaliveTimeout");
    Duration maxAge = flags.duration("keepaliveMaxServerConnectionAge");
    Duration poll = flags.duration("configDirPollInterval");
    Duration shutdown = flags.duration("shutdownDuration");
    if (interval == null || timeout == null || poll == null || shutdown == null) {
      throw new Flags.UsageException("keepalive, poll and shutdown durations must not be empty");
    }
    var secure = flags.address("secureGRPCAddr");
    String jwks = flags.get("jwksFile");
    if (!jwks.isEmpty() && !Path.of(jwks).toFile().isFile()) {
      throw new Flags.UsageException("--jwksFile " + jwks + " is not a file");
    }
    Path caDir = Path.of(flags.get("caDir"));
    ServerConfig.Security security = secure == null ? null : new ServerConfig.Security(secure,
        configDir == null ? null : caDir, jwks.isEmpty() ? null : Path.of(jwks),
        configDir == null ? null : caDir.resolveSibling("root-cert.pem"), tlsFiles(flags));
    return new ServerConfig(
        configDir,
        flags.address("grpcAddr"),
        flags.address("httpAddr"),
        flags.address("monitoringAddr"),
        meshConfig.settings(),
        new ServerConfig.Keepalive(interval, timeout, maxAge),
        poll,
        shutdown,
        XdsOptions.defaults(),
        kubernetes,
        security);
  }

  /**
   * The secure port's certificate from files when all three of {@code --tlsCertFile},
   * {@code --tlsKeyFile} and {@code --caCertFile} are given (istiod's rule: fewer are ignored, with
   * a warning here; each given must be a readable file); without the flags, istiod's well-known
   * mount (istio-csr, cert-manager): {@code ./var/run/secrets/istiod/tls/tls.crt} and
   * {@code tls.key} with {@code tls/ca.crt} or else {@code ./var/run/secrets/istiod/ca/root-cert.pem}.
   */
  static ServerConfig.TlsFiles tlsFiles(Flags flags) throws Flags.UsageException {
    return tlsFiles(flags, Path.of("."));
  }

  static ServerConfig.TlsFiles tlsFiles(Flags flags, Path root) throws Flags.UsageException {
    String cert = flags.get("tlsCertFile");
    String key = flags.get("tlsKeyFile");
    String ca = flags.get("caCertFile");
    if (cert.isEmpty() && key.isEmpty() && ca.isEmpty()) {
      return wellKnownTlsFiles(root);
    }
    if (cert.isEmpty() || key.isEmpty() || ca.isEmpty()) {
      LoggerFactory.getLogger(Main.class).warn("--tlsCertFile, --tlsKeyFile and --caCertFile are used only "
          + "together; serving the CA-issued certificate");
      return null;
    }
    for (String f : List.of(cert, key, ca)) {
      if (!Files.isReadable(Path.of(f)) || Files.isDirectory(Path.of(f))) {
        throw new Flags.UsageException(f + " is not a readable file");
      }
    }
    return new ServerConfig.TlsFiles(Path.of(cert), Path.of(key), Path.of(ca));
  }

  private static ServerConfig.TlsFiles wellKnownTlsFiles(Path root) {
    Path tls = root.resolve("var/run/secrets/istiod/tls");
    Path cert = tls.resolve("tls.crt");
    Path key = tls.resolve("tls.key");
    if (!Files.isRegularFile(cert) || !Files.isRegularFile(key)) {
      return null;
    }
    for (Path ca : List.of(tls.resolve("ca.crt"), root.resolve("var/run/secrets/istiod/ca/root-cert.pem"))) {
      if (Files.isRegularFile(ca)) {
        return new ServerConfig.TlsFiles(cert, key, ca);
      }
    }
    return null;
  }
}
