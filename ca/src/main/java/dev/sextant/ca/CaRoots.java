package dev.sextant.ca;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the signing root comes from and how it changes: the plugged-in CA or the self-signed root,
 * chosen and loaded at start-up, then rotated or reloaded while running.
 *
 * <p>Model (istio/istio {@code pilot/pkg/bootstrap/istio_ca.go} {@code createIstioCA},
 * {@code security/pkg/pki/ca/ca.go}, {@code selfsignedcarootcertrotator.go}):
 * <ol>
 *   <li>A complete plugged-in set in {@code ROOT_CA_DIR} (or, in Kubernetes mode, in the
 *       {@code cacerts} Secret) wins, unless it is {@code istio-generated} and
 *       {@code USE_CACERTS_FOR_SELF_SIGNED_CA} is on. A partial set is fatal.
 *   <li>Otherwise the self-signed root: loaded from its {@link RootStore} ({@code istio-ca-secret},
 *       or {@code cacerts} with {@code USE_CACERTS_FOR_SELF_SIGNED_CA}, or {@code --caDir}) exactly
 *       as stored, whoever wrote it; created if absent (EC P-256 by default, RSA selectable);
 *       root bundle = the root plus {@code ROOT_CA_DIR/root-cert.pem} if that exists.
 * </ol>
 *
 * <p>Changes: the self-signed root is checked every {@code CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL}
 * and re-issued with the same key and subject once inside the grace period; a root rotated by a
 * peer replica is picked up. A plugged-in set is polled; a changed root bundle is accepted only
 * with {@code ISTIO_MULTIROOT_MESH} and a subset relation, otherwise the whole change is ignored.
 *
 * <p>Failure: an expired or unverifiable stored root stops start-up (istiod retries it for 20
 * minutes, to the same end). A failed rotation write changes nothing; a failed swap after the
 * write rolls the store back.
 *
 * <p>Threading: start-up on the caller's thread; afterwards every check runs on one scheduler
 * thread, {@code ca-roots}.
 */
