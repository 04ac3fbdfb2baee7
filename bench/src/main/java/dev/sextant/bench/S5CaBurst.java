package dev.sextant.bench;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sextant.api.ca.IstioCertificateRequest;
import dev.sextant.api.ca.IstioCertificateResponse;
import dev.sextant.api.ca.IstioCertificateServiceGrpc;
import dev.sextant.ca.CaConfig;
import dev.sextant.ca.Crypto;
import dev.sextant.ca.Pem;
import dev.sextant.ca.RootStore;
import dev.sextant.ca.SextantCa;
import dev.sextant.ca.authz.PodIndex;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * S5, CA burst (performance-anchors.md §6): nodes x service accounts CSRs from fake ztunnels, each
 * node with a fixed number in flight (ztunnel's 8), over TLS to Sextant's CA
 * ({@code IstioCertificateService}), each caller authenticated by a pod-bound service-account JWT
 * verified offline against a JWKS file (cached per token), each impersonated identity checked by
 * the node authorizer (that service account has a pod on the caller's node). Run with an EC P-256
 * CA and an RSA-2048 CA (istiod's default). Then a paced run at a fixed rate for its latency.
 *
 * <p>The CA is wired as the server wires it ({@link SextantCa} with local-mode options) and served
 * the way the secure port serves it (TLS 1.3/1.2 with the CA-issued serving certificate, client
 * certificates optional, the CA's auth interceptor); the secure port itself also carries ADS,
 * which this scenario does not use.
 *
 * <p>The floor: the raw signature work of one issuance with the same keys, on 1 and 2 threads:
 * decode the CSR's public key from its encoding and verify an ECDSA P-256 signature with it (a
 * real CSR always brings a key the CA has not seen, so the verifier's per-key precomputation is
 * never reused), then sign with the CA key as the CA loads it, on the CA's signature provider
 * ({@link Crypto#SIGNATURES}: native AWS-LC when it loads, else Bouncy Castle); and the same on
 * Bouncy Castle, the Java ceiling of performance-anchors.md §4.
 */
final class S5CaBurst {
  private S5CaBurst() {}

  static final String ISSUER = "https://kubernetes.default.svc.cluster.local";

  static Report run(BenchOptions.Params p, Meters meters, PrintStream log) throws Exception {
    Report rep = new Report("S5", "CA burst");
    int total = p.csrNodes() * p.csrAccounts();
    rep.condition("%,d nodes x %,d service accounts = %,d CSRs, %d in flight per node, TLS, JWT (offline JWKS, cached), "
        + "node authorizer; CA keys %s", p.csrNodes(), p.csrAccounts(), total, p.csrConcurrency(), p.caKeys());
    for (String keyType : p.caKeys()) {
      runOne(p, keyType, meters, log, rep);
    }
    return rep;
  }

  private static void runOne(BenchOptions.Params p, String keyType, Meters meters, PrintStream log, Report rep)
      throws Exception {
    try (Rig rig = Rig.start(p, keyType, log)) {
      int total = rig.total;
      rig.warm();
      log.printf("S5: %s CA: burst of %,d%n", keyType, total);
      Meters.Cpu cpu0 = meters.cpu();
      Burst b = rig.burst(total);
      Meters.Cpu cpu1 = meters.cpu();
      double rate = b.count() / b.seconds();
      double pacedRate = Math.min(1000, Math.max(1, rate / 2));
      int pacedCount = (int) Math.max(20, Math.min(total, pacedRate * 5));
      log.printf("S5: %s CA: paced %,d at %.0f/s%n", keyType, pacedCount, pacedRate);
      Burst paced = paced(rig.ztunnels, rig.requests, pacedCount, pacedRate, p.timeout());

      PrivateKey caKey = Pem.privateKey(Files.readString(rig.dir.resolve("ca").resolve(RootStore.CA_KEY)));
      log.printf("S5: %s CA: raw sign+verify floor (%s; Bouncy Castle)%n", keyType, Crypto.SIGNATURES.getName());
      rawSignVerify(caKey, rig.csrKeys.get(0), 1, 0.5, Crypto.SIGNATURES);
      double raw1 = rawSignVerify(caKey, rig.csrKeys.get(0), 1, 2.0, Crypto.SIGNATURES);
      double raw2 = rawSignVerify(caKey, rig.csrKeys.get(0), 2, 2.0, Crypto.SIGNATURES);
      double rawBc2 = raw2;
      if (Crypto.SIGNATURES != Crypto.BC) {
        rawSignVerify(caKey, rig.csrKeys.get(0), 1, 0.5, Crypto.BC);
        rawBc2 = rawSignVerify(caKey, rig.csrKeys.get(0), 2, 2.0, Crypto.BC);
      }

      String caKeyName = keyType.equals("RSA") ? "RSA-2048" : "EC P-256";
      rep.section(caKeyName + " CA, signatures by " + Crypto.SIGNATURES.getName());
      rep.row("end-to-end issuance rate (vs raw, 2 threads)", "certs/s", rate, raw2,
          keyType.equals("RSA") ? "≥ 1,200/s" : "≥ 3,000/s (≥ 60 % of raw)");
      if (Crypto.SIGNATURES != Crypto.BC) {
        rep.row("end-to-end (vs raw on Bouncy Castle, the anchors' ceiling)", "certs/s", rate, rawBc2, "");
      }
      rep.row("raw sign+verify, 1 thread", "ops/s", raw1, null, "");
      rep.row("burst drained", "s", b.seconds(), null, keyType.equals("RSA") ? "" : "20k in ≤ 8 s");
      rep.row("burst latency p50", "ms", b.p50(), null, "");
      rep.row("burst latency p99", "ms", b.p99(), null, "");
      rep.row("burst latency max", "ms", b.max(), null, "");
      rep.row(String.format(java.util.Locale.ROOT, "paced at %.0f/s: latency p50", pacedRate), "ms", paced.p50(),
          null, "");
      rep.row(String.format(java.util.Locale.ROOT, "paced at %.0f/s: latency p99", pacedRate), "ms", paced.p99(),
          null, pacedRate >= 1000 ? "≤ 50 ms at 1,000/s" : "(goal at 1,000/s: ≤ 50 ms)");
      double cpu = cpu1.seconds(Meters.Owner.SUT, cpu0);
      rep.row("Sextant CPU per certificate", "ms", cpu * 1000 / b.count(), 1000 / raw1, "");
      rep.row("errors", "count", b.errors() + paced.errors(), null, "0");
      rep.fact(keyType + "Errors", b.errors() + paced.errors());
      rep.fact(keyType + "Issued", b.count() - b.errors());
      if (b.errors() + paced.errors() > 0) {
        rep.problem("%s CA: %d requests failed, first: %s", keyType, b.errors() + paced.errors(),
            b.firstError() != null ? b.firstError() : paced.firstError());
      }
    }
  }

  /**
   * The CA as the secure port serves it, and its fake ztunnels: one TLS channel per node with a
   * pod-bound token, one CSR per service account. Also used by S1 {@code --with-csr} to run a
   * CSR burst beside the WDS churn.
   */
  static final class Rig implements AutoCloseable {
    final Path dir;
    final SextantCa ca;
    final Server server;
    final EventLoopGroup loop;
    final List<ManagedChannel> channels = new ArrayList<>();
    final List<IstioCertificateServiceGrpc.IstioCertificateServiceStub> ztunnels = new ArrayList<>();
    final List<KeyPair> csrKeys = new ArrayList<>();
    final List<IstioCertificateRequest> requests = new ArrayList<>();
    final int total;
    final int concurrency;
    final Duration timeout;

    private Rig(Path dir, SextantCa ca, Server server, EventLoopGroup loop, int total, int concurrency,
        Duration timeout) {
      this.dir = dir;
      this.ca = ca;
      this.server = server;
      this.loop = loop;
      this.total = total;
      this.concurrency = concurrency;
      this.timeout = timeout;
    }

    static Rig start(BenchOptions.Params p, String keyType, PrintStream log) throws Exception {
      Path dir = Files.createTempDirectory("sextant-bench-ca");
      RSAKey signingKey = new RSAKeyGenerator(2048).keyID("bench").generate();
      Path jwks = dir.resolve("jwks.json");
      Files.writeString(jwks, new JWKSet(signingKey.toPublicJWK()).toString());
      CaConfig config = CaConfig.fromEnvironment(Map.of(
              "CA_TRUSTED_NODE_ACCOUNTS", "istio-system/ztunnel",
              "SEXTANT_CA_KEY_TYPE", keyType,
              "ROOT_CA_DIR", dir.resolve("no-cacerts").toString()),
          "istio-system", "Kubernetes", "cluster.local", dir.resolve("ca"), jwks, "");
      int nodes = p.csrNodes();
      int accounts = p.csrAccounts();
      PodIndex pods = new PodIndex() {
        @Override
        public Optional<PodRef> pod(String namespace, String name) {
          if (namespace.equals("istio-system") && name.startsWith("ztunnel-node-")) {
            String node = name.substring("ztunnel-".length());
            return Optional.of(new PodRef(namespace, name, "ztunnel-uid-" + node, "ztunnel", node));
          }
          return Optional.empty();
        }

        @Override
        public boolean anyOn(String namespace, String serviceAccount, String node) {
          int a = Integer.parseInt(serviceAccount.substring(3));
          return a < accounts && namespace.equals(accountNamespace(a))
              && Integer.parseInt(node.substring(5)) < nodes;
        }

        @Override
        public boolean hasSynced() {
          return true;
        }
      };
      log.printf("S5: %s CA: starting, %,d CSRs%n", keyType, nodes * accounts);
      SextantCa ca = SextantCa.start(config, null, new SextantCa.Options(pods, null, dir.resolve("root-cert.pem")));
      SslContext serverTls = GrpcSslContexts.configure(SslContextBuilder.forServer(ca.servingCertificate().keyManager())
          .trustManager(new ByteArrayInputStream(ca.rootCertPem().getBytes(StandardCharsets.UTF_8)))
          .clientAuth(ClientAuth.OPTIONAL)
          .protocols("TLSv1.3", "TLSv1.2")).build();
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
          .sslContext(serverTls)
          .addService(ca.interceptedService())
          .executor(ca.executor())
          .build()
          .start();
      EventLoopGroup loop = Epoll.isAvailable()
          ? new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("bench-ca-client", true), EpollIoHandler.newFactory())
          : new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("bench-ca-client", true), NioIoHandler.newFactory());
      Rig rig = new Rig(dir, ca, server, loop, nodes * accounts, p.csrConcurrency(), p.timeout());
      List<ManagedChannel> channels = rig.channels;
      List<IstioCertificateServiceGrpc.IstioCertificateServiceStub> ztunnels = rig.ztunnels;
      List<KeyPair> csrKeys = rig.csrKeys;
      List<IstioCertificateRequest> requests = rig.requests;
      try {
        SslContext clientTls = GrpcSslContexts.forClient()
            .trustManager(new ByteArrayInputStream(ca.rootCertPem().getBytes(StandardCharsets.UTF_8))).build();
        InetSocketAddress address = (InetSocketAddress) server.getListenSockets().get(0);
        for (int n = 0; n < nodes; n++) {
          ManagedChannel ch = NettyChannelBuilder.forAddress(address).sslContext(clientTls)
              .overrideAuthority("istiod.istio-system.svc")
              .eventLoopGroup(loop).channelType(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class)
              .directExecutor().build();
          channels.add(ch);
          Metadata h = new Metadata();
          h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token(signingKey, n));
          h.put(Metadata.Key.of("clusterid", Metadata.ASCII_STRING_MARSHALLER), "Kubernetes");
          ztunnels.add(IstioCertificateServiceGrpc.newStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h)));
        }
        // ztunnel makes a fresh P-256 key per request; the server's work is the same for any, so one per account
        for (int a = 0; a < accounts; a++) {
          KeyPair k = ecKey();
          csrKeys.add(k);
          String id = "spiffe://cluster.local/ns/" + accountNamespace(a) + "/sa/sa-" + a;
          requests.add(IstioCertificateRequest.newBuilder().setCsr(csr(k, id)).setValidityDuration(86400)
              .setMetadata(Struct.newBuilder().putFields("ImpersonatedIdentity", Value.newBuilder().setStringValue(id).build()))
              .build());
        }
      } catch (Exception | Error e) {
        rig.close();
        throw e;
      }
      return rig;
    }

    /**
     * Warm-up (TLS sessions, token cache, JIT): a control plane's CA has been running for days when
     * a fleet-wide re-issue comes, so bursts of a fifth until at least 5 s have passed (at most 10
     * bursts); with less, the JIT compilers still take 10-40 % of the 2 cores during the measured
     * burst (perf, JDK 17).
     */
    void warm() throws InterruptedException {
      long warmUntil = System.nanoTime() + 5_000_000_000L;
      for (int round = 0; round < 10 && (round == 0 || System.nanoTime() < warmUntil); round++) {
        burst(Math.max(50, total / 5));
      }
    }

    Burst burst(int count) throws InterruptedException {
      return S5CaBurst.burst(ztunnels, requests, count, concurrency, timeout);
    }

    @Override
    public void close() throws InterruptedException {
      for (ManagedChannel ch : channels) {
        ch.shutdownNow();
      }
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      ca.close();
    }
  }

  static String accountNamespace(int account) {
    return "ns-" + account % 10;
  }

  /** A projected token of ztunnel's service account, bound to the ztunnel pod of node {@code n}. */
  static String token(RSAKey key, int node) throws Exception {
    Instant exp = Instant.now().plus(Duration.ofHours(1));
    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience(List.of("istio-ca"))
        .subject("system:serviceaccount:istio-system:ztunnel")
        .issueTime(Date.from(exp.minusSeconds(3600))).notBeforeTime(Date.from(exp.minusSeconds(3600)))
        .expirationTime(Date.from(exp))
        .claim("kubernetes.io", Map.of("namespace", "istio-system",
            "pod", Map.of("name", "ztunnel-node-" + node, "uid", "ztunnel-uid-node-" + node),
            "serviceaccount", Map.of("name", "ztunnel", "uid", "sa-uid-ztunnel")))
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  /**
   * A P-256 key as ztunnel makes one. Named-curve generation matters: Bouncy Castle keys made with
   * {@code initialize(256)} carry the curve as explicit parameters and take its generic arithmetic,
   * 5 to 7 times slower than the named curve's (measured here: verify 509 µs against 71 µs).
   */
  static KeyPair ecKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", Crypto.BC);
    g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }



  /** ztunnel's CSR: empty subject, one critical URI SAN, SHA256withECDSA. */
  static String csr(KeyPair key, String spiffeId) throws Exception {
    var b = new JcaPKCS10CertificationRequestBuilder(new X500Name(new org.bouncycastle.asn1.x500.RDN[0]), key.getPublic());
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(Extension.subjectAlternativeName, true,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)));
    b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
    byte[] der = b.build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(Crypto.BC).build(key.getPrivate()))
        .getEncoded();
    return Pem.encode("CERTIFICATE REQUEST", der);
  }

  record Burst(int count, double seconds, double p50, double p99, double max, long errors, String firstError) {}

  /** {@code total} requests, node i%n, account (i/n)%a, at most {@code concurrency} in flight per node. */
  static Burst burst(List<IstioCertificateServiceGrpc.IstioCertificateServiceStub> ztunnels,
      List<IstioCertificateRequest> requests, int total, int concurrency, Duration timeout) throws InterruptedException {
    Semaphore[] slots = new Semaphore[ztunnels.size()];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = new Semaphore(concurrency);
    }
    long[] latencies = new long[total];
    CountDownLatch done = new CountDownLatch(total);
    AtomicLong errors = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>();
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      int node = i % ztunnels.size();
      IstioCertificateRequest req = requests.get(i / ztunnels.size() % requests.size());
      slots[node].acquire();
      send(ztunnels.get(node), req, latencies, i, errors, firstError, () -> {
        slots[node].release();
        done.countDown();
      });
    }
    if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      errors.addAndGet(done.getCount());
      firstError.compareAndSet(null, done.getCount() + " requests unanswered after " + timeout);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Latencies.Summary s = Latencies.Summary.of(latencies);
    return new Burst(total, seconds, s.p50(), s.p99(), s.max(), errors.get(), firstError.get());
  }

  /** {@code count} requests at a fixed rate, open loop, spread over the nodes. */
  static Burst paced(List<IstioCertificateServiceGrpc.IstioCertificateServiceStub> ztunnels,
      List<IstioCertificateRequest> requests, int count, double perSecond, Duration timeout) throws InterruptedException {
    long[] latencies = new long[count];
    CountDownLatch done = new CountDownLatch(count);
    AtomicLong errors = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>();
    long interval = (long) (1e9 / perSecond);
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      LockSupport.parkNanos(start + interval * i - System.nanoTime());
      send(ztunnels.get(i % ztunnels.size()), requests.get(i % requests.size()), latencies, i, errors, firstError,
          done::countDown);
    }
    if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      errors.addAndGet(done.getCount());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Latencies.Summary s = Latencies.Summary.of(latencies);
    return new Burst(count, seconds, s.p50(), s.p99(), s.max(), errors.get(), firstError.get());
  }

  private static void send(IstioCertificateServiceGrpc.IstioCertificateServiceStub stub, IstioCertificateRequest req,
      long[] latencies, int index, AtomicLong errors, AtomicReference<String> firstError, Runnable finished) {
    long t0 = System.nanoTime();
    stub.createCertificate(req, new StreamObserver<IstioCertificateResponse>() {
      private boolean ok;

      @Override
      public void onNext(IstioCertificateResponse value) {
        ok = value.getCertChainCount() > 0;
      }

      @Override
      public void onError(Throwable t) {
        errors.incrementAndGet();
        firstError.compareAndSet(null, io.grpc.Status.fromThrowable(t).toString());
        finish();
      }

      @Override
      public void onCompleted() {
        if (!ok) {
          errors.incrementAndGet();
          firstError.compareAndSet(null, "response without a certificate chain");
        }
        finish();
      }

      private void finish() {
        latencies[index] = System.nanoTime() - t0;
        finished.run();
      }
    });
  }

  /**
   * The crypto floor of one issuance: verify a CSR's ECDSA P-256 signature and sign with the CA key
   * (SHA256withECDSA or SHA256withRSA, Bouncy Castle), on {@code threads} threads; ops/s.
   */
  static double rawSignVerify(PrivateKey caKey, KeyPair csrKey, int threads, double seconds,
      java.security.Provider provider) throws Exception {
    PrivateKey signingKey = Crypto.forSigning(caKey, provider);
    byte[] msg = new byte[300];
    Signature s0 = Signature.getInstance("SHA256withECDSA", Crypto.BC);
    s0.initSign(csrKey.getPrivate());
    s0.update(msg);
    byte[] csrSig = s0.sign();
    String caAlg = caKey.getAlgorithm().startsWith("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    byte[] csrPubEncoded = csrKey.getPublic().getEncoded();
    AtomicLong ops = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      ts[t] = new Thread(() -> {
        SecureRandom random = new SecureRandom();
        try {
          Signature v = Signature.getInstance("SHA256withECDSA", provider);
          Signature s = Signature.getInstance(caAlg, provider);
          java.security.KeyFactory kf = java.security.KeyFactory.getInstance("EC", provider);
          long n = 0;
          while (System.nanoTime() < end) {
            v.initVerify(kf.generatePublic(new java.security.spec.X509EncodedKeySpec(csrPubEncoded)));
            v.update(msg);
            if (!v.verify(csrSig)) {
              throw new IllegalStateException("signature did not verify");
            }
            s.initSign(signingKey, random);
            s.update(msg);
            s.sign();
            n++;
          }
          ops.addAndGet(n);
        } catch (Exception e) {
          failure.set(e);
        }
      }, "bench-raw-" + t);
      ts[t].start();
    }
    for (Thread t : ts) {
      t.join();
    }
    if (failure.get() != null) {
      throw failure.get();
    }
    return ops.get() / seconds;
  }
}
