package dev.sextant.ca.authn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sextant.ca.TestPki;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.Metadata;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Token authentication: offline against a test JWKS, TokenReview against the mock API server,
 * the per-token cache, and the client-certificate authenticator and chain.
 */
@EnableKubernetesMockClient(crud = true)
class AuthenticatorsTest {
  static final String SA_TOKEN_GROUP = "system:serviceaccounts";
  KubernetesClient client;
  KubernetesMockServer server;

  final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  final Clock clock = Clock.fixed(now, ZoneOffset.UTC);
  final AtomicInteger reviews = new AtomicInteger();
  final Set<String> refused = java.util.concurrent.ConcurrentHashMap.newKeySet();
  TestTokens issuer;

  @BeforeEach
  void setUp() throws Exception {
    issuer = new TestTokens("k1");
    ObjectMapper json = new ObjectMapper();
    // The API server's TokenReview: accepts tokens starting with "good-" or our issuer's ztunnel token.
    server.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews").andReply(201, req -> {
      reviews.incrementAndGet();
      try {
        JsonNode body = json.readTree(req.getBody().readUtf8());
        String token = body.path("spec").path("token").asText();
        boolean ok = (token.startsWith("good-") || token.startsWith("eyJ")) && !refused.contains(token);
        Map<String, Object> status = ok
            ? Map.of("authenticated", true, "audiences", List.of("istio-ca"), "user", Map.of(
                "username", "system:serviceaccount:istio-system:ztunnel",
                "groups", List.of(SA_TOKEN_GROUP, "system:authenticated"),
                "extra", Map.of("authentication.kubernetes.io/pod-name", List.of("ztunnel-abc"),
                    "authentication.kubernetes.io/pod-uid", List.of("uid-z"))))
            : Map.of("authenticated", false, "error", "token signed by unknown key");
        return Map.of("apiVersion", "authentication.k8s.io/v1", "kind", "TokenReview", "status", status);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).always();
  }

  KubeJwtAuthenticator jwt(boolean reviewer, boolean offline, KubeJwtAuthenticator.BoundPodCheck podCheck) {
    JwksTokenVerifier v = offline
        ? new JwksTokenVerifier(Set.of(TestTokens.ISSUER), () -> issuer.jwks(), clock) : null;
    return new KubeJwtAuthenticator(KubeJwtAuthenticator.Options.of("Kubernetes", List.of("istio-ca")),
        () -> "cluster.local", reviewer ? new Fabric8TokenReviewer(client) : null, null, v, podCheck, clock);
  }

  static AuthRequest bearer(String token, String... clusterIds) {
    Metadata h = new Metadata();
    h.put(AuthRequest.AUTHORIZATION, "Istio ignored");
    if (token != null) {
      h.put(AuthRequest.AUTHORIZATION, "Bearer " + token);
    }
    for (String c : clusterIds) {
      h.put(AuthRequest.CLUSTER_ID, c);
    }
    return new AuthRequest(h, List.of(), true, null);
  }

  @Test
  void offline_validToken_noApiRoundTrip_identityAndPodFromClaims() throws Exception {
    Caller c = jwt(true, true, null).authenticate(bearer(issuer.ztunnel(now.plusSeconds(3600))));
    assertEquals(List.of("spiffe://cluster.local/ns/istio-system/sa/ztunnel"), c.identities());
    assertEquals(new KubernetesInfo("ztunnel-abc", "istio-system", "uid-z", "ztunnel"), c.kubernetes());
    assertEquals(0, reviews.get());
  }

  @Test
  void badTokens_eachRefusedWithItsOwnReasonAndMessage() throws Exception {
    TestTokens stranger = new TestTokens("k1");
    KubeJwtAuthenticator a = jwt(false, true, null);
    Object[][] cases = {
        {issuer.ztunnel(now.minusSeconds(1)), "token_expired", "token has expired"},
        {issuer.token(TestTokens.ISSUER, List.of("api"), "ns", "sa", "p", "u", now.plusSeconds(60)),
            "wrong_audience", "token audience is not one of [istio-ca]"},
        {issuer.token("https://evil.example", List.of("istio-ca"), "ns", "sa", "p", "u", now.plusSeconds(60)),
            "wrong_issuer", "token issuer is not trusted for offline validation"},
        {stranger.ztunnel(now.plusSeconds(60)), "bad_signature", "token signature is invalid"},
        {"not-a-jwt", "malformed_token", "token is not a well-formed signed JWT"},
        {"a.b.c", "malformed_token", "token is not a well-formed signed JWT"},
    };
    for (Object[] c : cases) {
      AuthenticationException e = assertThrows(AuthenticationException.class,
          () -> a.authenticate(bearer((String) c[0])));
      assertEquals(c[1], e.reason(), (String) c[2]);
      assertEquals(c[2], e.getMessage());
      assertTrue(!e.getMessage().contains((String) c[0]) || ((String) c[0]).length() < 6, "no token in messages");
    }
  }

