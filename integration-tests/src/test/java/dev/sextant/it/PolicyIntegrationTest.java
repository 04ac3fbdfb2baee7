package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sextant.api.TypeUrls;
import dev.sextant.api.security.Action;
import dev.sextant.api.security.Authorization;
import dev.sextant.api.workload.Address;
import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Policies reaching a fake ztunnel as the bundled example's files change. */
class PolicyIntegrationTest {
  static final String STATIC_STRICT = "istio-system/istio_converted_static_strict";
  static final String RATINGS = "Kubernetes//Pod/bookinfo/ratings-v1-7d8f6c5b4a-t8w3r";

  @TempDir Path dir;
  SextantServer server;
  FakeZtunnel z;

  @BeforeEach
  void start() throws Exception {
    Bookinfo.copyTo(dir);
    server = SextantServer.start(ServerConfig.forTest(dir));
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!server.isReady()) {
      assertTrue(System.nanoTime() < deadline);
      Thread.sleep(5);
    }
    z = new FakeZtunnel(server.grpcAddress(), FakeZtunnel.Identity.onNode("node-1")).connect();
    z.await("ready", FakeZtunnel::ready);
  }

  @AfterEach
  void stop() {
    z.close();
    server.close();
  }

  static List<String> policiesOf(Map<String, Resource> held, String uid) throws Exception {
    return Address.parseFrom(held.get(uid).getResource().getValue()).getWorkload().getAuthorizationPoliciesList();
  }

  @Test
  void namespaceStrictPeerAuthentication_addsStaticStrictAndReferencesIt_thenRemovesBoth() throws Exception {
    Bookinfo.write(dir.resolve("strict.yaml"), """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: bookinfo}
        spec: {mtls: {mode: STRICT}}
        """);
    z.await("static strict policy", c -> c.held(TypeUrls.AUTHORIZATION).containsKey(STATIC_STRICT));
    z.await("ratings references it", c -> {
      try {
        return policiesOf(c.held(TypeUrls.ADDRESS), RATINGS).contains(STATIC_STRICT);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertEquals(List.of("bookinfo/ratings-from-reviews", STATIC_STRICT), policiesOf(z.held(TypeUrls.ADDRESS), RATINGS),
        "AuthorizationPolicies first, then PeerAuthentication references");
    Authorization strict = Authorization.parseFrom(z.held(TypeUrls.AUTHORIZATION).get(STATIC_STRICT).getResource().getValue());
    assertEquals(Action.DENY, strict.getAction());
    assertTrue(policiesOf(z.held(TypeUrls.ADDRESS), "Kubernetes//Pod/legacy/mysql-0").isEmpty(),
        "another namespace is not affected");

    Files.delete(dir.resolve("strict.yaml"));
    z.await("static strict removed", c -> !c.held(TypeUrls.AUTHORIZATION).containsKey(STATIC_STRICT));
    z.await("reference removed", c -> {
      try {
        return policiesOf(c.held(TypeUrls.ADDRESS), RATINGS).equals(List.of("bookinfo/ratings-from-reviews"));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  @Test
  void portLevelPeerAuthentication_servesConvertedPolicyToTheWorkload() throws Exception {
    Bookinfo.write(dir.resolve("ports.yaml"), """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: ratings, namespace: bookinfo}
        spec:
          selector: {matchLabels: {app: ratings}}
          mtls: {mode: PERMISSIVE}
          portLevelMtls: {"9080": {mode: STRICT}}
        """);
    String converted = "bookinfo/converted_peer_authentication_ratings";
    z.await("converted policy", c -> c.held(TypeUrls.AUTHORIZATION).containsKey(converted));
    z.await("ratings references it", c -> {
      try {
        return policiesOf(c.held(TypeUrls.ADDRESS), RATINGS).contains(converted);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    Authorization p = Authorization.parseFrom(z.held(TypeUrls.AUTHORIZATION).get(converted).getResource().getValue());
    assertEquals(List.of(9080), p.getGroups(0).getRules(0).getMatches(0).getDestinationPortsList());
  }
}