public final class CaRoots implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CaRoots.class);
  static final Duration PLUGGED_POLL = Duration.ofSeconds(2);

  /** Which kind of CA is signing. */
  public enum Mode {
    PLUGGED,
    SELF_SIGNED
  }

  /** A source of the plugged-in set, polled for changes. */
  interface PluggedSource {
    Optional<PluggedCa> read() throws IOException;
  }

  private final CaConfig config;
  private final Mode mode;
  private final RootStore store;
  private final PluggedSource plugged;
  private final CertificateAuthority ca;
  private final CaMetrics metrics;
  private final Clock clock;
  private ScheduledExecutorService scheduler;
  private String lastPluggedFingerprint;

  private CaRoots(CaConfig config, Mode mode, RootStore store, PluggedSource plugged, CertificateAuthority ca,
      CaMetrics metrics, Clock clock, String pluggedFingerprint) {
    this.config = config;
    this.mode = mode;
    this.store = store;
    this.plugged = plugged;
    this.ca = ca;
    this.metrics = metrics;
    this.clock = clock;
    this.lastPluggedFingerprint = pluggedFingerprint;
  }

  /**
   * Chooses and loads the signing root.
   *
   * @param client the Kubernetes client, or null in {@code --configDir} mode
   */
  public static CaRoots load(CaConfig config, KubernetesClient client, CaMetrics metrics, Clock clock)
      throws IOException, GeneralSecurityException {
    CaConfig.Roots r = config.roots();
    PluggedSource source = () -> {
      Optional<PluggedCa> fromDir = PluggedCa.fromDirectory(r.rootCaDir());
      if (fromDir.isPresent() || client == null) {
        return fromDir;
      }
      Secret s = getSecret(client, config.namespace(), SecretRootStore.CACERTS_SECRET);
      return s == null ? Optional.empty() : PluggedCa.fromSecret(s);
    };
    Optional<PluggedCa> found = source.read();
    boolean selfSigned = found.isEmpty() || (r.useCacertsForSelfSignedCa() && found.get().istioGenerated());
    if (!selfSigned) {
      PluggedCa p = found.get();
      KeyCertBundle bundle;
      try {
        bundle = KeyCertBundle.verified(p.signingCert(), p.signingKey(), p.certChain(), p.rootCert(), clock.instant());
      } catch (GeneralSecurityException e) {
        throw new GeneralSecurityException("failed to create an istiod CA: failed to create CA KeyCertBundle ("
            + e.getMessage() + ")", e);
      }
      if (bundle.cert().getBasicConstraints() < 0) {
        throw new GeneralSecurityException(
            "failed to create an istiod CA: certificate is not authorized to sign other certificates");
      }
      log.info("Use local CA certificate: plugged-in CA");
      CertificateAuthority ca = new CertificateAuthority(bundle, config.signing().defaultCertTtl(),
          config.signing().maxCertTtl(), config.signing().csrPolicy(), clock);
      metrics.recordExpiry(bundle);
      return new CaRoots(config, Mode.PLUGGED, null, source, ca, metrics, clock, p.fingerprint());
    }

    RootStore store = selfSignedStore(config, client);
    RootStore.StoredRoot root = loadOrCreate(config, store, clock);
    KeyCertBundle bundle = selfSignedBundle(root, r.rootCaDir(), clock);
    log.info("Using self-signed root from {}: {}", store.describe(), bundle.cert().getSubjectX500Principal());
    CertificateAuthority ca = new CertificateAuthority(bundle, config.signing().defaultCertTtl(),
        config.signing().maxCertTtl(), config.signing().csrPolicy(), clock);
    metrics.recordExpiry(bundle);
    return new CaRoots(config, Mode.SELF_SIGNED, store, null, ca, metrics, clock, null);
  }

  private static RootStore selfSignedStore(CaConfig config, KubernetesClient client) throws IOException {
    if (client != null) {
      String name = SecretRootStore.ISTIO_CA_SECRET;
      if (config.roots().useCacertsForSelfSignedCa()
          && getSecret(client, config.namespace(), SecretRootStore.ISTIO_CA_SECRET) == null) {
        // istio-ca-secret is always preferred; cacerts is used (and created) only without it
        name = SecretRootStore.CACERTS_SECRET;
      }
      return new SecretRootStore(client, config.namespace(), name);
    }
    return config.roots().caDir() == null ? new MemoryRootStore() : new DirectoryRootStore(config.roots().caDir());
  }

  private static RootStore.StoredRoot loadOrCreate(CaConfig config, RootStore store, Clock clock)
      throws IOException, GeneralSecurityException {
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        Optional<RootStore.StoredRoot> existing = store.load();
        if (existing.isPresent()) {
          log.info("Load signing key and cert from existing {}", store.describe());
          return existing.get();
        }
        log.info("CA root not found in {}, will create one ({})", store.describe(), config.roots().keyType());
        RootStore.StoredRoot fresh = SelfSignedRoots.generate(config.trustDomain(),
            config.roots().selfSignedCaCertTtl(), config.roots().keyType(), config.roots().rsaKeySize(), clock);
        if (store.create(fresh)) {
          return fresh;
        }
        log.info("{} was created by another replica meanwhile; loading it", store.describe());
      } catch (IOException e) {
        last = e;
        log.warn("cannot load or create the CA root (attempt {}): {}", attempt + 1, e.getMessage());
        sleep(Duration.ofMillis(200L << attempt));
      }
    }
    throw last != null ? last : new IOException("cannot load or create the CA root in " + store.describe());
  }

  private static KeyCertBundle selfSignedBundle(RootStore.StoredRoot root, Path rootCaDir, Clock clock)
      throws GeneralSecurityException, IOException {
    String bundlePem = appendRootCerts(root.caCertPem(), rootCaDir);
    try {
      return KeyCertBundle.verified(root.caCertPem(), root.caKeyPem(), "", bundlePem, clock.instant());
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException("failed to create CA KeyCertBundle (" + e.getMessage() + ")", e);
    }
  }

  /** istiod's {@code AppendRootCerts}: the cert, ending in one newline, then the extra roots file. */
  static String appendRootCerts(String certPem, Path rootCaDir) throws IOException {
    Path extra = rootCaDir == null ? null : rootCaDir.resolve(RootStore.ROOT_CERT);
    String base = certPem.isEmpty() ? "" : (certPem.endsWith("\n") ? certPem : certPem + "\n");
    if (extra == null || !Files.isRegularFile(extra)) {
      return base;
    }
    return base + Files.readString(extra, StandardCharsets.UTF_8);
  }

  private static Secret getSecret(KubernetesClient client, String ns, String name) throws IOException {
    try {
      return client.secrets().inNamespace(ns).withName(name).get();
    } catch (KubernetesClientException e) {
      throw new IOException("cannot read Secret " + ns + "/" + name + ": " + e.getMessage(), e);
    }
  }

  /** Starts the root rotator (self-signed) or the plugged-in poll. */
  public synchronized void start() {
    if (scheduler != null) {
      return;
    }
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ca-roots");
      t.setDaemon(true);
      return t;
    });
    if (mode == Mode.SELF_SIGNED) {
      Duration interval = config.roots().rootCheckInterval();
      if (interval.isZero() || interval.isNegative()) {
        log.info("self-signed root rotation disabled (CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL={})", interval);
        return;
      }
      long delay = interval.toMillis();
      if (config.roots().jitter()) {
        delay = ThreadLocalRandom.current().nextLong(Math.max(1, interval.toSeconds())) * 1000;
      }
      scheduler.scheduleWithFixedDelay(this::checkAndRotateSafely, delay, interval.toMillis(), TimeUnit.MILLISECONDS);
    } else {
      scheduler.scheduleWithFixedDelay(this::reloadPluggedSafely, PLUGGED_POLL.toMillis(), PLUGGED_POLL.toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  public Mode mode() {
    return mode;
  }

  public CertificateAuthority authority() {
    return ca;
  }

  /** The current root bundle PEM (one or several roots): the ConfigMap content. */
  public String rootCertPem() {
    return ca.bundle().rootCertPem();
  }

  private void checkAndRotateSafely() {
    try {
      checkAndRotate();
    } catch (RuntimeException e) {
      log.error("root cert check failed", e);
    }
  }

  /**
   * One rotator tick: rotate inside the grace period (same key, subject and SKID), or pick up a
   * root another replica wrote. Returns what it did, for tests and logs.
   */
  synchronized String checkAndRotate() {
    if (mode != Mode.SELF_SIGNED) {
      return "not self-signed";
    }
    RootStore.StoredRoot stored;
    try {
      stored = store.load().orElse(null);
    } catch (IOException e) {
      log.error("Fail to load CA root from {} ({}), skip cert rotation job", store.describe(), e.getMessage());
      return "load failed";
    }
    if (stored == null) {
      log.error("CA root in {} is gone, skip cert rotation job", store.describe());
      return "missing";
    }
    Duration wait;
    try {
      X509Certificate cert = Pem.certificate(stored.caCertPem());
      wait = SelfSignedRoots.waitTime(cert, config.roots().gracePercentile(), clock.instant());
    } catch (GeneralSecurityException e) {
      wait = Duration.ZERO;
    }
    if (!wait.isZero()) {
      if (stored.caCertPem().equals(ca.bundle().certPem())) {
        return "unchanged";
      }
      log.warn("CA cert in memory does not match {}; reloading it", store.describe());
      try {
        swap(selfSignedBundle(stored, config.roots().rootCaDir(), clock));
        return "reloaded";
      } catch (GeneralSecurityException | IOException e) {
        log.error("failed to reload root cert ({})", e.getMessage());
        return "reload failed";
      }
    }
    log.info("Refresh root certificate: inside the grace period or unreadable");
    RootStore.StoredRoot fresh;
    try {
      fresh = SelfSignedRoots.reissue(stored, config.roots().selfSignedCaCertTtl(), clock);
      store.update(fresh);
    } catch (GeneralSecurityException | IOException e) {
      log.error("Failed to roll forward root certificate ({}); abort new root certificate", e.getMessage());
      return "rotation failed";
    }
    try {
      swap(selfSignedBundle(fresh, config.roots().rootCaDir(), clock));
    } catch (GeneralSecurityException | IOException e) {
      log.error("failed to update CA KeyCertBundle ({}); rolling the stored root back", e.getMessage());
      try {
        store.update(stored);
      } catch (IOException rollback) {
        log.error("Failed to roll backward root certificate ({})", rollback.getMessage());
      }
      return "rolled back";
    }
    log.info("Root certificate rotation is completed successfully");
    return "rotated";
  }

  private void reloadPluggedSafely() {
    try {
      reloadPlugged();
    } catch (RuntimeException e) {
      log.error("plugged-in CA reload failed", e);
    }
  }

  /**
   * One poll of the plugged-in set: reloads it if anything changed, under istiod's root-change
   * rule. Returns what it did.
   */
  synchronized String reloadPlugged() {
    if (mode != Mode.PLUGGED) {
      return "not plugged";
    }
    Optional<PluggedCa> next;
    try {
      next = plugged.read();
    } catch (IOException e) {
      log.error("cannot read the plugged-in CA: {}", e.getMessage());
      return "read failed";
    }
    if (next.isEmpty() || next.get().fingerprint().equals(lastPluggedFingerprint)) {
      return "unchanged";
    }
    lastPluggedFingerprint = next.get().fingerprint();
    PluggedCa p = next.get();
    String current = ca.bundle().rootCertPem();
    if (!current.equals(p.rootCert())) {
      if (!config.roots().multiRootMesh()) {
        log.warn("Multi root is disabled, updating new ROOT-CA not supported");
        return "root change ignored";
      }
      if (!PluggedCa.subsetRelation(current, p.rootCert())) {
        log.warn("Updating new ROOT-CA not supported: neither bundle contains the other");
        return "root change ignored";
      }
      log.info("Updating new ROOT-CA");
    }
    try {
      swap(KeyCertBundle.verified(p.signingCert(), p.signingKey(), p.certChain(), p.rootCert(), clock.instant()));
    } catch (GeneralSecurityException e) {
      log.error("Failed to update new Plug-in CA certs: {}", e.getMessage());
      return "invalid";
    }
    log.info("Istiod has detected the newly added intermediate CA and updated its key and certs accordingly");
    return "reloaded";
  }

  private void swap(KeyCertBundle next) {
    metrics.recordExpiry(next);
    ca.update(next);
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }
}
