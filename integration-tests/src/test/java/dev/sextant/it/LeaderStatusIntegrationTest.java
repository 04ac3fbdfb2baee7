package dev.sextant.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sextant.server.ServerConfig;
import dev.sextant.server.SextantServer;
import io.fabric8.istio.api.api.meta.v1alpha1.IstioCondition;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Kubernetes mode on the mock API server: the leader (istiod's Lease names) writes the
 * {@code ZtunnelAccepted} condition istiod writes on AuthorizationPolicies.
 */
@EnableKubernetesMockClient(crud = true)
class LeaderStatusIntegrationTest {
  KubernetesClient client;
  SextantServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private AuthorizationPolicy policy(String yaml) {
    return MockCluster.SERIALIZATION.unmarshal("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n" + yaml,
        AuthorizationPolicy.class);
  }

  private Optional<IstioCondition> condition(String ns, String name) {
    AuthorizationPolicy ap = client.resources(AuthorizationPolicy.class).inNamespace(ns).withName(name).get();
    if (ap == null || ap.getStatus() == null || ap.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return ap.getStatus().getConditions().stream().filter(c -> "ZtunnelAccepted".equals(c.getType())).findFirst();
  }

  @Test
  void statusLeader_writesZtunnelAcceptedAsIstiod() throws Exception {
    MockCluster.installCrds(client);
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("istio-system").endMetadata().build()).create();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("ns").endMetadata().build()).create();
    client.resource(policy("""
        metadata: {name: l4, namespace: ns}
        spec: {selector: {matchLabels: {app: a}}, rules: [{from: [{source: {principals: [x]}}]}]}
        """)).create();
    client.resource(policy("""
        metadata: {name: l7, namespace: ns}
        spec: {action: DENY, rules: [{to: [{operation: {methods: [GET]}}]}]}
        """)).create();
    client.resource(policy("""
        metadata: {name: audit, namespace: ns}
        spec: {action: AUDIT, rules: [{}]}
        """)).create();
    client.resource(policy("""
        metadata: {name: waypoint, namespace: ns}
        spec: {targetRefs: [{kind: Service, group: "", name: s}], rules: [{}]}
        """)).create();

    server = SextantServer.start(ServerConfig.forTest(client));
    Await.until("server ready", server::isReady);

    Await.until("l4 accepted", () -> condition("ns", "l4").isPresent());
    IstioCondition l4 = condition("ns", "l4").orElseThrow();
    long generation = client.resources(AuthorizationPolicy.class).inNamespace("ns").withName("l4").get()
        .getMetadata().getGeneration();
    assertEquals(List.of("True", "Accepted", "attached to ztunnel", generation),
        List.of(l4.getStatus(), l4.getReason(), l4.getMessage(), l4.getObservedGeneration()));
    Await.until("l7 status", () -> condition("ns", "l7").isPresent());
    IstioCondition l7 = condition("ns", "l7").orElseThrow();
    assertEquals("True", l7.getStatus(), "still sent, without its HTTP parts");
    assertEquals("UnsupportedValue", l7.getReason());
    Await.until("audit status", () -> condition("ns", "audit").isPresent());
    assertEquals(List.of("False", "UnsupportedValue", "ztunnel does not support the AUDIT action"),
        List.of(condition("ns", "audit").get().getStatus(), condition("ns", "audit").get().getReason(),
            condition("ns", "audit").get().getMessage()));

    Lease lease = client.leases().inNamespace("istio-system").withName("istio-status-leader").get();
    assertEquals(false, lease == null, "istiod's lease name");
    Await.until("holder", () -> lease.getSpec().getHolderIdentity() != null);
    // a policy for waypoints gets no ztunnel condition
    Thread.sleep(200);
    assertEquals(Optional.empty(), condition("ns", "waypoint"));
  }
}
