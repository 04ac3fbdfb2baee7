package dev.sextant.ca.bench;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.sextant.api.ca.IstioCertificateRequest;
import dev.sextant.api.ca.IstioCertificateResponse;
import dev.sextant.api.ca.IstioCertificateServiceGrpc;
import dev.sextant.ca.CaMetrics;
import dev.sextant.ca.CertificateAuthority;
import dev.sextant.ca.Crypto;
import dev.sextant.ca.KeyCertBundle;
import dev.sextant.ca.RootStore;
import dev.sextant.ca.SelfSignedRoots;
import dev.sextant.ca.TestPki;
import dev.sextant.ca.authn.Authenticators;
import dev.sextant.ca.authn.ClientCertAuthenticator;
import dev.sextant.ca.authn.JwksTokenVerifier;
import dev.sextant.ca.authn.KubeJwtAuthenticator;
import dev.sextant.ca.authn.TestTokens;
import dev.sextant.ca.authz.NodeAuthorizer;
import dev.sextant.ca.authz.PodIndex;
import dev.sextant.ca.grpc.AuthInterceptor;
import dev.sextant.ca.grpc.CertificateService;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scenario S5 (CA burst) without JMH: 200 fake ztunnels x 8 concurrent CSRs, 20,000 CSRs (200
 * nodes x 100 service accounts), each authenticated by a locally verified, cached JWT and
 * checked by the node authorizer, through {@code CreateCertificate} over in-process gRPC with a
 * 2-thread server executor. Then, in the same JVM, the raw ceiling: one ECDSA P-256 verify (the
 * CSR) plus one CA signature per operation on 2 threads.
 *
 * <p>Run: {@code java -cp <test classpath> dev.sextant.ca.bench.S5Throughput [EC|RSA]}. Timing
 * lives here, never in a test assertion.
 */
public final class S5Throughput {
  static final int NODES = 200;
  static final int SERVICE_ACCOUNTS = 100;
  static final int CONCURRENCY = 8;
  static final int THREADS = 2;

  public static void main(String[] args) throws Exception {
    Crypto.KeyType type = args.length > 0 && args[0].equalsIgnoreCase("RSA") ? Crypto.KeyType.RSA : Crypto.KeyType.EC_P256;
    Clock clock = Clock.systemUTC();
    RootStore.StoredRoot root = SelfSignedRoots.generate("cluster.local", Duration.ofDays(3650), type, 2048, clock);
    KeyCertBundle bundle = KeyCertBundle.verified(root.caCertPem(), root.caKeyPem(), "", root.caCertPem());
    CertificateAuthority ca = new CertificateAuthority(bundle, Duration.ofHours(24), Duration.ofHours(2160),
        CertificateAuthority.CsrPolicy.defaults(), clock);

    TestTokens issuer = new TestTokens("k1");
    KubeJwtAuthenticator jwt = new KubeJwtAuthenticator(KubeJwtAuthenticator.Options.of("Kubernetes",
        List.of("istio-ca")), () -> "cluster.local", null, null,
        new JwksTokenVerifier(Set.of(TestTokens.ISSUER), () -> issuer.jwks(), clock), null, clock);
    PodIndex pods = new PodIndex() {
      @Override
      public Optional<PodRef> pod(String namespace, String name) {
        return Optional.of(new PodRef(namespace, name, "uid-" + name, "ztunnel", "node-" + name.substring(8)));
      }

      @Override
      public boolean anyOn(String namespace, String serviceAccount, String node) {
        return true;
      }

      @Override
      public boolean hasSynced() {
        return true;
      }
    };
    NodeAuthorizer authz = new NodeAuthorizer(NodeAuthorizer.parseTrusted(List.of("istio-system/ztunnel")),
        java.util.Map.of("Kubernetes", pods), () -> "cluster.local", Set.of());
    CaMetrics metrics = new CaMetrics(clock);
    CertificateService service = new CertificateService(ca,
        new Authenticators(List.of(new ClientCertAuthenticator(), jwt), true, true), authz, metrics);

    ExecutorService serverPool = Executors.newFixedThreadPool(THREADS);
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).executor(serverPool)
        .addService(ServerInterceptors.intercept(service, AuthInterceptor.instance())).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();

