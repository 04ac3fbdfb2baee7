package dev.sextant.ca;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sextant's own serving certificate for the secure gRPC port, issued by its CA as istiod issues
 * its own ({@code GenKeyCert} in istio/istio {@code security/pkg/pki/ca/ca.go},
 * {@code initDNSCertsIstiod} in {@code pilot/pkg/bootstrap/certcontroller.go}).
 *
 * <p>Model: DNS SANs from {@link CaConfig#istiodDnsNames}; the workload leaf profile; requested
 * TTL {@code CITADEL_SELF_SIGNED_CA_CERT_TTL} without the max-TTL check, so in practice clamped
 * to the signing cert's expiry; key RSA-2048 for an RSA CA key, P-384 for a P-384 one, P-256
 * otherwise; served chain = leaf + the CA cert chain (self-signed: the leaf only).
 *
 * <p>Renewal: re-issued whenever the CA's root bundle changes (istiod does this too), and, beyond
 * istiod, at 80% of its lifetime. {@link #keyManager()} always hands out the current material, so
 * a TLS server built on it serves the new certificate on the next handshake while connections and
 * streams already open are untouched.
 *
 * <p>Threading: issuance runs on the {@code ca-serving-cert} thread or the caller of
 * {@link #renew()}; the current material is a volatile snapshot read from any thread.
 */
public final class ServingCertificate implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServingCertificate.class);
  static final double RENEW_AT = 0.8;

  /** One issued serving certificate with its key and the CA bundle that verifies it. */
  public record Material(List<X509Certificate> chain, PrivateKey key, String certChainPem, String keyPem,
      String caBundlePem) {
    public X509Certificate leaf() {
      return chain.get(0);
    }

    /** A name for this certificate: its serial number. */
    String alias() {
      return leaf().getSerialNumber().toString(16);
    }

    @Override
    public String toString() {
      return "Material[serial=" + alias() + ", notAfter=" + leaf().getNotAfter().toInstant() + "]";
    }
  }

  private final CertificateAuthority ca;
  private final List<String> dnsNames;
  private final Duration ttl;
  private final Clock clock;
  private final List<Consumer<Material>> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "ca-serving-cert");
    t.setDaemon(true);
    return t;
  });
  private volatile Material current;
  private volatile Material previous;
  private String issuedForRoots;
  private ScheduledFuture<?> renewal;

  /** Issues the first certificate at once; renews on root changes and at 80% of the lifetime. */
  public ServingCertificate(CertificateAuthority ca, List<String> dnsNames, Duration ttl, Clock clock)
      throws CaException {
    this.ca = ca;
    this.dnsNames = List.copyOf(dnsNames);
    this.ttl = ttl;
    this.clock = clock;
    renew();
    ca.addListener(b -> {
      if (!Objects.equals(b.rootCertPem(), issuedForRoots)) {
        scheduler.execute(this::renewSafely);
      }
    });
  }

  public Material current() {
    return current;
  }

  /** Called with every new certificate (after the first). */
  public void addListener(Consumer<Material> listener) {
    listeners.add(listener);
  }

  /** Issues a new certificate now. */
  public synchronized Material renew() throws CaException {
    KeyCertBundle b = ca.bundle();
    KeyPair pair;
    try {
      pair = keyFor(b.key());
    } catch (GeneralSecurityException e) {
      throw new CaException(CaError.CERT_GEN_ERROR, "cannot generate the serving key");
    }
    String chainPem = ca.signServing(pair.getPublic(), dnsNames, ttl);
    List<X509Certificate> chain;
    try {
      chain = Pem.certificates(chainPem);
    } catch (GeneralSecurityException e) {
      throw new CaException(CaError.CERT_GEN_ERROR, "cannot read the issued serving certificate");
    }
    Material m = new Material(List.copyOf(chain), pair.getPrivate(), chainPem, Pem.encodePrivateKey(pair),
        b.rootCertPem());
    boolean first = current == null;
    previous = current;
    current = m;
    issuedForRoots = b.rootCertPem();
    scheduleRenewal(m.leaf());
    log.info("issued serving certificate dns={} notAfter={}", dnsNames, m.leaf().getNotAfter().toInstant());
    if (!first) {
      for (Consumer<Material> l : listeners) {
        l.accept(m);
      }
    }
    return m;
  }

  private void scheduleRenewal(X509Certificate leaf) {
    if (renewal != null) {
      renewal.cancel(false);
    }
    Instant from = leaf.getNotBefore().toInstant();
    Instant to = leaf.getNotAfter().toInstant();
    Instant at = from.plusMillis((long) (Duration.between(from, to).toMillis() * RENEW_AT));
    long delay = Math.max(1_000, Duration.between(clock.instant(), at).toMillis());
    renewal = scheduler.schedule(this::renewSafely, delay, TimeUnit.MILLISECONDS);
  }

  /** When the current certificate will be renewed, at the latest. */
  public Instant renewalDue() {
    X509Certificate leaf = current.leaf();
    Instant from = leaf.getNotBefore().toInstant();
    return from.plusMillis((long) (Duration.between(from, leaf.getNotAfter().toInstant()).toMillis() * RENEW_AT));
  }

  private void renewSafely() {
    try {
      renew();
    } catch (CaException | RuntimeException e) {
      log.error("serving certificate renewal failed: {}; retrying in 60 s", e.getMessage());
      scheduler.schedule(this::renewSafely, 60, TimeUnit.SECONDS);
    }
  }

  static KeyPair keyFor(PrivateKey caKey) throws GeneralSecurityException {
    if (caKey instanceof RSAKey) {
      return Crypto.generate(Crypto.KeyType.RSA, 2048);
    }
    if (caKey instanceof ECKey ec && ec.getParams().getOrder().bitLength() == 384) {
      return Crypto.generateEc("secp384r1");
    }
    return Crypto.generateEc("secp256r1");
  }

  /**
   * A key manager that always presents the current certificate; for the TLS server of the secure
   * port. The alias names the certificate, so a handshake racing a renewal still gets a matching
   * chain and key.
   */
  public X509ExtendedKeyManager keyManager() {
    return new X509ExtendedKeyManager() {
      @Override
      public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
      }

      @Override
      public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
      }

      @Override
      public String[] getServerAliases(String keyType, Principal[] issuers) {
        return new String[] {current.alias()};
      }

      @Override
      public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return current.alias();
      }

      @Override
      public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return current.alias();
      }

      @Override
      public X509Certificate[] getCertificateChain(String alias) {
        Material m = byAlias(alias);
        return m == null ? null : m.chain().toArray(new X509Certificate[0]);
      }

      @Override
      public PrivateKey getPrivateKey(String alias) {
        Material m = byAlias(alias);
        return m == null ? null : m.key();
      }
    };
  }

  private Material byAlias(String alias) {
    Material c = current;
    if (c.alias().equals(alias)) {
      return c;
    }
    Material p = previous;
    return p != null && p.alias().equals(alias) ? p : null;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