  @Test
  void tokenReview_acceptsAndCachesUntilExpiry_refusesWhatTheApiServerRefuses() throws Exception {
    KubeJwtAuthenticator a = jwt(true, false, null);
    String token = issuer.ztunnel(now.plusSeconds(3600));
    Caller c = a.authenticate(bearer(token));
    assertEquals(new KubernetesInfo("ztunnel-abc", "istio-system", "uid-z", "ztunnel"), c.kubernetes());
    for (int i = 0; i < 5; i++) {
      a.authenticate(bearer(token));
    }
    assertEquals(1, reviews.get(), "one TokenReview for a burst of six calls");
    assertEquals(1, a.cachedTokens());

    AuthenticationException e = assertThrows(AuthenticationException.class, () -> a.authenticate(bearer("bad-token")));
    assertEquals("malformed_token", e.reason(), "not a JWT: refused before any round trip");
    assertEquals(1, reviews.get());

    String foreign = issuer.token("https://other", List.of("istio-ca"), "istio-system", "ztunnel", "p", "u",
        now.plusSeconds(60));
    assertEquals("spiffe://cluster.local/ns/istio-system/sa/ztunnel", a.authenticate(bearer(foreign)).identities().get(0));
    assertEquals(2, reviews.get());
  }

  @Test
  void offlineUndecided_fallsBackToTokenReview_whichRefuses() throws Exception {
    // a token of a key the JWKS does not hold: the API server decides
    TestTokens rotated = new TestTokens("k2");
    String token = rotated.ztunnel(now.plusSeconds(60));
    refused.add(token);
    AuthenticationException e = assertThrows(AuthenticationException.class,
        () -> jwt(true, true, null).authenticate(bearer(token)));
    assertEquals("token_review_rejected", e.reason());
    assertEquals("token review: the service account authentication returns an error: token signed by unknown key",
        e.getMessage());
  }

  @Test
  void boundPodGone_offlineTokenGoesToTokenReview_cachedTokenIsDropped() throws Exception {
    AtomicInteger podPresent = new AtomicInteger(1);
    KubeJwtAuthenticator a = jwt(true, true, (ns, name, uid) -> podPresent.get() == 1);
    String token = issuer.ztunnel(now.plusSeconds(3600));
    a.authenticate(bearer(token));
    assertEquals(0, reviews.get());
    podPresent.set(0);
    a.authenticate(bearer(token));
    assertEquals(1, reviews.get(), "the pod is gone from the cache: the API server is asked again");
  }

  @Test
  void clusterId_unknownCluster_isRefused_severalValuesMeanLocal() throws Exception {
    KubeJwtAuthenticator a = jwt(true, true, null);
    String token = issuer.ztunnel(now.plusSeconds(60));
    AuthenticationException e = assertThrows(AuthenticationException.class,
        () -> a.authenticate(bearer(token, "remote-1")));
    assertEquals("client claims to be in cluster \"remote-1\", but we only know about local cluster \"Kubernetes\"",
        e.getMessage());
    a.authenticate(bearer(token, "Kubernetes"));
    a.authenticate(bearer(token, "a", "b"));
  }

  @Test
  void chain_certFirstThenJwt_gateAndNoCredentials() throws Exception {
    KeyPair k = TestPki.ec();
    X509Certificate cert = clientCert(k);
    Authenticators chain = new Authenticators(List.of(new ClientCertAuthenticator(), jwt(false, true, null)), true, false);

    AuthRequest both = new AuthRequest(bearer(issuer.ztunnel(now.plusSeconds(60))).headers(), List.of(cert), true, null);
    Caller c = chain.authenticate(both).orElseThrow();
    assertEquals(Caller.Source.CLIENT_CERTIFICATE, c.source(), "the certificate wins");
    assertEquals(List.of("spiffe://cluster.local/ns/a/sa/b"), c.identities());

    AuthenticationException none = assertThrows(AuthenticationException.class,
        () -> chain.authenticate(new AuthRequest(new Metadata(), List.of(), true, null)));
    assertEquals("no_credentials", none.reason());
    AuthenticationException expired = assertThrows(AuthenticationException.class,
        () -> chain.authenticate(bearer(issuer.ztunnel(now.minusSeconds(5)))));
    assertEquals("token_expired", expired.reason(), "the reason of the authenticator whose credential was present");

    AuthRequest plaintext = new AuthRequest(both.headers(), List.of(), false, null);
    assertTrue(chain.authenticate(plaintext).isEmpty(), "plaintext without XDS_AUTH_PLAINTEXT: no authentication");
    assertTrue(new Authenticators(chain.chain(), false, false).authenticate(both).isEmpty(), "XDS_AUTH=false");
    assertEquals(Caller.Source.ID_TOKEN, new Authenticators(chain.chain(), true, true)
        .authenticate(plaintext).orElseThrow().source());
  }

  static X509Certificate clientCert(KeyPair k) throws Exception {
    var b = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(
        new org.bouncycastle.asn1.x500.X500Name("O=x"), java.math.BigInteger.ONE,
        java.util.Date.from(Instant.now().minusSeconds(60)), java.util.Date.from(Instant.now().plus(Duration.ofHours(1))),
        new org.bouncycastle.asn1.x500.X500Name("O=x"), k.getPublic());
    b.addExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName, true,
        new org.bouncycastle.asn1.x509.GeneralNames(new org.bouncycastle.asn1.x509.GeneralName(
            org.bouncycastle.asn1.x509.GeneralName.uniformResourceIdentifier, "spiffe://cluster.local/ns/a/sa/b")));
    return new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(
        b.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())));
  }
}
