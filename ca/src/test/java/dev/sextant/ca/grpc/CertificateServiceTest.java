package dev.sextant.ca.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.sextant.api.ca.IstioCertificateRequest;
import dev.sextant.api.ca.IstioCertificateResponse;
import dev.sextant.api.ca.IstioCertificateServiceGrpc;
import dev.sextant.ca.CaError;
import dev.sextant.ca.CaMetrics;
import dev.sextant.ca.CertificateAuthority;
import dev.sextant.ca.KeyCertBundle;
import dev.sextant.ca.Pem;
import dev.sextant.ca.TestPki;
import dev.sextant.ca.authn.Authenticators;
import dev.sextant.ca.authn.ClientCertAuthenticator;
import dev.sextant.ca.authn.JwksTokenVerifier;
import dev.sextant.ca.authn.KubeJwtAuthenticator;
import dev.sextant.ca.authn.TestTokens;
import dev.sextant.ca.authz.NodeAuthorizer;
import dev.sextant.ca.authz.PodIndex;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code CreateCertificate} over gRPC (in-process transport, so {@code XDS_AUTH_PLAINTEXT=true}
 * stands in for TLS): ztunnel's impersonation flow, and every bad input mapped to its status code,
 * message and counter, with nothing leaked.
 */
class CertificateServiceTest {
  static final String BOOKINFO = "spiffe://cluster.local/ns/bookinfo/sa/reviews";
  static KeyPair rootKey;
  static X509Certificate root;
  static TestTokens issuer;

  final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  final Clock clock = Clock.fixed(now, ZoneOffset.UTC);
  CaMetrics metrics;
  Server server;
  ManagedChannel channel;
  KeyPair workload;

  /** ztunnel-abc on node-a; reviews on node-a; ratings on node-b. */
  static final PodIndex PODS = new PodIndex() {
    @Override
    public Optional<PodRef> pod(String namespace, String name) {
      return namespace.equals("istio-system") && name.equals("ztunnel-abc")
          ? Optional.of(new PodRef(namespace, name, "uid-z", "ztunnel", "node-a")) : Optional.empty();
    }

    @Override
    public boolean anyOn(String namespace, String serviceAccount, String node) {
      return Set.of("istio-system/ztunnel/node-a", "bookinfo/reviews/node-a", "bookinfo/ratings/node-b")
          .contains(namespace + "/" + serviceAccount + "/" + node);
    }

    @Override
    public boolean hasSynced() {
      return true;
    }
  };

  @BeforeAll
  static void keys() throws Exception {
    rootKey = TestPki.ec();
    root = TestPki.caCert("cluster.local", rootKey, null, null, Instant.now().minusSeconds(60), Duration.ofDays(365));
    issuer = new TestTokens("k1");
  }

  @BeforeEach
  void setUp() throws Exception {
    start(true, true);
    workload = TestPki.ec();
  }

