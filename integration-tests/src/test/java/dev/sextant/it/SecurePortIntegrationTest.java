package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sextant.api.TypeUrls;
import dev.sextant.api.ca.IstioCertificateRequest;
import dev.sextant.api.ca.IstioCertificateResponse;
import dev.sextant.api.ca.IstioCertificateServiceGrpc;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secure port as ztunnel uses it: TLS checked against Sextant's root, a Kubernetes token in
 * {@code authorization: Bearer}, delta ADS and certificate signing; and the refusals istiod gives.
 */
class SecurePortIntegrationTest {
  static final String ISSUER = "https://kubernetes.default.svc.cluster.local";

  @TempDir Path dir;
  SextantServer server;
  RSAKey signingKey;
  ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.writeString(config.resolve("cluster.yaml"), """
        apiVersion: v1
        kind: Namespace
        metadata: {name: istio-system}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: ztunnel-abc, namespace: istio-system, uid: uid-z}
        spec: {serviceAccountName: ztunnel, nodeName: node-1, containers: [{name: istio-proxy}]}
        status: {phase: Running, podIP: 10.0.0.2, conditions: [{type: Ready, status: "True"}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-1, namespace: shop, uid: uid-w}
        spec: {serviceAccountName: web, nodeName: node-1, containers: [{name: web}]}
        status: {phase: Running, podIP: 10.0.0.3, conditions: [{type: Ready, status: "True"}]}
        """);
    signingKey = new RSAKeyGenerator(2048).keyID("k1").generate();
    Path jwks = dir.resolve("jwks.json");
    Files.writeString(jwks, new JWKSet(signingKey.toPublicJWK()).toString());
    ServerConfig.Security security = new ServerConfig.Security(new java.net.InetSocketAddress("127.0.0.1", 0),
        dir.resolve("ca"), jwks, dir.resolve("root-cert.pem"));
    server = SextantServer.start(ServerConfig.forTest(config).withSecurity(security));
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!server.isReady()) {
      assertTrue(System.nanoTime() < deadline, "not ready");
      Thread.sleep(5);
    }
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.secureGrpcAddress().getPort())
        .sslContext(GrpcSslContexts.forClient().trustManager(
            new ByteArrayInputStream(server.ca().rootCertPem().getBytes(StandardCharsets.UTF_8))).build())
        .overrideAuthority("istiod.istio-system.svc")
        .build();
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    server.close();
  }

  private String token(String ns, String sa, String pod, String uid) throws Exception {
    Instant exp = Instant.now().plusSeconds(3600);
    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience(List.of("istio-ca"))
        .subject("system:serviceaccount:" + ns + ":" + sa)
        .issueTime(Date.from(exp.minusSeconds(7200))).expirationTime(Date.from(exp))
        .claim("kubernetes.io", Map.of("namespace", ns, "pod", Map.of("name", pod, "uid", uid),
            "serviceaccount", Map.of("name", sa, "uid", "sa-uid")))
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(), claims);
    jwt.sign(new RSASSASigner(signingKey));
    return jwt.serialize();
  }

  /** A token bound to no pod, as istioctl mints for service account default. */
  private String unboundToken(String ns, String sa) throws Exception {
    Instant exp = Instant.now().plusSeconds(3600);
    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience(List.of("istio-ca"))
        .subject("system:serviceaccount:" + ns + ":" + sa)
        .issueTime(Date.from(exp.minusSeconds(7200))).expirationTime(Date.from(exp))
        .claim("kubernetes.io", Map.of("namespace", ns, "serviceaccount", Map.of("name", sa, "uid", "sa-uid")))
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(), claims);
    jwt.sign(new RSASSASigner(signingKey));
    return jwt.serialize();
  }

  private static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata m = new Metadata();
        m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        applier.apply(m);
      }
    };
  }

  /** Opens a delta stream as ztunnel and returns how it ended or its first response's type. */
  private CompletableFuture<Object> ztunnelStream(CallCredentials creds) {
    CompletableFuture<Object> result = new CompletableFuture<>();
    var stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
    if (creds != null) {
      stub = stub.withCallCredentials(creds);
    }
    StreamObserver<DeltaDiscoveryRequest> req = stub.deltaAggregatedResources(new StreamObserver<>() {
      @Override
      public void onNext(DeltaDiscoveryResponse r) {
        result.complete(r.getTypeUrl());
      }

      @Override
      public void onError(Throwable t) {
        result.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        result.complete("completed");
      }
    });
    req.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ADDRESS)
        .setNode(FakeZtunnel.Identity.onNode("node-1").node()).build());
    return result;
  }

  @Test
  void ads_withoutCredentials_unauthenticated() throws Exception {
    Object r = ztunnelStream(null).get(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAUTHENTICATED, ((Status) r).getCode());
  }

  @Test
  void ads_withZtunnelToken_servedOverTls() throws Exception {
    Object r = ztunnelStream(bearer(token("istio-system", "ztunnel", "ztunnel-abc", "uid-z"))).get(10, TimeUnit.SECONDS);
    assertEquals(TypeUrls.ADDRESS, r);
  }

  @Test
  void ads_tokenFromAnotherNamespaceThanTheNode_permissionDenied() throws Exception {
    Object r = ztunnelStream(bearer(token("shop", "web", "web-1", "uid-w"))).get(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.PERMISSION_DENIED, ((Status) r).getCode());
  }

  @Test
  void createCertificate_ownIdentity_issuesSpiffeLeafChainedToTheRoot() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair key = g.generateKeyPair();
    String spiffe = "spiffe://cluster.local/ns/shop/sa/web";
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(Extension.subjectAlternativeName, true,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffe)));
    var csr = new JcaPKCS10CertificationRequestBuilder(new X500Name(""), key.getPublic())
        .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()));
    StringWriter pem = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
      w.writeObject(csr);
    }
    IstioCertificateResponse resp = IstioCertificateServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(bearer(token("shop", "web", "web-1", "uid-w")))
        .createCertificate(IstioCertificateRequest.newBuilder().setCsr(pem.toString()).setValidityDuration(3600).build());
    assertTrue(resp.getCertChainCount() >= 2, "leaf and root");
    var cf = java.security.cert.CertificateFactory.getInstance("X.509");
    var leaf = (java.security.cert.X509Certificate) cf.generateCertificate(
        new ByteArrayInputStream(resp.getCertChain(0).getBytes(StandardCharsets.UTF_8)));
    assertEquals(spiffe, leaf.getSubjectAlternativeNames().iterator().next().get(1));
    var root = (java.security.cert.X509Certificate) cf.generateCertificate(
        new ByteArrayInputStream(server.ca().rootCertPem().getBytes(StandardCharsets.UTF_8)));
    leaf.verify(root.getPublicKey());
    assertTrue(Files.readString(dir.resolve("root-cert.pem")).contains("BEGIN CERTIFICATE"), "root written out");
  }

  @Test
  void createCertificate_withoutCredentials_unauthenticated() {
    StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () ->
        IstioCertificateServiceGrpc.newBlockingStub(channel).createCertificate(
            IstioCertificateRequest.newBuilder().setCsr("x").build()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
  }

  @Test
  void istioctlProxyStatus_syncOverSotwOnTheSecurePort_listsTheZtunnelWithControlPlaneId() throws Exception {
    // a ztunnel connected and synced
    assertEquals(TypeUrls.ADDRESS, ztunnelStream(bearer(token("istio-system", "ztunnel", "ztunnel-abc", "uid-z")))
        .get(10, TimeUnit.SECONDS));
    CompletableFuture<io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse> got = new CompletableFuture<>();
    StreamObserver<io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest> req =
        AggregatedDiscoveryServiceGrpc.newStub(channel).withCallCredentials(bearer(unboundToken("istio-system", "default")))
            .streamAggregatedResources(new StreamObserver<>() {
              @Override
              public void onNext(io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse r) {
                got.complete(r);
              }

              @Override
              public void onError(Throwable t) {
                got.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            });
    var meta = com.google.protobuf.Struct.newBuilder()
        .putFields("GENERATOR", com.google.protobuf.Value.newBuilder().setStringValue("event").build())
        .putFields("SERVICE_ACCOUNT", com.google.protobuf.Value.newBuilder().setStringValue("default").build())
        .putFields("NAMESPACE", com.google.protobuf.Value.newBuilder().setStringValue("istio-system").build())
        .putFields("ISTIO_VERSION", com.google.protobuf.Value.newBuilder().setStringValue("65536.65536.65536").build());
    // istioctl's first request already carries a nonce (a timestamp)
    req.onNext(io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest.newBuilder()
        .setTypeUrl("istio.io/debug/syncz").setResponseNonce(Instant.now().toString())
        .setNode(io.envoyproxy.envoy.config.core.v3.Node.newBuilder()
            .setId("sidecar~10.0.0.9~test-1.istio-system~istio-system.svc.cluster.local").setMetadata(meta))
        .build());
    var response = got.get(10, TimeUnit.SECONDS);
    assertTrue(response.getControlPlane().getIdentifier().contains("\"Component\":\"istiod\""),
        response.getControlPlane().getIdentifier());
    assertEquals(1, response.getResourcesCount(), "the ztunnel, not istioctl itself");
    var cc = response.getResources(0).unpack(io.envoyproxy.envoy.service.status.v3.ClientConfig.class);
    assertEquals("ztunnel-node-1.istio-system", cc.getNode().getId());
    assertEquals(TypeUrls.ADDRESS, cc.getGenericXdsConfigs(0).getTypeUrl());
    req.onCompleted();
  }

  @Test
  void debugTypes_onThePlaintextPort_unauthenticated() throws Exception {
    ManagedChannel plain = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcAddress().getPort()).usePlaintext().build();
    try {
      CompletableFuture<Status> done = new CompletableFuture<>();
      StreamObserver<DeltaDiscoveryRequest> req = AggregatedDiscoveryServiceGrpc.newStub(plain)
          .deltaAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DeltaDiscoveryResponse r) {
              done.complete(Status.OK);
            }

            @Override
            public void onError(Throwable t) {
              done.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
              done.complete(Status.OK);
            }
          });
      req.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl("istio.io/debug")
          .addResourceNamesSubscribe("syncz").setNode(FakeZtunnel.Identity.onNode("node-1").node()).build());
      assertEquals(Status.Code.UNAUTHENTICATED, done.get(10, TimeUnit.SECONDS).getCode());
    } finally {
      plain.shutdownNow();
    }
  }
}
