package dev.sextant.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLSMode;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CustomResourceReaderTest {
  final CustomResourceReader reader = new CustomResourceReader();

  @Test
  void read_unknownEnumValue_failsNamingValueAndEnum() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader.read(
        KubeObjects.rawPeerAuthentication("ns", "pa", KubeObjects.UNKNOWN_ENUM), PeerAuthentication.class));
    assertTrue(e.getMessage().contains("unknown value \"SOMETIMES\" for PeerAuthenticationMutualTLSMode"),
        e.getMessage());
  }

  @Test
  void read_unknownAuthorizationAction_failsInsteadOfDefaultingToAllow() {
    GenericKubernetesResource g = KubeObjects.rawPeerAuthentication("ns", "ap", Map.of("action", "DENYY"));
    g.setKind("AuthorizationPolicy");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> reader.read(g, AuthorizationPolicy.class));
    assertTrue(e.getMessage().contains("\"DENYY\" for AuthorizationPolicyAction"), e.getMessage());
  }

  @Test
  void read_wrongFieldType_fails() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader.read(
        KubeObjects.rawPeerAuthentication("ns", "pa", KubeObjects.WRONG_TYPE), PeerAuthentication.class));
    assertTrue(e.getMessage().startsWith("cannot read as PeerAuthentication: "), e.getMessage());
  }

  @Test
  void read_validValues_readAsFabric8Does() {
    PeerAuthentication pa = reader.read(KubeObjects.rawPeerAuthentication("ns", "pa",
        Map.of("mtls", Map.of("mode", "STRICT"), "portLevelMtls", Map.of("8080", Map.of("mode", "DISABLE")))),
        PeerAuthentication.class);
    assertEquals(PeerAuthenticationMutualTLSMode.STRICT, pa.getSpec().getMtls().getMode());
    assertEquals(PeerAuthenticationMutualTLSMode.DISABLE, pa.getSpec().getPortLevelMtls().get("8080").getMode());
    assertEquals("ns", pa.getMetadata().getNamespace());

    GenericKubernetesResource g = KubeObjects.rawPeerAuthentication("ns", "ap", Map.of("action", "DENY",
        "rules", List.of(Map.of("from", List.of(Map.of("source", Map.of("principals", List.of("a"))))))));
    g.setKind("AuthorizationPolicy");
    AuthorizationPolicy ap = reader.read(g, AuthorizationPolicy.class);
    assertEquals(AuthorizationPolicyAction.DENY, ap.getSpec().getAction());
    assertEquals(List.of("a"), ap.getSpec().getRules().get(0).getFrom().get(0).getSource().getPrincipals());
  }

  @Test
  void read_absentEnum_staysNull() {
    PeerAuthentication pa = reader.read(KubeObjects.rawPeerAuthentication("ns", "pa", Map.of("mtls", Map.of())),
        PeerAuthentication.class);
    assertEquals(null, pa.getSpec().getMtls().getMode());
  }
}