  void start(boolean plaintextAuth, boolean withNodeAuthorizer) throws Exception {
    if (server != null) {
      tearDown();
    }
    metrics = new CaMetrics(clock);
    KeyCertBundle bundle = KeyCertBundle.verified(TestPki.pem(root), TestPki.keyPem(rootKey), "", TestPki.pem(root));
    CertificateAuthority ca = new CertificateAuthority(bundle, Duration.ofHours(24), Duration.ofHours(2160),
        CertificateAuthority.CsrPolicy.defaults(), clock);
    KubeJwtAuthenticator jwt = new KubeJwtAuthenticator(KubeJwtAuthenticator.Options.of("Kubernetes",
        List.of("istio-ca")), () -> "cluster.local", null, null,
        new JwksTokenVerifier(Set.of(TestTokens.ISSUER), () -> issuer.jwks(), clock), null, clock);
    Authenticators authn = new Authenticators(List.of(new ClientCertAuthenticator(), jwt), true, plaintextAuth);
    NodeAuthorizer authz = withNodeAuthorizer ? new NodeAuthorizer(
        NodeAuthorizer.parseTrusted(List.of("istio-system/ztunnel")), Map.of("Kubernetes", PODS),
        () -> "cluster.local", Set.of()) : null;
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(new CertificateService(ca, authn, authz, metrics),
            AuthInterceptor.instance()))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().maxInboundMessageSize(16 << 20).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    channel.shutdownNow();
    server.shutdownNow();
    server = null;
  }

  IstioCertificateResponse call(String token, IstioCertificateRequest request, String... clusterIds) {
    Metadata h = new Metadata();
    if (token != null) {
      h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    }
    for (String c : clusterIds) {
      h.put(Metadata.Key.of("clusterid", Metadata.ASCII_STRING_MARSHALLER), c);
    }
    return IstioCertificateServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h)).createCertificate(request);
  }

  static IstioCertificateRequest request(String csr, long ttl, Value impersonate) {
    IstioCertificateRequest.Builder b = IstioCertificateRequest.newBuilder().setCsr(csr).setValidityDuration(ttl);
    if (impersonate != null) {
      b.setMetadata(Struct.newBuilder().putFields("ImpersonatedIdentity", impersonate));
    }
    return b.build();
  }

  static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  String ztunnelToken() throws Exception {
    return issuer.ztunnel(now.plusSeconds(43200));
  }

  @Test
  void ztunnel_impersonatesWorkloadOnItsNode_getsLeafForExactlyThatIdentity() throws Exception {
    IstioCertificateResponse r = call(ztunnelToken(),
        request(TestPki.csr(workload, BOOKINFO), 86400, str(BOOKINFO)), "Kubernetes");

    assertEquals(2, r.getCertChainCount());
    X509Certificate leaf = Pem.certificate(r.getCertChain(0));
    leaf.verify(root.getPublicKey());
    assertEquals(List.of(List.of(6, BOOKINFO)), List.copyOf(leaf.getSubjectAlternativeNames()));
    assertEquals(now.plusSeconds(86400), leaf.getNotAfter().toInstant());
    assertEquals(TestPki.pem(root), r.getCertChain(1));
    assertEquals(1, metrics.csrCount());
    assertEquals(1, metrics.issuedCount());
  }

  @Test
  void workload_ownToken_getsItsOwnIdentity_nonStringImpersonationIsAbsent() throws Exception {
    String own = issuer.token(TestTokens.ISSUER, List.of("istio-ca"), "bookinfo", "reviews", "r-1", "u",
        now.plusSeconds(600));
    IstioCertificateResponse r = call(own, request(TestPki.csr(workload, (String) null), 0,
        Value.newBuilder().setNumberValue(1).build()));
    X509Certificate leaf = Pem.certificate(r.getCertChain(0));
    assertEquals(BOOKINFO, leaf.getSubjectAlternativeNames().iterator().next().get(1));
    assertEquals(now.plus(Duration.ofHours(24)), leaf.getNotAfter().toInstant());
  }

  @Test
  void impersonationRefusals_allAnswerIstiodsVagueMessage_andAreCounted() throws Exception {
    String[][] cases = {
        {"spiffe://cluster.local/ns/bookinfo/sa/ratings", "Kubernetes", "identity_not_on_node"},
        {"spiffe://other.domain/ns/bookinfo/sa/reviews", "Kubernetes", "foreign_trust_domain"},
        {"spiffe://cluster.local/ns//sa/reviews", "Kubernetes", "invalid_identity"},
        {"not-spiffe", "Kubernetes", "invalid_identity"},
        {BOOKINFO, null, "no_node_authorizer"},
    };
    for (String[] c : cases) {
      String[] clusterIds = c[1] == null ? new String[0] : new String[] {c[1]};
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
          call(ztunnelToken(), request(TestPki.csr(workload, (String) null), 0, str(c[0])), clusterIds));
      assertStatus(e, Status.Code.UNAUTHENTICATED, "request impersonation authentication failure");
      if (c[2] != null) {
        assertTrue(metrics.rejected(c[2]) > 0, c[2]);
      }
    }
    String own = issuer.token(TestTokens.ISSUER, List.of("istio-ca"), "bookinfo", "reviews", "r-1", "u",
        now.plusSeconds(600));
    assertStatus(assertThrows(StatusRuntimeException.class, () ->
        call(own, request(TestPki.csr(workload, (String) null), 0, str(BOOKINFO)), "Kubernetes")),
        Status.Code.UNAUTHENTICATED, "request impersonation authentication failure");
    assertEquals(cases.length + 1, metrics.authenticationFailures());
    assertEquals(0, metrics.issuedCount());

    start(true, false);
    assertStatus(assertThrows(StatusRuntimeException.class, () ->
        call(ztunnelToken(), request(TestPki.csr(workload, (String) null), 0, str(BOOKINFO)), "Kubernetes")),
        Status.Code.UNAUTHENTICATED, "request impersonation authentication failure");
    assertEquals(1, metrics.rejected("impersonation_not_configured"));
  }

  @Test
  void badTokens_unauthenticatedWithSpecificMessages() throws Exception {
    TestTokens stranger = new TestTokens("k1");
    String csr = TestPki.csr(workload, (String) null);
    Object[][] cases = {
        {null, "request authenticate failure: no client certificate or bearer token", "no_credentials"},
        {issuer.ztunnel(now.minusSeconds(1)), "request authenticate failure: token has expired", "token_expired"},
        {issuer.token(TestTokens.ISSUER, List.of("kube-apiserver"), "a", "b", "p", "u", now.plusSeconds(60)),
            "request authenticate failure: token audience is not one of [istio-ca]", "wrong_audience"},
        {issuer.token("https://evil.example", List.of("istio-ca"), "a", "b", "p", "u", now.plusSeconds(60)),
            "request authenticate failure: token issuer is not trusted for offline validation", "wrong_issuer"},
        {stranger.ztunnel(now.plusSeconds(60)), "request authenticate failure: token signature is invalid",
            "bad_signature"},
        {"garbage", "request authenticate failure: token is not a well-formed signed JWT", "malformed_token"},
    };
    for (Object[] c : cases) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> call((String) c[0], request(csr, 0, null)));
      assertStatus(e, Status.Code.UNAUTHENTICATED, (String) c[1]);
      assertEquals(1, metrics.rejected((String) c[2]), (String) c[2]);
    }
    assertEquals(cases.length, metrics.authenticationFailures());
    assertEquals(cases.length, metrics.csrCount());

    start(false, true);
    assertStatus(assertThrows(StatusRuntimeException.class, () -> call(ztunnelToken(), request(csr, 0, null))),
        Status.Code.UNAUTHENTICATED, "request authenticate failure: plaintext connection");
  }

  @Test
  void badCsrs_invalidArgumentWithSpecificMessages_countedByErrorType() throws Exception {
    String token = ztunnelToken();
    String good = TestPki.csr(workload, BOOKINFO);
    byte[] der = Pem.first(good).der();
    der[der.length - 3] ^= 0x11;
    String huge = good + "A".repeat(3 << 20);
    Object[][] cases = {
        {"hello", "CSR signing error (certificate signing request is not properly encoded)", 0L},
        {Pem.encode("CERTIFICATE REQUEST", new byte[] {0x30, 0x03, 1, 2, 3}),
            "CSR signing error (failed to parse X.509 certificate signing request)", 0L},
        {Pem.encode("CERTIFICATE REQUEST", der), "CSR signing error (CSR signature verification failed)", 0L},
        {TestPki.csr(TestPki.rsa(1024), BOOKINFO),
            "CSR signing error (CSR public key is too weak: RSA 1024 bits, at least 2048 required)", 0L},
        {TestPki.csr(workload, List.of(BOOKINFO, "spiffe://cluster.local/ns/bookinfo/sa/x"), null),
            "CSR signing error (CSR requests 2 subject alternative names, but 1 identity is being issued)", 0L},
        {TestPki.csr(workload, "spiffe://cluster.local/ns/istio-system/sa/ztunnel"),
            "CSR signing error (CSR requests subject alternative name "
                + "\"spiffe://cluster.local/ns/istio-system/sa/ztunnel\", which is not the authenticated identity)", 0L},
        {huge, "CSR signing error (CSR is " + huge.length() + " characters long, more than the limit of 65536)", 0L},
        {good, "CSR signing error (requested TTL 2160h0m1s is greater than the max allowed TTL 2160h0m0s)",
            2160L * 3600 + 1},
    };
    for (Object[] c : cases) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> call(token, request((String) c[0], (Long) c[2], str(BOOKINFO)), "Kubernetes"));
      assertStatus(e, Status.Code.INVALID_ARGUMENT, (String) c[1]);
    }
    assertEquals(7, metrics.signErrors(CaError.CSR_ERROR));
    assertEquals(1, metrics.signErrors(CaError.TTL_ERROR));
    assertEquals(0, metrics.issuedCount());
    String text = metrics.prometheusText();
    assertTrue(text.contains("citadel_server_csr_sign_err_count{error=\"CSR_ERROR\"} 7\n"), text);
    assertTrue(text.contains("citadel_server_csr_count 8\n"), text);
  }

  static void assertStatus(StatusRuntimeException e, Status.Code code, String description) {
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertEquals(description, e.getStatus().getDescription());
    assertFalse(description.contains("Exception") || description.contains("\tat ")
        || description.contains("PRIVATE KEY"), "no stack trace or key material");
    assertEquals(null, e.getStatus().getCause());
  }
}
