package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sextant.api.ca.IstioCertificateRequest;
import dev.sextant.api.ca.IstioCertificateServiceGrpc;
import dev.sextant.ca.RootCertConfigMaps;
import dev.sextant.model.MeshSettings;
import dev.sextant.server.KubernetesAccess;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every request the server sends to the Kubernetes API is one {@link KubernetesAccess} declares,
 * so the Helm chart's roles, checked against that list by {@link HelmChartTest}, are enough.
 * Sextant runs in Kubernetes mode with the CA on against fabric8's mock API server, and is driven
 * down each path that reaches the API: the informers and the CRD watch, the mesh config
 * ConfigMap, the CA root created in a Secret, root ConfigMaps created and repaired, a caller's
 * token decided by a TokenReview, leader election and the policy status it guards. Its requests
 * (told apart from the test's own by the client's user agent) are matched as RBAC would match them.
 */
class KubernetesAccessIntegrationTest {
  static final String NS = "istio-system";
  static final String AGENT = "sextant-under-test";

  @Test
  void everyRequestTheServerMakes_isDeclared() throws Exception {
    KubernetesMockServer mock = MockCluster.crudServer();
    try (KubernetesClient admin = mock.createClient();
        KubernetesClient sextant = new KubernetesClientBuilder()
            .withConfig(new ConfigBuilder(admin.getConfiguration()).withUserAgent(AGENT).build()).build()) {
      MockCluster.installCrds(admin);
      for (String ns : List.of(NS, "shop", "stale")) {
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
            .create();
      }
      admin.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata().withName("istio")
          .endMetadata().withData(Map.of("mesh", "trustDomain: cluster.local\n")).build()).create();
      admin.configMaps().inNamespace("stale").resource(new ConfigMapBuilder().withNewMetadata()
          .withName("istio-ca-root-cert").endMetadata().withData(Map.of(RootCertConfigMaps.DATA_KEY, "old")).build())
          .create();
      admin.resource(MockCluster.SERIALIZATION.unmarshal("""
          apiVersion: v1
          kind: Pod
          metadata: {name: web-1, namespace: shop, uid: uid-w}
          spec: {serviceAccountName: web, nodeName: node-1, containers: [{name: web}]}
          status: {phase: Running, podIP: 10.0.0.3}
          """, Pod.class)).create();
      admin.resource(MockCluster.SERIALIZATION.unmarshal("""
          apiVersion: security.istio.io/v1
          kind: AuthorizationPolicy
          metadata: {name: allow-web, namespace: shop}
          spec: {selector: {matchLabels: {app: web}}, rules: [{from: [{source: {principals: [x]}}]}]}
          """, AuthorizationPolicy.class)).create();
      drain(mock);

      ServerConfig config = ServerConfig.forTest(sextant)
          .with(MeshSettings.defaults(), new ServerConfig.Kubernetes("", sextant, "", List.of(), true))
          .withSecurity(new ServerConfig.Security(new InetSocketAddress("127.0.0.1", 0), null, null, null));
      try (SextantServer server = SextantServer.start(config)) {
        Await.until("ready", server::isReady);
        String root = server.ca().rootCertPem();
        Await.until("root ConfigMaps written and repaired", () -> List.of(NS, "shop", "stale").stream()
            .allMatch(ns -> root.equals(rootIn(admin, ns))));
        Await.until("policy status written", () -> admin.resources(AuthorizationPolicy.class).inNamespace("shop")
            .withName("allow-web").get().getStatus() != null);
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
            () -> createCertificateWithToken(server, root));
        assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode(), refused.toString());
      }

      List<Rbac.Request> requests = drain(mock);
      List<Rbac.Grant> declared = Rbac.grantsOf(KubernetesAccess.rules("", "istio-ca-root-cert"), NS);
      Set<String> paths = KubernetesAccess.nonResourceUrls().stream().map(KubernetesAccess.NonResourceUrl::path)
          .collect(Collectors.toSet());
      Set<String> undeclared = new TreeSet<>();
      for (Rbac.Request r : requests) {
        boolean ok = r.isResource() ? Rbac.allowed(declared, r) : r.verb().equals("get") && paths.contains(r.path());
        if (!ok) {
          undeclared.add(r.toString());
        }
      }
      assertEquals(Set.of(), undeclared, "requests KubernetesAccess does not declare");

      // the test reached what it says it reached (a lease's renewal or release, a patch, is
      // checked above whenever it happens within the run)
      Set<String> seen = requests.stream().map(Rbac.Request::toString).collect(Collectors.toCollection(TreeSet::new));
      for (String expected : List.of(
          "get /version",
          "watch core/pods",
          "watch apiextensions.k8s.io/customresourcedefinitions",
          "list security.istio.io/authorizationpolicies",
          "get core/configmaps in istio-system named istio",
          "watch core/configmaps in istio-system named istio",
          "create core/secrets in istio-system",
          "watch core/configmaps named istio-ca-root-cert",
          "create core/configmaps in shop",
          "update core/configmaps in stale named istio-ca-root-cert",
          "create authentication.k8s.io/tokenreviews",
          "create coordination.k8s.io/leases in istio-system",
          "update security.istio.io/authorizationpolicies/status in shop named allow-web")) {
        assertTrue(seen.contains(expected), expected + " not among " + seen);
      }
    }
    mock.destroy();
  }

  private static String rootIn(KubernetesClient client, String ns) {
    ConfigMap cm = client.configMaps().inNamespace(ns).withName("istio-ca-root-cert").get();
    return cm == null || cm.getData() == null ? null : cm.getData().get(RootCertConfigMaps.DATA_KEY);
  }

  /** A well-formed token the CA cannot verify offline (the mock serves no JWKS): a TokenReview decides. */
  private static void createCertificateWithToken(SextantServer server, String rootPem) throws Exception {
    Instant exp = Instant.now().plusSeconds(3600);
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
        .issuer("https://kubernetes.default.svc.cluster.local").audience(List.of("istio-ca"))
        .subject("system:serviceaccount:shop:web").expirationTime(Date.from(exp)).build());
    jwt.sign(new MACSigner(new byte[32]));
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + jwt.serialize());
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.secureGrpcAddress().getPort())
        .sslContext(GrpcSslContexts.forClient().trustManager(
            new ByteArrayInputStream(rootPem.getBytes(StandardCharsets.UTF_8))).build())
        .overrideAuthority("istiod.istio-system.svc")
        .build();
    try {
      IstioCertificateServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .createCertificate(IstioCertificateRequest.newBuilder().setCsr("unused").setValidityDuration(3600).build());
    } finally {
      channel.shutdownNow();
    }
  }

  /** The requests recorded so far that came from Sextant's client. */
  private static List<Rbac.Request> drain(KubernetesMockServer mock) throws InterruptedException {
    List<Rbac.Request> out = new ArrayList<>();
    RecordedRequest r;
    while ((r = mock.takeRequest(200, TimeUnit.MILLISECONDS)) != null) {
      String agent = r.getHeader("User-Agent");
      if (agent != null && agent.contains(AGENT)) {
        out.add(Rbac.parse(r.getMethod(), r.getPath()));
      }
    }
    return out;
  }
}