    // one CSR per service account (ztunnel makes a fresh key per request; the server's work is the same)
    List<String> identities = new ArrayList<>();
    List<String> csrs = new ArrayList<>();
    for (int i = 0; i < SERVICE_ACCOUNTS; i++) {
      String id = "spiffe://cluster.local/ns/ns-" + (i % 10) + "/sa/sa-" + i;
      identities.add(id);
      csrs.add(TestPki.csr(TestPki.ec(), id));
    }
    List<IstioCertificateServiceGrpc.IstioCertificateServiceStub> ztunnels = new ArrayList<>();
    for (int n = 0; n < NODES; n++) {
      Metadata h = new Metadata();
      String token = issuer.token(TestTokens.ISSUER, List.of("istio-ca"), "istio-system", "ztunnel",
          "ztunnel-" + n, "uid-ztunnel-" + n, Instant.now().plus(Duration.ofHours(12)));
      h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      h.put(Metadata.Key.of("clusterid", Metadata.ASCII_STRING_MARSHALLER), "Kubernetes");
      ztunnels.add(IstioCertificateServiceGrpc.newStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h)));
    }

    System.out.printf(Locale.ROOT, "S5 CA burst: %s CA, %d nodes x %d service accounts, %d in flight per node, "
        + "%d server threads, JDK %s, %d cores%n", type, NODES, SERVICE_ACCOUNTS, CONCURRENCY, THREADS,
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
    burst(ztunnels, csrs, identities, 2_000); // warm-up: JIT, token cache
    long errorsBefore = metrics.csrCount() - metrics.issuedCount();
    Result r = burst(ztunnels, csrs, identities, NODES * SERVICE_ACCOUNTS);
    long errors = metrics.csrCount() - metrics.issuedCount() - errorsBefore;
    System.out.printf(Locale.ROOT, "end-to-end: %d certs in %.2f s = %.0f certs/s, p50 %.1f ms, p99 %.1f ms, "
        + "errors %d%n", r.count, r.seconds, r.count / r.seconds, r.p50, r.p99, errors);

    channel.shutdownNow();
    server.shutdownNow();
    serverPool.shutdownNow();

    rawSignVerify(bundle, 1.0); // warm-up
    double raw = rawSignVerify(bundle, 3.0);
    System.out.printf(Locale.ROOT, "raw sign+verify (%d threads, BC, CSR verify + CA sign): %.0f ops/s%n", THREADS, raw);
    System.out.printf(Locale.ROOT, "ratio end-to-end / raw: %.0f%%%n", 100 * (r.count / r.seconds) / raw);
  }

  record Result(int count, double seconds, double p50, double p99) {}

  static Result burst(List<IstioCertificateServiceGrpc.IstioCertificateServiceStub> ztunnels, List<String> csrs,
      List<String> identities, int total) throws InterruptedException {
    Semaphore[] slots = new Semaphore[ztunnels.size()];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = new Semaphore(CONCURRENCY);
    }
    CountDownLatch done = new CountDownLatch(total);
    long[] latencies = new long[total];
    AtomicLong failures = new AtomicLong();
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      int node = i % ztunnels.size();
      int sa = (i / ztunnels.size()) % csrs.size();
      slots[node].acquire();
      IstioCertificateRequest req = IstioCertificateRequest.newBuilder().setCsr(csrs.get(sa)).setValidityDuration(86400)
          .setMetadata(Struct.newBuilder().putFields("ImpersonatedIdentity",
              Value.newBuilder().setStringValue(identities.get(sa)).build())).build();
      long t0 = System.nanoTime();
      int index = i;
      ztunnels.get(node).createCertificate(req, new StreamObserver<IstioCertificateResponse>() {
        @Override
        public void onNext(IstioCertificateResponse value) {}

        @Override
        public void onError(Throwable t) {
          failures.incrementAndGet();
          finish();
        }

        @Override
        public void onCompleted() {
          finish();
        }

        private void finish() {
          latencies[index] = System.nanoTime() - t0;
          slots[node].release();
          done.countDown();
        }
      });
    }
    done.await();
    double seconds = (System.nanoTime() - start) / 1e9;
    java.util.Arrays.sort(latencies);
    if (failures.get() > 0) {
      System.out.println("failures: " + failures.get());
    }
    return new Result(total, seconds, latencies[total / 2] / 1e6, latencies[(int) (total * 0.99)] / 1e6);
  }

  /** One ECDSA P-256 verify (a CSR's) plus one signature with the CA key, per op, on THREADS threads. */
  static double rawSignVerify(KeyCertBundle bundle, double seconds) throws Exception {
    KeyPair workload = TestPki.ec();
    byte[] msg = new byte[300];
    Signature s0 = Signature.getInstance("SHA256withECDSA", Crypto.BC);
    s0.initSign(workload.getPrivate());
    s0.update(msg);
    byte[] csrSig = s0.sign();
    PrivateKey caKey = dev.sextant.ca.Pem.privateKey(caKeyPem(bundle));
    String caAlg = caKey.getAlgorithm().startsWith("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    PublicKey wpub = workload.getPublic();
    AtomicLong ops = new AtomicLong();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    Thread[] threads = new Thread[THREADS];
    for (int t = 0; t < THREADS; t++) {
      threads[t] = new Thread(() -> {
        java.security.SecureRandom random = new java.security.SecureRandom();
        try {
          Signature v = Signature.getInstance("SHA256withECDSA", Crypto.BC);
          Signature s = Signature.getInstance(caAlg, Crypto.BC);
          long n = 0;
          while (System.nanoTime() < end) {
            v.initVerify(wpub);
            v.update(msg);
            if (!v.verify(csrSig)) {
              throw new IllegalStateException();
            }
            s.initSign(caKey, random);
            s.update(msg);
            s.sign();
            n++;
          }
          ops.addAndGet(n);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    return ops.get() / seconds;
  }

  private static String caKeyPem(KeyCertBundle b) throws Exception {
    java.lang.reflect.Method m = KeyCertBundle.class.getDeclaredMethod("keyPem");
    m.setAccessible(true);
    return (String) m.invoke(b);
  }
}
