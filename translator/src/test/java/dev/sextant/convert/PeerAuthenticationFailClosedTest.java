package dev.sextant.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.sextant.api.security.Authorization;
import dev.sextant.api.security.Match;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The three cases (wds-spec §4.6 quirks (i) to (iii)) where istiod leaves configured mTLS
 * unenforced and Sextant enforces it. Each test states istiod's outcome and checks ours: the
 * workload references a policy that exists and denies unauthenticated connections where configured.
 */
class PeerAuthenticationFailClosedTest {
  private static final String ROOT = "istio-system";
  private static final KubernetesSerialization K8S = new KubernetesSerialization();

  private static PeerAuthentication pa(String yaml) {
    return K8S.unmarshal("apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n" + yaml, PeerAuthentication.class);
  }

  private static final PeerAuthentication MESH_STRICT = pa("""
      metadata: {name: default, namespace: istio-system, creationTimestamp: "2026-01-01T00:00:00Z"}
      spec: {mtls: {mode: STRICT}}
      """);

  private static Match noPrincipalOn(int port) {
    return AuthzGoldenMatches.noPrincipal().toBuilder().addDestinationPorts(port).build();
  }

  @Test
  void quirkI_permissiveWorkloadStrictPortUnderStrictMesh_portIsEnforced() {
    // istiod: the STRICT port is "covered" by the mesh STRICT through operator precedence although the
    // workload is PERMISSIVE; no policy is produced, the workload references a missing one, 9090 is open.
    PeerAuthentication workload = pa("""
        metadata: {name: w, namespace: foo, creationTimestamp: "2026-01-02T00:00:00Z"}
        spec:
          selector: {matchLabels: {app: a}}
          mtls: {mode: PERMISSIVE}
          portLevelMtls: {"9090": {mode: STRICT}}
        """);
    Authorization converted = PeerAuthenticationConverter.convert(ROOT, workload, null, MESH_STRICT);
    assertNotNull(converted);
    assertEquals(List.of(noPrincipalOn(9090)), converted.getGroups(0).getRules(0).getMatchesList());
    assertEquals(List.of("foo/converted_peer_authentication_w"),
        PeerAuthenticationConverter.workloadPolicies(ROOT, List.of(workload, MESH_STRICT)));
  }

  @Test
  void quirkII_unsetWorkloadDisablePortUnderInheritedStrict_exceptionApplies() {
    // istiod: only PERMISSIVE ports are checked under an inherited STRICT, so the workload keeps the
    // static strict policy and the DISABLE exception on 8080 is lost.
    PeerAuthentication workload = pa("""
        metadata: {name: w, namespace: foo, creationTimestamp: "2026-01-02T00:00:00Z"}
        spec:
          selector: {matchLabels: {app: a}}
          portLevelMtls: {"8080": {mode: DISABLE}}
        """);
    assertEquals(List.of("foo/converted_peer_authentication_w"),
        PeerAuthenticationConverter.workloadPolicies(ROOT, List.of(workload, MESH_STRICT)));
    Authorization converted = PeerAuthenticationConverter.convert(ROOT, workload, null, MESH_STRICT);
    assertNotNull(converted);
    // deny when no principal and the port is not 8080
    assertEquals(List.of(
            Match.newBuilder().addNotDestinationPorts(8080).build(),
            AuthzGoldenMatches.noPrincipal()),
        converted.getGroups(0).getRulesList().stream().map(r -> r.getMatches(0)).toList());
  }

  @Test
  void quirkIII_unsetNamespacePaUnderStrictMeshWithPermissivePort_otherPortsStayStrict() {
    // istiod: the explicitly UNSET namespace PA makes the converter skip the PERMISSIVE port, so no
    // policy exists while the workload has dropped the static strict one: no port is enforced.
    PeerAuthentication namespace = pa("""
        metadata: {name: ns, namespace: foo, creationTimestamp: "2026-01-02T00:00:00Z"}
        spec: {mtls: {mode: UNSET}}
        """);
    PeerAuthentication workload = pa("""
        metadata: {name: w, namespace: foo, creationTimestamp: "2026-01-03T00:00:00Z"}
        spec:
          selector: {matchLabels: {app: a}}
          portLevelMtls: {"9090": {mode: PERMISSIVE}}
        """);
    assertEquals(List.of("foo/converted_peer_authentication_w"),
        PeerAuthenticationConverter.workloadPolicies(ROOT, List.of(namespace, workload, MESH_STRICT)));
    Authorization converted = PeerAuthenticationConverter.convert(ROOT, workload, namespace, MESH_STRICT);
    assertNotNull(converted, "the referenced policy exists");
    assertEquals(List.of(
            Match.newBuilder().addNotDestinationPorts(9090).build(),
            AuthzGoldenMatches.noPrincipal()),
        converted.getGroups(0).getRulesList().stream().map(r -> r.getMatches(0)).toList());
  }
}
